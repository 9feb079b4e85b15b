/**
 * Faults on the real sandbox: DEL never strands a container, deferred removals
 * complete once the database answers, a repeated ADD never harms a running
 * container, a killed ADD is cleaned by DEL or by `gc`, STATUS tells when ADD
 * cannot succeed. Daemons are paused (SIGSTOP) to make them unresponsive and
 * always resumed.
 */
import assert from "node:assert/strict";
import {
  callPlugin,
  type ClusterHost,
  DIST,
  driver,
  driverOk,
  initCluster,
  mesosCni,
  mesosIp,
  mesosStdin,
  pings,
  PLUGIN,
  pluginLinks,
  pluginPorts,
} from "../testing/cluster.ts";
import { type Sandbox, withSandbox } from "../testing/sandbox_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Runs `fn` with the daemon of this pidfile paused; always resumes it. */
async function paused<T>(pidfile: string, fn: () => Promise<T>): Promise<T> {
  const pid = Number((await Deno.readTextFile(pidfile)).trim());
  Deno.kill(pid, "SIGSTOP");
  try {
    return await fn();
  } finally {
    Deno.kill(pid, "SIGCONT");
  }
}

function onCluster(hosts: number, fn: (sb: Sandbox, c: ClusterHost[]) => Promise<void>) {
  return () => withSandbox({ hosts }, async (sb) => fn(sb, await initCluster(sb)));
}

function pendingFiles(c: ClusterHost): string[] {
  const dir = `${c.config.runDir}/pending`;
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

Deno.test(
  "DEL with NB unresponsive answers 0, removes everything local, and the removal from NB completes later",
  opts,
  onCluster(1, async (sb, [c]) => {
    const config = { ...c.config, dbTimeoutSeconds: 1 };
    const ns = await sb.addContainerNetns("a");
    mesosIp(await mesosCni(c, "ADD", "a", ns, { config }));
    const started = performance.now();
    const del = await paused(`${sb.dir}/central/ovnnb_db.pid`, async () => {
      const r = await mesosCni(c, "DEL", "a", ns, { config });
      // Meanwhile: nothing local is left, NB still has the port, a record says so.
      assert.deepEqual(await pluginLinks(sb, c.host), []);
      assert.match((pendingFiles(c)).join(" "), /^nb-ovm[0-9a-f]+\.json$/);
      const st = await callPlugin(
        c.host,
        { CNI_COMMAND: "STATUS", CNI_PATH: DIST },
        JSON.stringify({ ...config, cniVersion: "1.1.0" }),
      );
      assert.equal(st.json?.code, 50, `STATUS while NB is down: ${st.stdout}`);
      return r;
    });
    const took = performance.now() - started;
    assert.equal(del.code, 0, del.stdout);
    assert.ok(took < 8000, `DEL took ${took} ms`);
    // DEL's removal is one transaction by the row's uuid: NB had it queued and may have run it on
    // waking; either way the record stays until a command that reaches NB completes it.
    assert.ok((await pluginPorts(sb)).every((p) => p === "ovn/a/eth0"));
    const st = await driver(sb, c.host, ["status", "--json"]);
    assert.equal(st.code, 1, "a deferred removal is a problem until it is done");
    const status = JSON.parse(st.stdout) as { pending: { name: string }[]; healthy: boolean };
    assert.deepEqual(status.pending.map((p) => p.name), ["ovn/a/eth0"]);
    assert.equal(status.healthy, false);
    // The next plugin command that reaches NB completes it.
    const ns2 = await sb.addContainerNetns("b");
    mesosIp(await mesosCni(c, "ADD", "b", ns2, { config }));
    assert.deepEqual(await pluginPorts(sb), ["ovn/b/eth0"]);
    assert.deepEqual(pendingFiles(c), []);
    assert.equal((await mesosCni(c, "DEL", "b", ns2, { config })).code, 0);
    const locks = [...Deno.readDirSync(`${c.config.runDir}/locks`)].map((e) => e.name);
    assert.deepEqual(locks, [], "no lock file is left by a completed deferred removal");
  }),
);

Deno.test(
  "DEL with the local OVS unresponsive answers 0; the OVS port goes with gc; a repeated ADD answers again and harms nothing",
  opts,
  onCluster(2, async (sb, [c1, c2]) => {
    const config = { ...c1.config, dbTimeoutSeconds: 1 };
    const ns = await sb.addContainerNetns("x");
    mesosIp(await mesosCni(c1, "ADD", "x", ns, { config }));
    const del = await paused(
      `${c1.host.dir}/ovsdb-server.pid`,
      () => mesosCni(c1, "DEL", "x", ns, { config }),
    );
    assert.equal(del.code, 0, del.stdout);
    assert.deepEqual(await pluginPorts(sb), [], "NB was cleaned on its own");
    assert.match((pendingFiles(c1)).join(" "), /^ovs-ovm[0-9a-f]+\.json$/);
    const gc = await driverOk(sb, c1.host, ["gc"]) as unknown as { deferred: string[] };
    assert.equal(gc.deferred.length, 1);
    assert.deepEqual(await pluginLinks(sb, c1.host), []);
    assert.deepEqual(pendingFiles(c1), []);

    // A repeated ADD of a healthy attachment: the same answer, nothing harmed.
    const ns1 = await sb.addContainerNetns("web");
    const ip = mesosIp(await mesosCni(c1, "ADD", "web", ns1));
    const peer = await sb.addContainerNetns("peer");
    mesosIp(await mesosCni(c2, "ADD", "peer", peer));
    const again = await mesosCni(c1, "ADD", "web", ns1);
    assert.equal(mesosIp(again), ip);
    assert.ok(await pings(sb, peer, ip), "the first ADD's container still has its network");
    // A repeated ADD of a broken one fails without touching it.
    await sb.execIn(ns1, ["ip", "addr", "flush", "dev", "eth0"]);
    const broken = await mesosCni(c1, "ADD", "web", ns1);
    assert.equal(broken.json?.code, 4, broken.stdout);
    assert.match(String(broken.json?.msg), /already attached .* DEL it first/);
    assert.deepEqual(await pluginPorts(sb), ["ovn/peer/eth0", "ovn/web/eth0"]);
    assert.equal((await mesosCni(c1, "DEL", "web", ns1)).code, 0);
    assert.equal((await mesosCni(c2, "DEL", "peer", peer)).code, 0);
  }),
);

Deno.test(
  "an ADD killed at several points: DEL removes everything; without the DEL, gc does",
  opts,
  onCluster(1, async (sb, [c]) => {
    for (const [i, delayMs] of [5, 25, 50, 80, 120, 180].entries()) {
      const id = `killed${i}`;
      const ns = await sb.addContainerNetns(id);
      const vars = {
        CNI_COMMAND: "ADD",
        CNI_CONTAINERID: id,
        CNI_NETNS: ns,
        CNI_IFNAME: "eth0",
        CNI_PATH: DIST,
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      };
      const child = new Deno.Command("ip", {
        args: [
          "netns",
          "exec",
          c.host.netns,
          "env",
          "-i",
          ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
          PLUGIN,
        ],
        stdin: "piped",
        stdout: "null",
        stderr: "null",
      }).spawn();
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(mesosStdin(c.config)));
      await w.close();
      await new Promise((r) => setTimeout(r, delayMs));
      // `ip netns exec`, `env` and the launcher each exec the next: the pid is the plugin's.
      try {
        Deno.kill(child.pid, "SIGKILL");
      } catch { /* already done */ }
      await child.status;
      if (i % 2 === 0) {
        assert.equal(
          (await mesosCni(c, "DEL", id, ns)).code,
          0,
          `DEL after a kill at ${delayMs} ms`,
        );
      } else {
        await sb.removeContainerNetns(ns); // the container is gone and its DEL never comes
      }
    }
    await driverOk(sb, c.host, ["gc"]);
    assert.deepEqual(await pluginPorts(sb), []);
    assert.deepEqual(await pluginLinks(sb, c.host), []);
  }),
);

