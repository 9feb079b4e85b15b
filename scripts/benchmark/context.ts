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

/** The whole run: made once by main.ts, before the sandbox. */
export interface Bench {
  plan: Readonly<Plan>;
  /** the repository */
  root: string;
  /** `${root}/dist`, what scripts/build made */
  built: string;
  /** floor_add.sh and floor_del.sh (beside this module) */
  floorAdd: string;
  floorDel: string;
  /** the bench's own PATH: what contenders get (the timeline puts its shims in front) */
  path: string;
  /** a progress line on stderr, with the time since the start */
  progress(msg: string): void;
  /** throws once SIGINT or SIGTERM came: the run stops at the next step and tears down */
  checkAbort(): void;
}

/** The private copy of dist/ a run uses (others may rebuild dist/ meanwhile). */
export interface Dist {
  dir: string;
  plugin: string;
  driver: string;
  /** first 6 bytes of the program's SHA-256, hex */
  digest: string;
}

/** The run in its sandbox: made by setup.ts once the sandbox is up. */
export interface Ctx extends Bench {
  sb: Sandbox;
  hv1: SandboxHost;
  hv2: SandboxHost;
  dist: Dist;
  /** stdin for the plugin, as the Mesos agent sends it */
  mesosConf: string;
  /** the CNI configuration node-init wrote on hv1 */
  conf: Record<string, unknown>;
  /** the Go reference's own netns and configuration */
  bridgeNs: string;
  bridgeConf: string;
  /** container ids the plugin saw (their lock files are removed at the end) */
  pluginIds: string[];
  /** container netns by key, made once and reused */
  netnsPool: Map<string, string>;
  /** failed operations that did not stop the run */
  failures: string[];
}

function ipAdd(base: string, n: number): string {
  const v = base.split(".").reduce((a, o) => a * 256 + Number(o), 0) + n;
  return [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join(".");
}

/** Subnet, gateway of host number i (hv1 = 0, hv2 = 1, fake hosts 2…). */
export function hostNet(i: number): { subnet: string; gateway: string } {
  const net = ipAdd("172.16.0.0", i * 2 ** (32 - HOST_PREFIX));
  return { subnet: `${net}/${HOST_PREFIX}`, gateway: ipAdd(net, 1) };
}
