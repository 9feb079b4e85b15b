/**
 * Tests of the OVN sandbox itself (testing/sandbox.ts): real ovsdb-server / ovs-vswitchd /
 * ovn-northd / ovn-controller daemons in network namespaces.  Needs root.
 */
import assert from "node:assert/strict";
import {
  assertNoLeaks,
  attachPort,
  findLeftovers,
  gcStale,
  Sandbox,
  withSandbox,
} from "../testing/sandbox_fixture.ts";

// Addresses only ever exist inside namespaces that these tests create (TEST-NET ranges).
const SUBNET = "192.0.2.0/24";

/** A switch with 2 dynamic ports, a container netns on hv1 and on hv2, one port each. */
async function twoContainers(sb: Sandbox) {
  await sb.nbctl(
    ...["--", "ls-add", "sw0", "--", "set", "Logical_Switch", "sw0"],
    ...[`other_config:subnet=${SUBNET}`, "other_config:exclude_ips=192.0.2.1"],
    ...["--", "lsp-add", "sw0", "p1", "--", "lsp-set-addresses", "p1", "dynamic"],
    ...["--", "lsp-add", "sw0", "p2", "--", "lsp-set-addresses", "p2", "dynamic"],
  );
  const c1 = await sb.addContainerNetns("c1");
  const c2 = await sb.addContainerNetns("c2");
  const [a1, a2] = await Promise.all([
    attachPort(sb, "hv1", c1, "p1"),
    attachPort(sb, "hv2", c2, "p2"),
  ]);
  return { c1, c2, a1, a2 };
}

async function pingAcross(sb: Sandbox) {
  const { c1, c2, a1, a2 } = await twoContainers(sb);
  assert.match(a1.mac, /^0a:58:00:/);
  assert.ok(a1.ip.startsWith("192.0.2.") && a2.ip.startsWith("192.0.2."));
  const p = await sb.execIn(c1, ["ping", "-c", "3", "-i", "0.2", "-W", "2", a2.ip]);
  assert.equal(p.code, 0, `ping hv1 -> hv2 over geneve failed:\n${p.stdout}${p.stderr}`);
  const q = await sb.execIn(c2, ["ping", "-c", "1", "-W", "2", a1.ip]);
  assert.equal(q.code, 0, `ping hv2 -> hv1 failed:\n${q.stdout}${q.stderr}`);
  return { c1, c2, a1, a2 };
}

/** busybox httpd in container `server`, fetch a 1 MB file from container `client`. */
async function httpAcross(sb: Sandbox, client: string, server: string, serverIp: string) {
  const www = await Deno.makeTempDir({ dir: sb.dir });
  const body = "0123456789abcdef".repeat(65536);
  await Deno.writeTextFile(`${www}/f`, body);
  const srv = new Deno.Command("nsenter", {
    args: [`--net=${server}`, "busybox", "httpd", "-f", "-p", "8080", "-h", www],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    let got = { code: -1, stdout: "", stderr: "" };
    for (let i = 0; i < 50 && got.code !== 0; i++) {
      if (i) await new Promise((r) => setTimeout(r, 50));
      got = await sb.execIn(client, [
        "busybox",
        "wget",
        "-q",
        "-O",
        "-",
        `http://${serverIp}:8080/f`,
      ], {
        timeoutMs: 10_000,
      });
    }
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout.length, body.length);
    assert.ok(got.stdout === body);
  } finally {
    srv.kill("SIGKILL");
    await srv.status;
  }
}