Deno.test(
  "STATUS answers 50 while ovn-northd does not process NB, and 0 again after",
  opts,
  onCluster(1, async (sb, [c]) => {
    const v11 = JSON.stringify({ ...c.config, cniVersion: "1.1.0", dbTimeoutSeconds: 2 });
    const status = () => callPlugin(c.host, { CNI_COMMAND: "STATUS", CNI_PATH: DIST }, v11);
    assert.equal((await status()).code, 0);
    const down = await paused(`${sb.dir}/central/ovn-northd.pid`, status);
    assert.equal(down.json?.code, 50, down.stdout);
    assert.match(String(down.json?.details), /ovn-northd did not process NB/);
    assert.equal((await status()).code, 0);
  }),
);

Deno.test(
  "with ovs-vswitchd unresponsive ADD answers 101 naming it, leaving nothing; DEL answers 0",
  opts,
  onCluster(1, async (sb, [c]) => {
    const config = { ...c.config, bindTimeoutSeconds: 2, dbTimeoutSeconds: 2 };
    const ns = await sb.addContainerNetns("novs");
    const r = await paused(
      `${c.host.dir}/ovs-vswitchd.pid`,
      () => mesosCni(c, "ADD", "novs", ns, { config }),
    );
    assert.equal(r.json?.code, 101, r.stdout);
    assert.match(String(r.json?.msg), /ovs-vswitchd did not attach/);
    assert.deepEqual(await pluginPorts(sb), []);
    assert.deepEqual(await pluginLinks(sb, c.host), []);
    assert.equal((await mesosCni(c, "DEL", "novs", ns, { config })).code, 0);
  }),
);

