/**
 * The CNI plugin on a real two-host OVN sandbox, called exactly as the Mesos
 * agent calls it, with containers as bind-mounted network namespaces.
 */
import assert from "node:assert/strict";
import { hostVethName, retiredVethName } from "../src/names.ts";
import { CNI_VERSIONS } from "../src/version.ts";
import {
  callPlugin,
  type ClusterHost,
  DIST,
  driverOk,
  initCluster,
  mesosCni,
  mesosIp,
  pings,
  pluginLinks,
  pluginPorts,
} from "../testing/cluster.ts";
import { type Sandbox, withSandbox } from "../testing/sandbox_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Runs `fn` on a fresh two-host cluster. */
function onCluster(fn: (sb: Sandbox, hosts: ClusterHost[]) => Promise<void>) {
  return () => withSandbox({ hosts: 2 }, async (sb) => fn(sb, await initCluster(sb)));
}

/** Every plugin port, OVS port and veth is gone. */
async function assertNothingLeft(sb: Sandbox) {
  assert.deepEqual(await pluginPorts(sb), [], "plugin logical ports left in NB");
  for (const h of sb.hosts) {
    assert.deepEqual(await pluginLinks(sb, h), [], `ports/veths left on ${h.name}`);
  }
  const locks = await Array.fromAsync(Deno.readDir(`${sb.dir}/run/locks`)).catch(() => []);
  assert.deepEqual(locks.map((l) => l.name), [], "lock files left");
}