Deno.test("sandbox: 2 hosts, containers ping across Geneve, down leaves nothing", async () => {
  const t0 = performance.now();
  const sb = await Sandbox.up({ hosts: 2 });
  const upMs = performance.now() - t0;
  try {
    assert.match(sb.name, /^sbx[0-9a-f]{4}$/);
    assert.equal(sb.nbRemote, `unix:${sb.dir}/central/ovnnb_db.sock`);
    assert.deepEqual(sb.hosts.map((h) => h.netns), [`${sb.name}-hv1`, `${sb.name}-hv2`]);
    const chassis = (await sb.sbctl("--bare", "--columns=name", "list", "Chassis")).split(/\s+/);
    assert.deepEqual(chassis.sort(), ["hv1", "hv2"]);
    assert.equal(await sb.nbctl("get", "NB_Global", ".", "options:mac_prefix"), '"0a:58:00"');
    for (const h of sb.hosts) {
      const ids = await sb.vsctl(h, "get", "Open_vSwitch", ".", "external_ids");
      assert.ok(ids.includes(`ovn-nb="${sb.nbRemote}"`), ids);
      assert.ok(ids.includes(`system-id=${h.name}`), ids);
      assert.equal(await sb.vsctl(h, "get", "Bridge", "br-int", "datapath_type"), "netdev");
    }
    // run(): inside the host netns, env
    const addr = await sb.run("hv1", ["ip", "-br", "addr", "show", "br-phy"]);
    assert.equal(addr.code, 0);
    assert.ok(addr.stdout.includes(sb.hosts[0].encapIp), addr.stdout);
    const env = await sb.run("hv2", ["env"], { cleanEnv: true, env: { CNI_COMMAND: "VERSION" } });
    const keys = env.stdout.trim().split("\n").map((l) => l.split("=")[0]).sort();
    assert.deepEqual(keys, [...Object.keys(sb.hosts[1].env), "CNI_COMMAND", "PATH"].sort());
    assert.ok(env.stdout.includes(`OVS_RUNDIR=${sb.hosts[1].dir}\n`));
    const full = await sb.run(sb.hosts[0], ["sh", "-c", 'echo "$OVN_NB_DB $HOME"']);
    assert.equal(full.stdout.trim(), `${sb.nbRemote} ${Deno.env.get("HOME") ?? ""}`);
    assert.equal((await sb.run("hv1", ["cat"], { stdin: "hello" })).stdout, "hello");
    assert.equal((await sb.run("hv1", ["sh", "-c", "exit 7"])).code, 7);
    const slow = await sb.run("hv1", ["sleep", "10"], { timeoutMs: 100 });
    assert.equal(slow.code, 137);
    // ovs-appctl / ovn-appctl find the host's daemons through host.env
    const neigh = await sb.appctl("hv1", "tnl/neigh/show");
    assert.ok(neigh.includes(sb.hosts[1].encapIp), neigh);

    // containers on both hosts, ping across the overlay
    const { c1, c2, a2 } = await pingAcross(sb);
    // TCP through the overlay too, with full-size packets (checksum offload and MTU pitfalls)
    await httpAcross(sb, c1, c2, a2.ip);

    // container netns bookkeeping
    // (leftovers().mounts also lists copies, "PATH (pid N)", in other mount namespaces, e.g.
    // of daemons of sandboxes started meanwhile: only look at ours)
    const ownMounts = async () => (await sb.leftovers()).mounts.filter((m) => !m.includes(" "));
    assert.deepEqual(await ownMounts(), [`${sb.dir}/containers/c1/ns`, c2]);
    await sb.removeContainerNetns(c2);
    assert.deepEqual(await ownMounts(), [`${sb.dir}/containers/c1/ns`]);

    // outside world for gateway tests
    const out = await sb.addOutside("hv1", "203.0.113.1/24");
    assert.equal(out, `${sb.name}-out`);
    assert.equal(
      (await sb.run("hv1", ["ip", "addr", "add", "203.0.113.2/24", "dev", "eth1"])).code,
      0,
    );
    const po = await sb.run("hv1", ["ping", "-c", "1", "-W", "2", "203.0.113.1"]);
    assert.equal(po.code, 0, po.stdout + po.stderr);
    assert.equal(await sb.addOutside("hv2", "198.51.100.1/24", "ext0"), `${sb.name}-out2`);

    const before = await sb.leftovers();
    assert.equal(before.pids.length, 3 + 3 * 2); // nb, sb, northd + 3 per host
    assert.deepEqual(
      before.netns,
      ["hv1", "hv2", "out", "out2", "ul"].map((s) => `${sb.name}-${s}`),
    );
  } finally {
    const t1 = performance.now();
    await sb.down();
    console.log(`sandbox up ${upMs.toFixed(0)} ms, down ${(performance.now() - t1).toFixed(0)} ms`);
  }
  await assertNoLeaks(sb);
  await sb.down(); // idempotent
  await assertNoLeaks(sb);
});

