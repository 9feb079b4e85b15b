/**
 * The main job on a local sandbox, the way operators and the Mesos agent run
 * it: plugin-init, node-init on two hosts, gateway-init, two containers added
 * as the Mesos agent adds them, pings between them and to the outside, DEL.
 * Everything it starts is stopped again, also on failure.
 *
 *   deno run -A scripts/demo.ts      (scripts/demo sets up and builds first)
 */
import {
  type ClusterHost,
  driverOk,
  initCluster,
  mesosCni,
  mesosIp,
  pings,
  pluginLinks,
  pluginPorts,
} from "../testing/cluster.ts";
import { type Sandbox, withSandbox } from "../testing/sandbox.ts";

const bold = (s: string) => `\x1b[1m${s}\x1b[0m`;
const step = (s: string) => console.log(`\n${bold("==>")} ${s}`);
const results: [string, boolean][] = [];

async function check(what: string, ok: Promise<boolean> | boolean): Promise<void> {
  const passed = await ok;
  results.push([what, passed]);
  console.log(`  ${passed ? "ok  " : "FAIL"} ${what}`);
}

async function demo(sb: Sandbox): Promise<void> {
  console.log(`sandbox ${sb.name}: OVN central + ${sb.hosts.length} hosts (${sb.dir})`);
  step("plugin-init (once per cluster) and node-init (on every host)");
  const hosts: ClusterHost[] = await initCluster(sb);
  for (const h of hosts) {
    console.log(
      `  ${h.host.name}: switch ${h.init.switch} ${h.init.subnet}, host port ${h.init.port} = ${h.init.address}`,
    );
  }
  console.log((await sb.nbctl("show")).split("\n").map((l) => `    ${l}`).join("\n"));
  const [h1, h2] = hosts;
  await check(
    `host port ${h1.init.address} (hv1) -> ${h2.init.address} (hv2) over Geneve`,
    pingFromHost(sb, h1, h2.init.address),
  );

  step("gateway-init on hv1, its eth1 wired to an 'outside' network 203.0.113.0/24");
  const out = await sb.addOutside(h1.host, "203.0.113.1/24", "eth1");
  await sb.run(h1.host, ["ip", "addr", "add", "203.0.113.5/24", "dev", "eth1"]);
  const gw = await driverOk(sb, h1.host, [
    "gateway-init",
    "--cluster_subnet=172.16.0.0/16",
    "--eth1_ip=203.0.113.5/24",
    "--eth1_gw_ip=203.0.113.1",
  ]);
  // the --json answer gives SNAT as {from, to}
  const snat = gw.snat as string | { from: string; to: string };
  const snatText = typeof snat === "string" ? snat : `${snat.from} -> ${snat.to}`;
  console.log(
    `  ${gw.router}: join ${gw.joinAddress}, external ${gw.externalAddress}, SNAT ${snatText}`,
  );

  step("two containers, added as the Mesos agent adds them (bind-mounted netns, no cniVersion)");
  const ns1 = await sb.addContainerNetns("3f7c1d2e-task-a");
  const ns2 = await sb.addContainerNetns("9b0e4a61-task-b");
  const t0 = performance.now();
  const [a1, a2] = await Promise.all([
    mesosCni(h1, "ADD", "3f7c1d2e-task-a", ns1, {
      portMappings: [{ host_port: 8080, container_port: 80 }],
    }),
    mesosCni(h2, "ADD", "9b0e4a61-task-b", ns2),
  ]);
  const addMs = Math.round(performance.now() - t0);
  const ip1 = mesosIp(a1), ip2 = mesosIp(a2);
  console.log(`  task-a on hv1: ${a1.stdout.trim()}`);
  console.log(`  task-b on hv2: ${a2.stdout.trim()}`);
  console.log(`  (both ADDs at once, bound by ovn-controller: ${addMs} ms)`);

  step("traffic");
  await check(`task-a ${ip1} -> task-b ${ip2} (across hosts)`, pings(sb, ns1, ip2));
  await check(
    `task-b -> host port of hv1 ${h1.init.address} (where a Mesos agent binds)`,
    pings(sb, ns2, h1.init.address),
  );
  await check(
    `task-b -> outside 203.0.113.1 (through GR_hv1, SNAT)`,
    pings(sb, ns2, "203.0.113.1"),
  );
  await check(`task-a -> outside 203.0.113.1`, pings(sb, ns1, "203.0.113.1"));
  await check(
    "the outside knows only the SNAT address 203.0.113.5, no container address",
    (async () => {
      const n = (await sb.execIn(out, ["ip", "-4", "neigh"])).stdout;
      return n.includes("203.0.113.5 ") && !n.includes("172.16.");
    })(),
  );

  step("North-South: task-a's port mapping 8080 -> 80 (a web server in task-a)");
  const web = new Deno.Command("nsenter", {
    args: [`--net=${ns1}`, "python3", "-m", "http.server", "80", "--bind", "0.0.0.0"],
    cwd: Deno.makeTempDirSync(),
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await check(
      "the outside reaches task-a at the gateway's address 203.0.113.5:8080 (OVN load balancer)",
      httpGet(sb, out, "http://203.0.113.5:8080/"),
    );
    await check(
      `hv2 reaches task-a at hv1's own address ${h1.host.encapIp}:8080 (as Mesos-DNS tells clients)`,
      httpGet(sb, `/var/run/netns/${h2.host.netns}`, `http://${h1.host.encapIp}:8080/`),
    );
  } finally {
    web.kill("SIGKILL");
    await web.status;
  }

  step("DEL both, as the Mesos agent does on container exit");
  const [d1, d2] = await Promise.all([
    mesosCni(h1, "DEL", "3f7c1d2e-task-a", ns1),
    mesosCni(h2, "DEL", "9b0e4a61-task-b", undefined),
  ]);
  await check("DEL answered 0 (one with, one without CNI_NETNS)", d1.code === 0 && d2.code === 0);
  await check(
    "no plugin port left in NB or OVS, no veth",
    (async () =>
      (await pluginPorts(sb)).length === 0 &&
      (await pluginLinks(sb, h1.host)).length + (await pluginLinks(sb, h2.host)).length === 0)(),
  );

  step("status");
  const status = await sb.run(h1.host, [
    `${new URL("../dist/", import.meta.url).pathname}ovn-mesos`,
    "status",
  ]);
  console.log(status.stdout.trimEnd().split("\n").map((l) => `  ${l}`).join("\n"));
}

/** An HTTP GET from a namespace (a path or a name) succeeds within a few tries. */
async function httpGet(sb: Sandbox, ns: string, url: string): Promise<boolean> {
  const get = "import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=3).read()";
  for (let i = 0; i < 20; i++) {
    if ((await sb.execIn(ns, ["python3", "-c", get, url], { timeoutMs: 10_000 })).code === 0) {
      return true;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function pingFromHost(sb: Sandbox, h: ClusterHost, ip: string): Promise<boolean> {
  return (await sb.run(h.host, ["ping", "-c", "2", "-i", "0.2", "-W", "3", ip])).code === 0;
}

await withSandbox({ hosts: 2, name: `demo${Math.random().toString(16).slice(2, 6)}` }, demo);
const failed = results.filter(([, ok]) => !ok).length;
console.log(
  `\n${bold("summary")}: ${
    results.length - failed
  } of ${results.length} checks passed; sandbox stopped, nothing left running`,
);
Deno.exit(failed ? 1 : 0);
