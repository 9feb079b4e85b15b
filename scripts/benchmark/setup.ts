/**
 * Before and after the measurements: the private copy of dist/ (and of --baseline's), plugin-init
 * and node-init on hv1 (the baseline's own node-init first, into its own configuration
 * directory), the Go reference's netns; afterwards the plugin's lock files and that netns, and
 * a look for anything of the run left after the sandbox's teardown.
 */
import { hostVethName } from "../../src/names.ts";
import type { Sandbox, SandboxHost } from "../../testing/sandbox.ts";
import {
  type Bench,
  CLUSTER_SUBNET,
  type Ctx,
  type Dist,
  HOST_PREFIX,
  hostNet,
  PLUGIN_LOCK_DIR,
  type PluginSetup,
} from "./context.ts";
import { must, untimed } from "./proc.ts";

/**
 * Copies dist/ovn-mesos into `dir` with its two names: the program is one file (a bundled
 * script or a compiled binary) that dispatches on its name.  dist/ is rebuilt by others'
 * scripts/build at any time; a copy keeps this run consistent.
 */
async function snapshot(dir: string, from: string): Promise<Dist> {
  let bytes = new Uint8Array();
  for (let i = 0; bytes.length === 0; i++) {
    bytes = await Deno.readFile(`${from}/ovn-mesos`).catch(() => new Uint8Array());
    if (bytes.length) break;
    // being rebuilt right now: wait for it
    if (i >= 60) throw new Error(`cannot read ${from}/ovn-mesos: run scripts/build`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/ovn-mesos`, bytes, { mode: 0o755 });
  await Deno.symlink("ovn-mesos", `${dir}/ovn-mesos-plugin`);
  await Deno.symlink("ovn-mesos", `${dir}/ovn-mesos-overlay-driver`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return {
    dir,
    plugin: `${dir}/ovn-mesos-plugin`,
    driver: `${dir}/ovn-mesos-overlay-driver`,
    digest: Array.from(digest.slice(0, 6), (x) => x.toString(16).padStart(2, "0")).join(""),
  };
}

/** node-init's flags for host number i (hv1 = 0), writing into `configDir`. */
export function nodeInitArgs(sb: Sandbox, i: number, configDir: string, logFile: string): string[] {
  const net = hostNet(i);
  return [
    "node-init",
    `--subnet=${net.subnet}`,
    `--cluster_subnet=${CLUSTER_SUBNET}`,
    `--gateway=${net.gateway}/${HOST_PREFIX}`,
    `--config_dir=${sb.dir}/${configDir}`,
    `--log-file=${sb.dir}/${logFile}`,
  ];
}

/** The driver's environment on a host. */
export function driverEnv(b: Bench, h: SandboxHost): Record<string, string> {
  return { PATH: b.path, ...h.env };
}

/**
 * node-init of `dist` on hv1 into `configDir` (more flags in `extra`), and what the Mesos
 * agent then sends: the file it wrote, with the task's NetworkInfo under args (and cniVersion
 * removed, as in the brief: Mesos parses only 0.1.0/0.2.0 results anyway).
 */
export async function initHv1(
  b: Bench,
  sb: Sandbox,
  dist: Dist,
  configDir: string,
  logFile: string,
  extra: string[] = [],
): Promise<PluginSetup> {
  const hv1 = sb.hosts[0];
  must(
    await untimed(b, [dist.driver, ...nodeInitArgs(sb, 0, configDir, logFile), ...extra], {
      ns: hv1.netns,
      env: driverEnv(b, hv1),
    }),
    `node-init hv1 (${dist.dir})`,
  );
  const conf = JSON.parse(await Deno.readTextFile(`${sb.dir}/${configDir}/ovn.conf`));
  const mesos = { ...conf, args: { "org.apache.mesos": { network_info: { name: conf.name } } } };
  delete mesos.cniVersion;
  return { dist, conf, mesosConf: JSON.stringify(mesos) };
}

/** plugin-init, node-init on hv1, the Go reference's netns: the {@link Ctx} of the run. */
export async function setUp(b: Bench, sb: Sandbox): Promise<Ctx> {
  const [hv1, hv2] = sb.hosts;
  const dist = await snapshot(`${sb.dir}/dist`, b.built);
  b.progress(`using a copy of dist/ovn-mesos (sha256 ${dist.digest}…) in ${dist.dir}`);
  must(
    await untimed(b, [dist.driver, "plugin-init"], { ns: hv1.netns, env: driverEnv(b, hv1) }),
    "plugin-init",
  );
  // The baseline's own node-init first, into its own directory; then this build's, which
  // makes the host as this build wants it (the baseline's plugin reads only its own file).
  let baseline: PluginSetup | undefined;
  if (b.baselineDir) {
    const bd = await snapshot(`${sb.dir}/dist-baseline`, b.baselineDir);
    b.progress(`baseline: a copy of ${b.baselineDir}/ovn-mesos (sha256 ${bd.digest}…)`);
    baseline = await initHv1(b, sb, bd, "cni-hv1-baseline", "plugin-hv1-baseline.log");
  }
  const { conf, mesosConf } = await initHv1(b, sb, dist, "cni-hv1", "plugin-hv1.log", ["--json"]);

  // The Go reference: its own "host" netns (named with the sandbox prefix, so the sandbox's
  // teardown would remove it too), a Linux bridge, host-local IPAM with state in the sandbox.
  const bridgeNs = `${sb.name}-brref`;
  must(await untimed(b, ["ip", "netns", "add", bridgeNs]), "ip netns add");
  must(await untimed(b, ["ip", "-n", bridgeNs, "link", "set", "lo", "up"]), "lo up");
  const bridgeConf = JSON.stringify({
    cniVersion: "0.4.0",
    name: "benchbr",
    type: "bridge",
    bridge: "cnibr0",
    isGateway: true,
    ipMasq: false,
    ipam: {
      type: "host-local",
      subnet: "10.99.0.0/16",
      routes: [{ dst: "0.0.0.0/0" }],
      dataDir: `${sb.dir}/host-local`,
    },
  });
  return {
    ...b,
    sb,
    hv1,
    hv2,
    dist,
    conf,
    mesosConf,
    baseline,
    bridgeNs,
    bridgeConf,
    pluginIds: [],
    netnsPool: new Map(),
    failures: [],
    staticFloorUsed: 0,
  };
}

/**
 * What lives outside the sandbox: the plugin's lock files of this run's attachments and the
 * Go reference's netns.  Returns how many lock files it removed.
 */
export async function cleanUp(c: Ctx): Promise<number> {
  let lockFiles = 0;
  for (const id of c.pluginIds) {
    const veth = await hostVethName(String(c.conf.name), id, "eth0");
    try {
      await Deno.remove(`${PLUGIN_LOCK_DIR}/${veth}.lock`);
      lockFiles++;
    } catch { /* none */ }
  }
  await untimed(c, ["ip", "netns", "del", c.bridgeNs]);
  return lockFiles;
}

/** After the sandbox's teardown: any netns, dir or process of sandbox `name` at `dir`. */
export async function leftAfterTeardown(b: Bench, name: string, dir: string): Promise<string[]> {
  const after: string[] = [];
  const netns = (await untimed(b, ["ip", "netns", "list"])).stdout;
  for (const l of netns.split("\n")) {
    if (l.startsWith(`${name}-`)) after.push(`netns ${l.split(" ")[0]}`);
  }
  try {
    await Deno.stat(dir);
    after.push(`dir ${dir}`);
  } catch { /* gone */ }
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
      if (cmd.includes(`${dir}/`)) after.push(`process ${e.name}`);
    } catch { /* gone */ }
  }
  return after;
}