Deno.test(
  "Mesos-style containers on two hosts reach each other, the host ports, and carry TCP",
  opts,
  onCluster(async (sb, [h1, h2]) => {
    const ns1 = await sb.addContainerNetns("c1");
    const ns2 = await sb.addContainerNetns("c2");
    const [r1, r2] = await Promise.all([
      mesosCni(h1, "ADD", "c1", ns1),
      mesosCni(h2, "ADD", "c2", ns2),
    ]);
    const ip1 = mesosIp(r1), ip2 = mesosIp(r2);
    assert.equal(r1.json?.cniVersion, "0.1.0", "a config without cniVersion is answered as 0.1.0");
    assert.match(ip1, /^172\.16\.1\./);
    assert.match(ip2, /^172\.16\.2\./);
    assert.ok(await pings(sb, ns1, ip2), "c1 -> c2 across hosts");
    assert.ok(await pings(sb, ns2, ip1), "c2 -> c1 across hosts");
    assert.ok(await pings(sb, ns1, h1.init.address), "c1 -> its host port");
    assert.ok(await pings(sb, ns1, h2.init.address), "c1 -> the other host port");
    assert.ok(await pings(sb, ns2, h1.init.address), "c2 -> the other host port");
    // The host ports (where Mesos agents bind) reach containers too.
    const fromHost = await sb.run(h2.host, ["ping", "-c", "2", "-i", "0.2", "-W", "3", ip1]);
    assert.equal(fromHost.code, 0, "host port of hv2 -> c1");

    // TCP: busybox httpd in c2, wget from c1.
    const www = `${sb.dir}/www`;
    await Deno.mkdir(www, { recursive: true });
    const body = "x".repeat(200_000);
    await Deno.writeTextFile(`${www}/index.html`, body);
    const httpd = new Deno.Command("nsenter", {
      args: [`--net=${ns2}`, "busybox", "httpd", "-f", "-p", "8080", "-h", www],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      let got = "";
      for (let i = 0; i < 20 && got.length !== body.length; i++) {
        const get =
          `exec 3<>/dev/tcp/${ip2}/8080; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3`;
        const r = await sb.execIn(ns1, ["timeout", "10", "bash", "-c", get]);
        got = r.stdout.slice(r.stdout.indexOf("\r\n\r\n") + 4);
        if (got.length !== body.length) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(got.length, body.length, "200 kB over TCP from c2 to c1");
    } finally {
      httpd.kill("SIGKILL");
      await httpd.status;
    }

    const [d1, d2] = await Promise.all([
      mesosCni(h1, "DEL", "c1", ns1),
      mesosCni(h2, "DEL", "c2", undefined),
    ]);
    assert.equal(d1.code, 0, d1.stdout);
    assert.equal(d2.code, 0, d2.stdout);
    await assertNothingLeft(sb);
  }),
);

Deno.test(
  "one container on two networks at once: eth0 and eth1 added and deleted concurrently",
  opts,
  onCluster(async (sb, [h1, h2]) => {
    const other = { ...h1.config, name: "ovn2" };
    const id = "8e8c4f1e-2a43-4c55-9a1b-5c3c6f1d2e01";
    const ns = await sb.addContainerNetns(id);
    const [a0, a1] = await Promise.all([
      mesosCni(h1, "ADD", id, ns),
      mesosCni(h1, "ADD", id, ns, { ifname: "eth1", config: other }),
    ]);
    const ip0 = mesosIp(a0), ip1 = mesosIp(a1);
    assert.notEqual(ip0, ip1);
    const peer = await sb.addContainerNetns("peer");
    const ipPeer = mesosIp(await mesosCni(h2, "ADD", "peer", peer));
    assert.ok(await pings(sb, peer, ip0), "peer -> eth0");
    const links = (await sb.execIn(ns, ["ip", "-br", "addr"])).stdout;
    assert.match(links, new RegExp(`^eth0\\S*\\s+UP\\s+${ip0}/24`, "m"));
    assert.match(links, new RegExp(`^eth1\\S*\\s+UP\\s+${ip1}/24`, "m"));
    assert.ok(await pings(sb, ns, ipPeer), "container -> peer (via eth0's default route)");
    const [d0, d1] = await Promise.all([
      mesosCni(h1, "DEL", id, ns),
      mesosCni(h1, "DEL", id, undefined, { ifname: "eth1", config: other }),
    ]);
    assert.equal(d0.code + d1.code, 0, d0.stdout + d1.stdout);
    assert.equal((await mesosCni(h2, "DEL", "peer", peer)).code, 0);
    await assertNothingLeft(sb);
  }),
);

Deno.test(
  "ADD answers in the result shape of every CNI version; CHECK and DEL follow",
  opts,
  onCluster(async (sb, [h1]) => {
    for (const version of CNI_VERSIONS) {
      const id = `v${version.replaceAll(".", "")}`;
      const ns = await sb.addContainerNetns(id);
      const config = JSON.stringify({ ...h1.config, cniVersion: version });
      const env = {
        CNI_COMMAND: "ADD",
        CNI_CONTAINERID: id,
        CNI_IFNAME: "eth0",
        CNI_NETNS: ns,
        CNI_PATH: DIST,
      };
      const r = await callPlugin(h1.host, env, config);
      assert.equal(r.code, 0, `${version}: ${r.stdout}${r.stderr}`);
      const res = r.json!;
      assert.equal(res.cniVersion, version);
      if (version === "0.1.0" || version === "0.2.0") {
        const ip4 = res.ip4 as { ip: string; gateway: string; routes: unknown[] };
        assert.match(ip4.ip, /^172\.16\.1\.\d+\/24$/);
        assert.equal(ip4.gateway, "172.16.1.1");
        assert.deepEqual(ip4.routes, [{ dst: "0.0.0.0/0", gw: "172.16.1.1" }]);
        assert.equal(res.interfaces, undefined);
      } else {
        const ifs = res.interfaces as {
          name: string;
          mac: string;
          sandbox: string;
          mtu?: number;
        }[];
        const ips = res.ips as Record<string, unknown>[];
        assert.equal(ifs.length, 1);
        assert.equal(ifs[0].name, "eth0");
        assert.match(ifs[0].mac, /^0a:58:/);
        assert.equal(ifs[0].sandbox, ns);
        assert.equal(ifs[0].mtu, version === "1.1.0" ? h1.config.mtu : undefined);
        assert.match(String(ips[0].address), /^172\.16\.1\.\d+\/24$/);
        assert.equal(ips[0].interface, 0);
        assert.equal(ips[0].version, version.startsWith("0.") ? "4" : undefined);
        assert.equal(res.ip4, undefined);
      }
      if (version >= "0.4.0") {
        const check = await callPlugin(h1.host, { ...env, CNI_COMMAND: "CHECK" }, config);
        assert.equal(check.code, 0, `CHECK ${version}: ${check.stdout}`);
      }
      const del = await callPlugin(h1.host, { ...env, CNI_COMMAND: "DEL" }, config);
      assert.equal(del.code, 0, `DEL ${version}: ${del.stdout}`);
    }
    await assertNothingLeft(sb);
  }),
);

Deno.test(
  "DEL succeeds however much is gone, and a failed ADD leaves nothing behind",
  opts,
  onCluster(async (sb, [h1]) => {
    const ns = await sb.addContainerNetns("keep");
    const keepIp = mesosIp(await mesosCni(h1, "ADD", "keep", ns));
    const cases: { name: string; run: () => Promise<void> }[] = [
      {
        name: "DEL twice",
        run: async () => {
          const n = await sb.addContainerNetns("twice");
          mesosIp(await mesosCni(h1, "ADD", "twice", n));
          assert.equal((await mesosCni(h1, "DEL", "twice", n)).code, 0);
          assert.equal((await mesosCni(h1, "DEL", "twice", n)).code, 0);
        },
      },
      {
        name: "DEL without CNI_NETNS, after the namespace is gone",
        run: async () => {
          const n = await sb.addContainerNetns("gone");
          mesosIp(await mesosCni(h1, "ADD", "gone", n));
          await sb.removeContainerNetns(n);
          assert.equal((await mesosCni(h1, "DEL", "gone", undefined)).code, 0);
        },
      },
      {
        name: "DEL of what was never added",
        run: async () => assert.equal((await mesosCni(h1, "DEL", "never", undefined)).code, 0),
      },
      {
        name: "ADD into a namespace that does not exist: code 4, then DEL",
        run: async () => {
          const r = await mesosCni(h1, "ADD", "nons", `${sb.dir}/no/such/ns`);
          assert.equal(r.code, 1);
          assert.equal(r.json?.code, 4, r.stdout);
          assert.equal((await mesosCni(h1, "DEL", "nons", undefined)).code, 0);
        },
      },
      {
        name: "ADD of a second eth0 into a used namespace fails; the first stays intact",
        run: async () => {
          const r = await mesosCni(h1, "ADD", "intruder", ns);
          assert.equal(r.code, 1, r.stdout);
          assert.equal(r.json?.code, 4, r.stdout);
          const peer = await sb.addContainerNetns("peer1");
          mesosIp(await mesosCni(h1, "ADD", "peer1", peer));
          assert.ok(await pings(sb, peer, keepIp), "the first container still works");
          assert.equal((await mesosCni(h1, "DEL", "peer1", peer)).code, 0);
        },
      },
      {
        name: "ADD onto a switch that does not exist: an OVN error, nothing made",
        run: async () => {
          const n = await sb.addContainerNetns("noswitch");
          const config = { ...h1.config, logicalSwitch: "no-such-switch" };
          const r = await mesosCni(h1, "ADD", "noswitch", n, { config });
          assert.equal(r.code, 1);
          assert.equal(r.json?.code, 100, r.stdout);
          const links = await sb.execIn(n, ["ip", "-o", "link"]);
          assert.doesNotMatch(links.stdout, /eth0/, "no interface left in the container");
        },
      },
      {
        name: "ADD with NB unreachable: code 11, no veth left",
        run: async () => {
          const n = await sb.addContainerNetns("nbdown");
          const config = {
            ...h1.config,
            nbRemote: `unix:${sb.dir}/no-such.sock`,
            nbTimeoutSeconds: 1,
          };
          const r = await mesosCni(h1, "ADD", "nbdown", n, { config });
          assert.equal(r.json?.code, 11, r.stdout);
          const veth = hostVethName("ovn", "nbdown", "eth0");
          assert.ok(!(await pluginLinks(sb, h1.host)).includes(veth), `${veth} left behind`);
          const links = await sb.execIn(n, ["ip", "-o", "link"]);
          assert.doesNotMatch(links.stdout, /eth0/, "no interface left in the container");
        },
      },
      {
        name: "ADD over a stale logical port of the same name replaces it",
        run: async () => {
          const lsp = "ovn/stale/eth0";
          await sb.nbctl(
            "lsp-add",
            String(h1.config.logicalSwitch),
            lsp,
            "--",
            "lsp-set-addresses",
            lsp,
            "dynamic",
          );
          const n = await sb.addContainerNetns("stale");
          const ip = mesosIp(await mesosCni(h1, "ADD", "stale", n));
          const ids = await sb.nbctl("get", "Logical_Switch_Port", lsp, "external_ids");
          assert.match(
            ids,
            /"ovn-mesos\/container-id"=stale/,
            "the plugin's port replaced the stale one",
          );
          assert.ok(await pings(sb, n, keepIp), `the new port (${ip}) works`);
          assert.equal((await mesosCni(h1, "DEL", "stale", n)).code, 0);
        },
      },
      {
        name: "DEL after a half-done ADD (plugin killed after NB and OVS changes)",
        run: async () => {
          const lsp = "ovn/halfdone/eth0";
          await sb.nbctl(
            "lsp-add",
            String(h1.config.logicalSwitch),
            lsp,
            "--",
            "lsp-set-addresses",
            lsp,
            "dynamic",
          );
          const full = await mesosCni(
            h1,
            "ADD",
            "halfdone2",
            await sb.addContainerNetns("halfdone2"),
          );
          mesosIp(full);
          // Simulate a plugin killed midway: DEL the NB port only, leaving OVS port and veth.
          await sb.nbctl("lsp-del", "ovn/halfdone2/eth0");
          assert.equal((await mesosCni(h1, "DEL", "halfdone", undefined)).code, 0);
          assert.equal((await mesosCni(h1, "DEL", "halfdone2", undefined)).code, 0);
        },
      },
    ];
    for (const c of cases) {
      await c.run().catch((e) => {
        throw new Error(`${c.name}: ${e.message}`);
      });
    }
    assert.deepEqual(await pluginPorts(sb), ["ovn/keep/eth0"], "only the kept container remains");
    assert.equal((await pluginLinks(sb, h1.host)).length, 2, "its OVS port and veth remain");
    assert.equal((await mesosCni(h1, "DEL", "keep", ns)).code, 0);
    await assertNothingLeft(sb);
  }),
);

Deno.test(
  "with ovn-controller down: ADD fails with code 101 after the bind timeout, leaving nothing; STATUS says so",
  opts,
  onCluster(async (sb, [h1]) => {
    const pid = Number(await Deno.readTextFile(`${h1.host.dir}/ovn-controller.pid`));
    Deno.kill(pid, "SIGTERM");
    const ns = await sb.addContainerNetns("unbound");
    const config = { ...h1.config, bindTimeoutSeconds: 2 };
    const r = await mesosCni(h1, "ADD", "unbound", ns, { config });
    assert.equal(r.code, 1);
    assert.equal(r.json?.code, 101, r.stdout);
    assert.match(String(r.json?.msg), /not bound by ovn-controller within 2 s/);
    await assertNothingLeft(sb);
    const links = await sb.execIn(ns, ["ip", "-o", "link"]);
    assert.doesNotMatch(links.stdout, /eth0/, "no interface left in the container");
    const status = await callPlugin(
      h1.host,
      { CNI_COMMAND: "STATUS", CNI_PATH: DIST },
      JSON.stringify({ ...config, cniVersion: "1.1.0" }),
    );
    assert.equal(status.json?.code, 50, status.stdout);
    assert.match(String(status.json?.details), /ovn-controller/);
  }),
);

Deno.test(
  "DEL retires the veth at once and its deletion finishes without it; an ADD right after works, also over a retired pair left behind; gc deletes one",
  opts,
  onCluster(async (sb, [h1]) => {
    const ns = await sb.addContainerNetns("again");
    const first = mesosIp(await mesosCni(h1, "ADD", "again", ns));
    const veth = hostVethName(String(h1.config.name), "again", "eth0");
    const retired = retiredVethName(veth);
    // ADD records its rows in the attachment's lock file, for DEL.
    const lockFile = `${sb.dir}/run/locks/${veth}.lock`;
    const rows = JSON.parse(await Deno.readTextFile(lockFile));
    const lspUuid = async () =>
      (await sb.nbctl(
        "--bare",
        "--columns=_uuid",
        "find",
        "Logical_Switch_Port",
        `name="ovn/again/eth0"`,
      ))
        .trim();
    assert.equal(rows.lsp, await lspUuid());
    assert.match(rows.port, /^[0-9a-f-]{36}$/);
    const del = await mesosCni(h1, "DEL", "again", ns);
    assert.equal(del.code, 0, del.stdout);
    // DEL is back: the host end no longer has its name (it is down and retired, or gone).
    const link = await sb.run(h1.host, ["ip", "-o", "link", "show", "dev", veth]);
    assert.notEqual(link.code, 0, `${veth} still there after DEL`);
    // The same attachment again at once, while the retired pair may still be being deleted.
    const again = mesosIp(await mesosCni(h1, "ADD", "again", ns));
    assert.match(again, /^172\.16\.1\./, `re-ADD after ${first}`);
    assert.ok(await pings(sb, ns, h1.init.address), "the re-added container reaches its host");
    assert.equal((await mesosCni(h1, "DEL", "again", ns)).code, 0);
    await assertNothingLeft(sb);

    // The retired pair still there (its eth0 in the container: its `ip` killed, say) when ADD
    // comes: ADD deletes it, then attaches.
    const pair = ["ip", "link", "add", retired, "type", "veth", "peer", "name", "eth0"];
    assert.equal((await sb.run(h1.host, [...pair, "netns", `../../../..${ns}`])).code, 0);
    mesosIp(await mesosCni(h1, "ADD", "again", ns));
    const left = await sb.run(h1.host, ["ip", "-o", "link", "show", "dev", retired]);
    assert.notEqual(left.code, 0, `${retired} left after ADD`);
    assert.equal((await mesosCni(h1, "DEL", "again", ns)).code, 0);
    await assertNothingLeft(sb);

    // A stale record (the rows replaced since: other uuids, same names) makes DEL find them by name.
    mesosIp(await mesosCni(h1, "ADD", "again", ns));
    const sw = String(h1.config.logicalSwitch);
    await sb.nbctl("lsp-del", "ovn/again/eth0", "--", "lsp-add", sw, "ovn/again/eth0");
    await sb.vsctl(h1.host, "del-port", veth, "--", "add-port", "br-int", veth);
    assert.notEqual(JSON.parse(await Deno.readTextFile(lockFile)).lsp, await lspUuid(), "stale");
    assert.equal((await mesosCni(h1, "DEL", "again", ns)).code, 0);
    await assertNothingLeft(sb);

    // A record DEL cannot read (here: garbage) makes it find the rows by name.
    mesosIp(await mesosCni(h1, "ADD", "again", ns));
    await Deno.writeTextFile(lockFile, "{not json");
    assert.equal((await mesosCni(h1, "DEL", "again", ns)).code, 0);
    await assertNothingLeft(sb);

    // A retired veth whose deleting process never ran (killed): gc deletes it, and says so.
    const add = ["ip", "link", "add", retired, "type", "veth", "peer", "name", "leftover"];
    assert.equal((await sb.run(h1.host, add)).code, 0);
    const gc = await driverOk(sb, h1.host, ["gc"]) as unknown as { retired: string[] };
    assert.deepEqual(gc.retired, [retired]);
    const gone = await sb.run(h1.host, ["ip", "-o", "link", "show", "dev", retired]);
    assert.notEqual(gone.code, 0, `${retired} left after gc`);
  }),
);

Deno.test(
  "30 containers added at once on one host all succeed with distinct addresses",
  opts,
  onCluster(async (sb, [h1]) => {
    const ids = Array.from({ length: 30 }, (_, i) => `burst-${i}`);
    const nss = await Promise.all(ids.map((id) => sb.addContainerNetns(id)));
    const adds = await Promise.all(ids.map((id, i) => mesosCni(h1, "ADD", id, nss[i])));
    const ips = adds.map(mesosIp);
    assert.equal(new Set(ips).size, 30, `addresses not distinct: ${ips.join(" ")}`);
    assert.ok(await pings(sb, nss[0], ips[29]), "first -> last");
    const dels = await Promise.all(ids.map((id, i) => mesosCni(h1, "DEL", id, nss[i])));
    assert.deepEqual(dels.map((d) => d.code), ids.map(() => 0));
    await assertNothingLeft(sb);
  }),
);

Deno.test(
  "CHECK, GC and STATUS on a real host",
  opts,
  onCluster(async (sb, [h1, h2]) => {
    const v = { ...h1.config, cniVersion: "1.1.0" };
    const ns = await Promise.all(["a", "b", "c"].map((id) => sb.addContainerNetns(id)));
    for (const [i, id] of ["a", "b", "c"].entries()) mesosIp(await mesosCni(h1, "ADD", id, ns[i]));
    const other = await sb.addContainerNetns("other-host");
    mesosIp(await mesosCni(h2, "ADD", "other-host", other));
    const env = (cmd: string, id = "a", netns = ns[0]) => ({
      CNI_COMMAND: cmd,
      CNI_CONTAINERID: id,
      CNI_IFNAME: "eth0",
      CNI_NETNS: netns,
      CNI_PATH: DIST,
    });

    assert.equal((await callPlugin(h1.host, env("CHECK"), JSON.stringify(v))).code, 0);
    await sb.execIn(ns[0], ["ip", "route", "del", "default"]);
    const bad = await callPlugin(h1.host, env("CHECK"), JSON.stringify(v));
    assert.equal(bad.json?.code, 102, bad.stdout);
    assert.match(String(bad.json?.msg), /no default route/);

    const status = await callPlugin(
      h1.host,
      { CNI_COMMAND: "STATUS", CNI_PATH: DIST },
      JSON.stringify(v),
    );
    assert.equal(status.code, 0, status.stdout);
    const down = { ...v, nbRemote: `unix:${sb.dir}/no-such.sock`, nbTimeoutSeconds: 1 };
    const notReady = await callPlugin(
      h1.host,
      { CNI_COMMAND: "STATUS", CNI_PATH: DIST },
      JSON.stringify(down),
    );
    assert.equal(notReady.json?.code, 50, notReady.stdout);
    assert.match(String(notReady.json?.details), /Northbound/);

    const gc = { ...v, "cni.dev/valid-attachments": [{ containerID: "b", ifname: "eth0" }] };
    const r = await callPlugin(h1.host, { CNI_COMMAND: "GC", CNI_PATH: DIST }, JSON.stringify(gc));
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(await pluginPorts(sb), ["ovn/b/eth0", "ovn/other-host/eth0"]);
    assert.equal((await pluginLinks(sb, h1.host)).length, 2, "b's OVS port and veth only");
    assert.match(
      await sb.nbctl("get", "Logical_Switch_Port", "hv1_agent", "up"),
      /true/,
      "host port untouched",
    );

    for (const [id, n, h] of [["b", ns[1], h1], ["other-host", other, h2]] as const) {
      assert.equal((await mesosCni(h, "DEL", id, n)).code, 0);
    }
    await assertNothingLeft(sb);
  }),
);