Deno.test(
  "NB unresponsive during ADD: code 11 within its bound, nothing left; ADD works once NB answers",
  opts,
  onCluster(1, async (sb, [c]) => {
    const config = { ...c.config, dbTimeoutSeconds: 1 };
    const ns = await sb.addContainerNetns("nbdown");
    const t0 = performance.now();
    const r = await paused(
      `${sb.dir}/central/ovnnb_db.pid`,
      () => mesosCni(c, "ADD", "nbdown", ns, { config }),
    );
    const ms = Math.round(performance.now() - t0);
    console.log(`fault: NB unresponsive during ADD: code ${r.json?.code} in ${ms} ms`);
    assert.equal(r.json?.code, 11, r.stdout);
    assert.ok(ms < 6000, `${ms} ms`);
    assert.deepEqual(await pluginLinks(sb, c.host), []);
    // NB runs the insert it had queued once it answers again: the ADD recorded its removal.
    assert.match(pendingFiles(c).join(" "), /^nb-ovm[0-9a-f]+\.json$/);
    await driverOk(sb, c.host, ["gc"]);
    assert.deepEqual(await pluginPorts(sb), [], "the queued insert's port is gone after gc");
    assert.deepEqual(pendingFiles(c), []);
    mesosIp(await mesosCni(c, "ADD", "nbdown", ns, { config }));
    assert.equal((await mesosCni(c, "DEL", "nbdown", ns, { config })).code, 0);
  }),
);

Deno.test(
  "ovn-northd not processing during ADD: code 11 naming it after the bind timeout, rolled back",
  opts,
  onCluster(1, async (sb, [c]) => {
    const config = { ...c.config, bindTimeoutSeconds: 2 };
    const ns = await sb.addContainerNetns("nonorthd");
    const t0 = performance.now();
    const r = await paused(
      `${sb.dir}/central/ovn-northd.pid`,
      () => mesosCni(c, "ADD", "nonorthd", ns, { config }),
    );
    const ms = Math.round(performance.now() - t0);
    console.log(`fault: ovn-northd not processing during ADD: code ${r.json?.code} in ${ms} ms`);
    assert.equal(r.json?.code, 11, r.stdout);
    assert.match(
      String(r.json?.msg),
      /ovn-northd did not process port ovn\/nonorthd\/eth0 within 2 s/,
    );
    assert.deepEqual(await pluginPorts(sb), []);
    assert.deepEqual(await pluginLinks(sb, c.host), []);
    mesosIp(await mesosCni(c, "ADD", "nonorthd", ns, { config }));
    assert.equal((await mesosCni(c, "DEL", "nonorthd", ns, { config })).code, 0);
  }),
);

Deno.test(
  "the local OVS database unresponsive during ADD: code 11 naming it, nothing left in the kernel or NB; gc removes the OVS port it had queued",
  opts,
  onCluster(1, async (sb, [c]) => {
    const config = { ...c.config, dbTimeoutSeconds: 1 };
    const ns = await sb.addContainerNetns("ovsdown");
    const t0 = performance.now();
    const r = await paused(
      `${c.host.dir}/ovsdb-server.pid`,
      () => mesosCni(c, "ADD", "ovsdown", ns, { config }),
    );
    const ms = Math.round(performance.now() - t0);
    console.log(
      `fault: local ovsdb-server unresponsive during ADD: code ${r.json?.code} in ${ms} ms`,
    );
    assert.equal(r.json?.code, 11, r.stdout);
    assert.match(String(r.json?.details), /Open_vSwitch/);
    assert.deepEqual(await pluginPorts(sb), [], "nothing in NB");
    const links = (await sb.run(c.host, ["ip", "-o", "link"])).stdout;
    assert.doesNotMatch(links, /ovm[0-9a-f]+/, "no veth in the kernel");
    await driverOk(sb, c.host, ["gc"]);
    assert.deepEqual(await pluginLinks(sb, c.host), [], "no OVS port after gc");
    mesosIp(await mesosCni(c, "ADD", "ovsdown", ns, { config }));
    assert.equal((await mesosCni(c, "DEL", "ovsdown", ns, { config })).code, 0);
  }),
);

Deno.test(
  "the local ovsdb-server restarted between ADD and DEL: DEL, a new ADD and CHECK work (no stale connection state)",
  opts,
  onCluster(1, async (sb, [c]) => {
    const ns = await sb.addContainerNetns("before");
    mesosIp(await mesosCni(c, "ADD", "before", ns));
    await sb.restartHostDb(c.host);
    assert.equal((await mesosCni(c, "DEL", "before", ns)).code, 0);
    assert.deepEqual(pendingFiles(c), [], "nothing deferred: OVS answered");
    assert.deepEqual(await pluginLinks(sb, c.host), []);
    const ns2 = await sb.addContainerNetns("after");
    mesosIp(await mesosCni(c, "ADD", "after", ns2));
    const check = await callPlugin(c.host, {
      CNI_COMMAND: "CHECK",
      CNI_CONTAINERID: "after",
      CNI_NETNS: ns2,
      CNI_IFNAME: "eth0",
      CNI_PATH: DIST,
    }, JSON.stringify({ ...c.config, cniVersion: "1.1.0" }));
    assert.equal(check.code, 0, check.stdout);
    assert.equal((await mesosCni(c, "DEL", "after", ns2)).code, 0);
  }),
);