Deno.test("sandbox: two sandboxes side by side", async () => {
  const [a, b] = await Promise.all([Sandbox.up({ hosts: 2 }), Sandbox.up({ hosts: 2 })]);
  try {
    assert.notEqual(a.name, b.name);
    assert.notEqual(a.nbTcp, b.nbTcp);
    await Promise.all([pingAcross(a), pingAcross(b)]);
    // a third sandbox started now copies a's and b's container netns mounts into its
    // daemons' mount namespaces (ip netns exec): a.down() must not leak through them.
    await withSandbox({ hosts: 1 }, async (c) => {
      assert.equal((await c.leftovers()).mounts.length, 0);
      await a.down();
      await assertNoLeaks(a);
      const bLeft = await b.leftovers();
      assert.equal(bLeft.pids.length, 9);
      assert.equal(bLeft.netns.length, 3);
      // b still works after a is gone
      const ip1 = (await b.nbctl("get", "Logical_Switch_Port", "p1", "dynamic_addresses"))
        .replaceAll('"', "").split(" ")[1];
      const p = await b.execIn(`${b.dir}/containers/c2/ns`, ["ping", "-c", "1", "-W", "2", ip1]);
      assert.equal(p.code, 0, p.stdout + p.stderr);
    });
  } finally {
    await Promise.all([a.down(), b.down()]);
  }
  await assertNoLeaks(a);
  await assertNoLeaks(b);
});

Deno.test("sandbox: cleanup after failures", async (t) => {
  await t.step("fn throws inside withSandbox", async () => {
    let seen: Sandbox | undefined;
    await assert.rejects(
      withSandbox({ hosts: 2 }, async (sb) => {
        seen = sb;
        await sb.addContainerNetns("x");
        await sb.addOutside("hv2", "203.0.113.1/24");
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.ok(seen);
    await assertNoLeaks(seen);
  });

  for (const step of ["central", "central:ovn-northd", "hv1:ovsdb-server", "hv2:ovs-vswitchd"]) {
    await t.step(`up() fails at ${step}`, async () => {
      const name = `sbf${crypto.getRandomValues(new Uint8Array(2)).join("").slice(0, 5)}`;
      const dir = `/tmp/ovn-mesos-sandbox/${name}`;
      await assert.rejects(Sandbox.up({ name, hosts: 2, _failAt: step }), /injected failure/);
      await assertNoLeaks({ name, dir });
    });
  }

  await t.step("name clash is refused without touching the existing sandbox", async () => {
    await withSandbox({ hosts: 1 }, async (sb) => {
      await assert.rejects(Sandbox.up({ name: sb.name }), /already exists/);
      assert.equal((await sb.leftovers()).pids.length, 6);
      assert.equal(await sb.nbctl("--timeout=5", "show"), "");
    });
  });

  await t.step("CLI: up / env / status / down from separate processes", async () => {
    const name = `sbc${crypto.getRandomValues(new Uint8Array(2)).join("").slice(0, 5)}`;
    const cli = async (...args: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("../testing/sandbox.ts", import.meta.url).pathname, ...args],
        stdin: "null",
      }).output();
      const d = new TextDecoder();
      return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
    };
    try {
      const up = await cli("up", "--hosts", "1", "--name", name);
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, new RegExp(`sandbox ${name} up`));
      const env = await cli("env", name, "hv1");
      assert.equal(env.code, 0, env.stderr);
      assert.match(env.stdout, new RegExp(`ip netns exec ${name}-hv1`));
      assert.match(env.stdout, /^export OVS_RUNDIR='\/tmp\/ovn-mesos-sandbox\/.*\/hv1'$/m);
      const st = await cli("status", name);
      assert.equal(st.code, 0, st.stdout + st.stderr);
      assert.match(st.stdout, /Chassis hv1/);
      const sb = Sandbox.load(name);
      assert.equal((await sb.leftovers()).pids.length, 6);
      const down = await cli("down", name);
      assert.equal(down.code, 0, down.stdout + down.stderr);
      // a killed run: daemons gone, netns and dir left behind -> gc cleans up; live ones stay
      const up2 = await cli("up", "--hosts", "1", "--name", name);
      assert.equal(up2.code, 0, up2.stderr);
      await withSandbox({ hosts: 1 }, async (live) => {
        assert.deepEqual(await gcStale(), []);
        const stale = Sandbox.load(name);
        for (const pid of (await stale.leftovers()).pids) Deno.kill(pid, "SIGKILL");
        while ((await stale.leftovers()).pids.length) await new Promise((r) => setTimeout(r, 10));
        assert.ok(await gcStale().then((names) => names.includes(name)));
        assert.equal((await live.leftovers()).pids.length, 6);
      });
    } finally {
      await cli("down", name);
    }
    await assertNoLeaks({ name, dir: `/tmp/ovn-mesos-sandbox/${name}` });
    assert.deepEqual(findLeftovers(name, `/tmp/ovn-mesos-sandbox/${name}`).pids, []);
  });
});
