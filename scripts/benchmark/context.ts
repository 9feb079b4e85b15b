/**
 * What the parts of the bench share, passed along explicitly: the plan (how many runs of
 * what), the run-wide {@link Bench} made once by main.ts, and the {@link Ctx} of the sandbox
 * the measurements run in.  No module of the bench keeps state of its own.
 */
import type { Sandbox, SandboxHost } from "../../testing/sandbox.ts";

/** How many runs of each kind; {@link FULL} or {@link QUICK}. */
export interface Plan {
  quick: boolean;
  /** rounds of plugin / floor / bridge ADD+DEL */
  rounds: number;
  /** VERSION vs trivial deno, runs each */
  versionRuns: number;
  /** runs per operation under strace (spawn counts) and /usr/bin/time (CPU time) */
  straceRuns: number;
  /** runs per operation with the PATH shims (where the time goes) */
  timelineRuns: number;
  concurrent: number;
  /** scale and hosts phases: rounds over the states, ADD+DEL cycles per visit */
  scaleRounds: number;
  scaleCycles: number;
  /** rounds of ADD with 2 port mappings / ADD without (then their DELs) */
  mappingRounds: number;
  /** rounds of ADD+DEL over unix: NB / a relay's unix: / the relay's ssl: (ssl.ts; 0: none) */
  sslRounds: number;
}

export const FULL: Readonly<Plan> = Object.freeze({
  quick: false,
  rounds: 30,
  versionRuns: 40,
  straceRuns: 3,
  timelineRuns: 5,
  concurrent: 50,
  scaleRounds: 3,
  scaleCycles: 5,
  mappingRounds: 20,
  sslRounds: 15,
});

export const QUICK: Readonly<Plan> = Object.freeze({
  quick: true,
  rounds: 5,
  versionRuns: 8,
  straceRuns: 1,
  timelineRuns: 1,
  concurrent: 10,
  scaleRounds: 1,
  scaleCycles: 1,
  mappingRounds: 3,
  sslRounds: 2,
});

/** Debian's reference CNI plugins (containernetworking-plugins). */
export const CNI_BIN = "/usr/lib/cni";
/** Where the plugin keeps its per-attachment lock files (its default runDir). */
export const PLUGIN_LOCK_DIR = "/run/ovn-mesos/locks";
/** Host subnets: /20s of 172.16.0.0/12, so 1,000+ ports fit; host i gets the i-th. */
export const CLUSTER_SUBNET = "172.16.0.0/12";
export const HOST_PREFIX = 20;
/** NB-only hosts added for the "100 hosts in NB" figures (with hv1 and hv2: 101). */
export const FAKE_HOSTS = 99;
export const SCALE_PORTS: readonly number[] = [0, 250, 1000];
/**
 * The static floor's addresses: 500 in turn from here, at the top of hv1's /20, far above what
 * northd hands out first (the lowest free: the scale phase's 1,000 ports end near 172.16.3.235).
 */
export const STATIC_FLOOR_FIRST = "172.16.14.1";
export const STATIC_FLOOR_COUNT = 500;
/** The two port mappings of the mappings phase (Mesos' NetworkInfo.port_mappings). */
export const PORT_MAPPINGS: readonly {
  host_port: number;
  container_port: number;
  protocol: string;
}[] = [
  { host_port: 18080, container_port: 80, protocol: "tcp" },
  { host_port: 15353, container_port: 53, protocol: "udp" },
];

/** The whole run: made once by main.ts, before the sandbox. */
export interface Bench {
  plan: Readonly<Plan>;
  /** the repository */
  root: string;
  /** `${root}/dist`, what scripts/build made */
  built: string;
  /** floor_add.sh, floor_add_static.sh and floor_del.sh (beside this module) */
  floorAdd: string;
  floorAddStatic: string;
  floorDel: string;
  /** --baseline: the dist/ of an older build, measured beside this one (its own node-init) */
  baselineDir?: string;
  /** the bench's own PATH: what contenders get (the timeline puts its shims in front) */
  path: string;
  /** a progress line on stderr, with the time since the start */
  progress(msg: string): void;
  /** throws once SIGINT or SIGTERM came: the run stops at the next step and tears down */
  checkAbort(): void;
}

/**
 * The run-wide context (its checkAbort() throws once `abort` is aborted); `baselineDir` is
 * --baseline's dist/.
 */
export function makeBench(plan: Readonly<Plan>, abort: AbortSignal, baselineDir?: string): Bench {
  const root = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
  const here = new URL(".", import.meta.url).pathname.replace(/\/$/, "");
  const t0 = performance.now();
  return {
    plan,
    root,
    built: `${root}/dist`,
    floorAdd: `${here}/floor_add.sh`,
    floorAddStatic: `${here}/floor_add_static.sh`,
    floorDel: `${here}/floor_del.sh`,
    baselineDir,
    path: Deno.env.get("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    progress(msg: string) {
      const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
      console.error(`[bench ${s}s] ${msg}`);
    },
    checkAbort() {
      if (abort.aborted) throw new Error("interrupted");
    },
  };
}

/** The private copy of dist/ a run uses (others may rebuild dist/ meanwhile). */
export interface Dist {
  dir: string;
  plugin: string;
  driver: string;
  /** first 6 bytes of the program's SHA-256, hex */
  digest: string;
}

/** A build of the plugin and the configuration its own node-init wrote on hv1. */
export interface PluginSetup {
  dist: Dist;
  /** stdin for the plugin, as the Mesos agent sends it */
  mesosConf: string;
  /** the CNI configuration node-init wrote on hv1 */
  conf: Record<string, unknown>;
}

/** The run in its sandbox: made by setup.ts once the sandbox is up. */
export interface Ctx extends Bench, PluginSetup {
  sb: Sandbox;
  hv1: SandboxHost;
  hv2: SandboxHost;
  /** --baseline: the older build, set up beside this one */
  baseline?: PluginSetup;
  /** the Go reference's own netns and configuration */
  bridgeNs: string;
  bridgeConf: string;
  /** container ids the plugin saw (their lock files are removed at the end) */
  pluginIds: string[];
  /** container netns by key, made once and reused */
  netnsPool: Map<string, string>;
  /** failed operations that did not stop the run */
  failures: string[];
  /** how many addresses the static floor has taken (it cycles through its range) */
  staticFloorUsed: number;
}

/** The IPv4 address n after `base`. */
export function ipAdd(base: string, n: number): string {
  const v = base.split(".").reduce((a, o) => a * 256 + Number(o), 0) + n;
  return [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join(".");
}

/** Subnet, gateway of host number i (hv1 = 0, hv2 = 1, fake hosts 2…). */
export function hostNet(i: number): { subnet: string; gateway: string } {
  const net = ipAdd("172.16.0.0", i * 2 ** (32 - HOST_PREFIX));
  return { subnet: `${net}/${HOST_PREFIX}`, gateway: ipAdd(net, 1) };
}
