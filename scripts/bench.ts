/**
 * scripts/bench: how fast is ovn-mesos-plugin, against what could be done at all, on a real
 * OVN sandbox (testing/sandbox.ts)?
 *
 *   scripts/bench [--quick] [--json]
 *
 * Compares, with the runs interleaved (A B C, B C A, C A B …) so that machine drift cancels:
 *   - the plugin (a private copy of dist/ovn-mesos-plugin) ADD and DEL, called as the Mesos
 *     agent calls it (env: CNI_* + PATH only; the config file with args.org.apache.mesos);
 *   - the floor: scripts/floor_add.sh / floor_del.sh, the same OVN/OVS/namespace work as a
 *     minimal shell sequence of the stock tools;
 *   - the reference: Debian's Go `bridge` + `host-local` plugins (no OVN) in a netns of ours.
 * Then: VERSION start-up next to a trivial `deno run`; process spawns per ADD/DEL (strace);
 * CPU time per operation (/usr/bin/time); where ADD's and DEL's time goes (PATH shims around
 * the tools plus logging proxies in front of the NB and OVS database sockets); 50 ADDs at once
 * vs one after another (and the floor the same way); ADD with 0/250/1,000 ports on the host
 * and with 1/100 hosts in NB; node-init with 1/100 hosts already in NB.
 *
 * Every time is wall time seen by the caller, including `ip netns exec` (reported as harness).
 * Progress goes to stderr; the table to stdout, or with --json one JSON object to stdout and
 * the table to stderr.  Everything runs inside a sandbox of its own and is torn down at the
 * end (the sandbox's own teardown, plus checks that no netns, process or dir is left).
 */
import { parseArgs } from "node:util";
import { type Sandbox, type SandboxHost, withSandbox } from "../testing/sandbox.ts";
import * as names from "../src/names.ts";
import { VERSION } from "../src/version.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const BUILT = `${ROOT}/dist`;
/** The bench runs a private copy of dist/ (others may rebuild dist/ meanwhile): set by snapshot(). */
let DIST = BUILT;
let PLUGIN = `${DIST}/ovn-mesos-plugin`;
let DRIVER = `${DIST}/ovn-mesos-overlay-driver`;
let distDigest = "";
const FLOOR_ADD = `${ROOT}/scripts/floor_add.sh`;
const FLOOR_DEL = `${ROOT}/scripts/floor_del.sh`;
const CNI_BIN = "/usr/lib/cni";
const PATH = Deno.env.get("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** Where the plugin keeps its per-attachment lock files (its default runDir). */
const PLUGIN_LOCK_DIR = "/run/ovn-mesos/locks";

/** Host subnets: /20s of 172.16.0.0/12, so 1,000+ ports fit; host i gets the i-th. */
const CLUSTER_SUBNET = "172.16.0.0/12";
const HOST_PREFIX = 20;
const FAKE_HOSTS = 99;
const SCALE_PORTS = [0, 250, 1000];

interface Plan {
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

const FULL: Plan = {
  quick: false,
  rounds: 30,
  versionRuns: 40,
  straceRuns: 3,
  timelineRuns: 5,
  concurrent: 50,
  scaleRounds: 3,
  scaleCycles: 5,
};
const QUICK: Plan = {
  quick: true,
  rounds: 5,
  versionRuns: 8,
  straceRuns: 1,
  timelineRuns: 1,
  concurrent: 10,
  scaleRounds: 1,
  scaleCycles: 1,
};

// ------------------------------------------------------------------ small helpers

let aborted = false;
function checkAbort(): void {
  if (aborted) throw new Error("interrupted");
}

const t0 = performance.now();
function progress(msg: string): void {
  const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
  console.error(`[bench ${s}s] ${msg}`);
}

function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  if (p === 50) {
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  }
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}
const p50 = (xs: number[]) => pct(xs, 50);
const p90 = (xs: number[]) => pct(xs, 90);
const r1 = (x: number) => Number.isFinite(x) ? Math.round(x * 10) / 10 : null;
const r2 = (x: number) => Number.isFinite(x) ? Math.round(x * 100) / 100 : null;

function rotate<T>(xs: T[], n: number): T[] {
  const k = n % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

function ipAdd(base: string, n: number): string {
  const v = base.split(".").reduce((a, o) => a * 256 + Number(o), 0) + n;
  return [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join(".");
}
/** Subnet, gateway of host number i (hv1 = 0, hv2 = 1, fake hosts 2…). */
function hostNet(i: number): { subnet: string; gateway: string } {
  const net = ipAdd("172.16.0.0", i * 2 ** (32 - HOST_PREFIX));
  return { subnet: `${net}/${HOST_PREFIX}`, gateway: ipAdd(net, 1) };
}

function extIds(ids: Record<string, string>): string[] {
  return Object.entries(ids).map(([k, v]) =>
    `external_ids:${JSON.stringify(k)}=${JSON.stringify(v)}`
  );
}

// ------------------------------------------------------------------ processes

interface Proc {
  code: number;
  stdout: string;
  stderr: string;
  /** wall time from spawn to exit, ms */
  ms: number;
}

/** Absolute path of a program on the bench's own PATH (a child's PATH may hold the shims). */
const whichCache = new Map<string, string>();
function which(prog: string): string {
  if (prog.includes("/")) return prog;
  let hit = whichCache.get(prog);
  if (!hit) {
    hit = prog;
    for (const d of PATH.split(":")) {
      try {
        if (d && Deno.statSync(`${d}/${prog}`).isFile) {
          hit = `${d}/${prog}`;
          break;
        }
      } catch { /* not here */ }
    }
    whichCache.set(prog, hit);
  }
  return hit;
}

/** Runs argv with exactly `env` (nothing inherited), like the Mesos agent runs CNI plugins. */
async function spawn(
  argv: string[],
  opts: { env?: Record<string, string>; stdin?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<Proc> {
  const start = performance.now();
  const child = new Deno.Command(which(argv[0]), {
    args: argv.slice(1),
    env: opts.env ?? { PATH },
    clearEnv: true,
    cwd: opts.cwd,
    stdin: opts.stdin !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, opts.timeoutMs ?? 120_000);
  try {
    if (opts.stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(opts.stdin)).catch(() => {});
      await w.close().catch(() => {});
    }
    const out = await child.output();
    const ms = performance.now() - start;
    const dec = new TextDecoder();
    return {
      code: out.signal ? 128 : out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
      ms,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs argv inside a network namespace (by name) with exactly `env`. */
function inNetns(
  ns: string,
  argv: string[],
  env: Record<string, string> = { PATH },
  stdin?: string,
) {
  return spawn(["ip", "netns", "exec", ns, ...argv], { env, stdin });
}

function must(p: Proc, what: string): Proc {
  if (p.code !== 0) {
    throw new Error(
      `${what} failed (exit ${p.code}): ${(p.stderr || p.stdout).trim().slice(-800)}`,
    );
  }
  return p;
}

// ------------------------------------------------------------------ the three contenders

interface Ctx {
  sb: Sandbox;
  hv1: SandboxHost;
  hv2: SandboxHost;
  /** stdin for the plugin, as the Mesos agent sends it */
  mesosConf: string;
  conf: Record<string, unknown>;
  bridgeNs: string;
  bridgeConf: string;
  /** container ids the plugin saw (their lock files are removed at the end) */
  pluginIds: string[];
  netnsPool: Map<string, string>;
  failures: string[];
}

interface AddResult {
  ok: boolean;
  ms: number;
  ip?: string;
  err?: string;
}

/**
 * One call's outcome: ok when it exited 0 and, when `address` is given (ADD),
 * its JSON answer holds an address there.
 */
// deno-lint-ignore no-explicit-any
function outcome(p: Proc, address?: (result: any) => unknown): AddResult {
  let ip: string | undefined;
  try {
    const v = address?.(JSON.parse(p.stdout));
    if (typeof v === "string") ip = v;
  } catch { /* not JSON */ }
  if (p.code === 0 && (!address || ip)) {
    return ip ? { ok: true, ms: p.ms, ip } : { ok: true, ms: p.ms };
  }
  return { ok: false, ms: p.ms, err: `${p.stdout.trim()} ${p.stderr.trim()}`.slice(0, 600) };
}

function cniEnv(cmd: string, id: string, netns: string | undefined, cniPath: string) {
  const env: Record<string, string> = {
    CNI_COMMAND: cmd,
    CNI_CONTAINERID: id,
    CNI_IFNAME: "eth0",
    CNI_PATH: cniPath,
    PATH,
  };
  if (netns) env.CNI_NETNS = netns;
  return env;
}

function pluginArgv(): string[] {
  return [PLUGIN];
}

async function pluginAdd(c: Ctx, id: string, netns: string): Promise<AddResult> {
  c.pluginIds.push(id);
  const p = await inNetns(
    c.hv1.netns,
    pluginArgv(),
    cniEnv("ADD", id, netns, DIST),
    c.mesosConf,
  );
  return outcome(p, (r) => r?.ip4?.ip);
}

async function pluginDel(c: Ctx, id: string, netns?: string): Promise<AddResult> {
  const p = await inNetns(c.hv1.netns, pluginArgv(), cniEnv("DEL", id, netns, DIST), c.mesosConf);
  return outcome(p);
}

function floorNames(id: string) {
  return { lsp: `floor/${id}/eth0`, veth: `flr${id.replaceAll("-", "").slice(0, 12)}` };
}

/** Where the tools reach NB and the local OVS (the timeline points them at logging proxies). */
interface Remotes {
  nb: string;
  ovs: string;
}

function remotes(c: Ctx): Remotes {
  return { nb: c.sb.nbRemote, ovs: `unix:${c.hv1.dir}/db.sock` };
}

function floorAddArgv(c: Ctx, id: string, netns: string, r = remotes(c)): string[] {
  const { lsp, veth } = floorNames(id);
  return [
    FLOOR_ADD,
    r.nb,
    r.ovs,
    String(c.conf.logicalSwitch),
    String(HOST_PREFIX),
    String(c.conf.gateway),
    String(c.conf.mtu),
    lsp,
    veth,
    netns,
    "eth0",
  ];
}

function floorDelArgv(c: Ctx, id: string, r = remotes(c)): string[] {
  const { lsp, veth } = floorNames(id);
  return [FLOOR_DEL, r.nb, r.ovs, lsp, veth];
}

async function floorAdd(c: Ctx, id: string, netns: string): Promise<AddResult> {
  const p = await inNetns(c.hv1.netns, floorAddArgv(c, id, netns));
  return outcome(p, (r) => r?.ip4?.ip);
}

async function floorDel(c: Ctx, id: string): Promise<AddResult> {
  const p = await inNetns(c.hv1.netns, floorDelArgv(c, id));
  return outcome(p);
}

async function bridgeAdd(c: Ctx, id: string, netns: string): Promise<AddResult> {
  const p = await inNetns(
    c.bridgeNs,
    [`${CNI_BIN}/bridge`],
    cniEnv("ADD", id, netns, CNI_BIN),
    c.bridgeConf,
  );
  return outcome(p, (r) => r?.ips?.[0]?.address);
}

async function bridgeDel(c: Ctx, id: string, netns: string): Promise<AddResult> {
  const p = await inNetns(
    c.bridgeNs,
    [`${CNI_BIN}/bridge`],
    cniEnv("DEL", id, netns, CNI_BIN),
    c.bridgeConf,
  );
  return outcome(p);
}

/** A container netns (bind-mounted file, as Mesos makes them), made once per key and reused. */
async function netnsFor(c: Ctx, key: string): Promise<string> {
  let p = c.netnsPool.get(key);
  if (!p) {
    p = await c.sb.addContainerNetns(key);
    c.netnsPool.set(key, p);
  }
  return p;
}

function note(c: Ctx, what: string, r: AddResult): void {
  if (!r.ok) {
    c.failures.push(`${what}: ${r.err}`);
    progress(`FAILED ${what}: ${r.err}`);
  }
}

// ------------------------------------------------------------------ setup

/**
 * Copies dist/ovn-mesos into `dir` with its two names, and points the bench at the copy: the
 * program is one file (a bundled script or a compiled binary) that dispatches on its name.
 * dist/ is rebuilt by others' scripts/build at any time; a copy keeps this run consistent.
 */
async function snapshot(dir: string): Promise<string> {
  let bytes = new Uint8Array();
  for (let i = 0; bytes.length === 0; i++) {
    bytes = await Deno.readFile(`${BUILT}/ovn-mesos`).catch(() => new Uint8Array());
    if (bytes.length) break;
    // being rebuilt right now: wait for it
    if (i >= 60) throw new Error(`cannot read ${BUILT}/ovn-mesos: run scripts/build`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(`${dir}/ovn-mesos`, bytes, { mode: 0o755 });
  await Deno.symlink("ovn-mesos", `${dir}/ovn-mesos-plugin`);
  await Deno.symlink("ovn-mesos", `${dir}/ovn-mesos-overlay-driver`);
  DIST = dir;
  PLUGIN = `${dir}/ovn-mesos-plugin`;
  DRIVER = `${dir}/ovn-mesos-overlay-driver`;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function setUp(sb: Sandbox): Promise<Ctx> {
  const [hv1, hv2] = sb.hosts;
  const digest = await snapshot(`${sb.dir}/dist`);
  distDigest = digest;
  progress(`using a copy of dist/ovn-mesos (sha256 ${digest}…) in ${DIST}`);
  const driverEnv = (h: SandboxHost) => ({ PATH, ...h.env });
  must(await inNetns(hv1.netns, [DRIVER, "plugin-init"], driverEnv(hv1)), "plugin-init");
  const net = hostNet(0);
  must(
    await inNetns(hv1.netns, [
      DRIVER,
      "node-init",
      `--subnet=${net.subnet}`,
      `--cluster_subnet=${CLUSTER_SUBNET}`,
      `--gateway=${net.gateway}/${HOST_PREFIX}`,
      `--config_dir=${sb.dir}/cni-hv1`,
      `--log-file=${sb.dir}/plugin-hv1.log`,
      "--json",
    ], driverEnv(hv1)),
    "node-init hv1",
  );
  const conf = JSON.parse(await Deno.readTextFile(`${sb.dir}/cni-hv1/ovn.conf`));
  // What the Mesos agent sends: the file, with its NetworkInfo under args (and cniVersion
  // removed, as in the brief: Mesos parses only 0.1.0/0.2.0 results anyway).
  const mesos = { ...conf, args: { "org.apache.mesos": { network_info: { name: conf.name } } } };
  delete mesos.cniVersion;

  // The Go reference: its own "host" netns (named with the sandbox prefix, so the sandbox's
  // teardown would remove it too), a Linux bridge, host-local IPAM with state in the sandbox.
  const bridgeNs = `${sb.name}-brref`;
  must(await spawn(["ip", "netns", "add", bridgeNs]), "ip netns add");
  must(await spawn(["ip", "-n", bridgeNs, "link", "set", "lo", "up"]), "lo up");
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
    sb,
    hv1,
    hv2,
    conf,
    mesosConf: JSON.stringify(mesos),
    bridgeNs,
    bridgeConf,
    pluginIds: [],
    netnsPool: new Map(),
    failures: [],
  };
}

// ------------------------------------------------------------------ phase: ADD/DEL vs floor vs Go

interface Series {
  add: number[];
  del: number[];
}

async function phaseMain(c: Ctx, plan: Plan) {
  const s: Record<"plugin" | "floor" | "bridge", Series> = {
    plugin: { add: [], del: [] },
    floor: { add: [], del: [] },
    bridge: { add: [], del: [] },
  };
  const harness: number[] = [];
  const pluginIds: string[] = [];
  const nsP = await netnsFor(c, "main-plugin");
  const nsF = await netnsFor(c, "main-floor");
  const nsB = await netnsFor(c, "main-bridge");
  const kinds = ["plugin", "floor", "bridge"] as const;
  let connectivity: Record<string, boolean> = {};
  // one unmeasured warm-up round (page cache, deno's code cache)
  for (let round = -1; round < plan.rounds; round++) {
    checkAbort();
    const ids = {
      plugin: crypto.randomUUID(),
      floor: crypto.randomUUID(),
      bridge: crypto.randomUUID(),
    };
    const order = rotate([...kinds], Math.max(round, 0));
    if (round >= 0) pluginIds.push(ids.plugin);
    const added: Record<string, AddResult> = {};
    for (const k of order) {
      const r = k === "plugin"
        ? await pluginAdd(c, ids.plugin, nsP)
        : k === "floor"
        ? await floorAdd(c, ids.floor, nsF)
        : await bridgeAdd(c, ids.bridge, nsB);
      note(c, `${k} ADD`, r);
      added[k] = r;
      if (round >= 0 && r.ok) s[k].add.push(r.ms);
    }
    if (round === -1) connectivity = await checkConnectivity(c, nsP, nsF, added);
    for (const k of order) {
      const r = k === "plugin"
        ? await pluginDel(c, ids.plugin, nsP)
        : k === "floor"
        ? await floorDel(c, ids.floor)
        : await bridgeDel(c, ids.bridge, nsB);
      note(c, `${k} DEL`, r);
      if (round >= 0 && r.ok) s[k].del.push(r.ms);
    }
    const h = await inNetns(c.hv1.netns, ["/bin/true"]);
    if (round >= 0) harness.push(h.ms);
    if (round >= 0 && (round + 1) % 5 === 0) {
      progress(
        `  round ${round + 1}/${plan.rounds}: ADD plugin ${r1(p50(s.plugin.add))} floor ${
          r1(p50(s.floor.add))
        } bridge ${r1(p50(s.bridge.add))} ms (p50 so far)`,
      );
    }
  }
  return { s, harness, connectivity, pluginIds };
}

/** After the warm-up ADDs: both OVN containers reach their gateway (the router port). */
async function checkConnectivity(
  c: Ctx,
  nsP: string,
  nsF: string,
  added: Record<string, AddResult>,
): Promise<Record<string, boolean>> {
  const gw = String(c.conf.gateway);
  const ping = async (ns: string) =>
    (await c.sb.execIn(ns, ["ping", "-c", "1", "-W", "2", gw], { timeoutMs: 5000 })).code === 0;
  return {
    plugin: added.plugin?.ok === true && await ping(nsP),
    floor: added.floor?.ok === true && await ping(nsF),
  };
}

// ------------------------------------------------------------------ phase: VERSION start-up

async function phaseVersion(c: Ctx, plan: Plan) {
  const trivial = `${c.sb.dir}/trivial.js`;
  await Deno.writeTextFile(trivial, 'console.log("ok");\n');
  const version: number[] = [];
  const deno: number[] = [];
  const go: number[] = [];
  const verIn = JSON.stringify({ cniVersion: "0.4.0" });
  const env = { PATH, CNI_COMMAND: "VERSION" };
  for (let i = -2; i < plan.versionRuns; i++) {
    checkAbort();
    for (const k of rotate(["version", "deno", "go"], Math.max(i, 0))) {
      if (k === "version") {
        const p = must(await spawn([PLUGIN], { env, stdin: verIn, cwd: c.sb.dir }), "VERSION");
        if (i >= 0) version.push(p.ms);
      } else if (k === "deno") {
        const p = must(
          await spawn(["deno", "run", trivial], { env: { PATH }, stdin: "", cwd: c.sb.dir }),
          "deno run trivial",
        );
        if (i >= 0) deno.push(p.ms);
      } else {
        const p = must(
          await spawn([`${CNI_BIN}/bridge`], { env, stdin: verIn, cwd: c.sb.dir }),
          "bridge VERSION",
        );
        if (i >= 0) go.push(p.ms);
      }
    }
  }
  return { version, deno, go };
}

// ------------------------------------------------------------------ phase: spawns, CPU time

interface ExecEvent {
  pid: number;
  path: string;
  argv: string[];
}

/** Successful execs in `strace -f -s 4096 -e trace=execve` output (unfinished/resumed pairs too). */
function parseStrace(text: string): ExecEvent[] {
  const execs: ExecEvent[] = [];
  const pending = new Map<number, { path: string; argv: string[] }>();
  const parseCall = (rest: string) => {
    const path = rest.match(/^execve\("((?:[^"\\]|\\.)*)"/)?.[1] ?? "?";
    const arr = rest.match(/^execve\("(?:[^"\\]|\\.)*", \[(.*?)\](?:, |\s*<unfinished)/)?.[1] ??
      "";
    const argv = [...arr.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\"/g, '"'));
    return { path, argv };
  };
  for (const line of text.split("\n")) {
    const m = line.match(/^(\d+)\s+(.*)$/);
    if (!m) continue;
    const pid = Number(m[1]);
    const rest = m[2];
    if (rest.startsWith("execve(")) {
      const call = parseCall(rest);
      if (rest.includes("<unfinished ...>")) pending.set(pid, call);
      else if (/\)\s*=\s*0\s*$/.test(rest)) execs.push({ pid, ...call });
    } else if (rest.startsWith("<... execve resumed>")) {
      const p = pending.get(pid);
      pending.delete(pid);
      if (p && /=\s*0\s*$/.test(rest)) execs.push({ pid, ...p });
    }
  }
  return execs;
}

/** A short name for one child process: the tool and its (sub)commands. */
function label(argv: string[]): string {
  const base = (argv[0] ?? "?").split("/").pop()!;
  if (base === "ovn-nbctl" || base === "ovs-vsctl") {
    const cmds: string[] = [];
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] !== "--") continue;
      let j = i + 1;
      while (j < argv.length && argv[j].startsWith("--")) j++;
      if (argv[j]) cmds.push(argv[j]);
    }
    if (!cmds.length) {
      const first = argv.slice(1).find((a) => !a.startsWith("-"));
      if (first) cmds.push(first);
    }
    return `${base} ${cmds.join("+")}`;
  }
  if (base === "ip") {
    const a = argv.slice(1);
    if (a.includes("-batch")) return a.includes("-n") ? "ip -n CONTAINER -batch" : "ip -batch";
    return `ip ${a.filter((x) => !x.startsWith("-")).slice(0, 2).join(" ")}`;
  }
  if (base === "nsenter") {
    return `nsenter ${argv.find((x, i) => i > 0 && !x.startsWith("-")) ?? ""}`.trim();
  }
  return base;
}

interface SpawnCount {
  /** execs of the program's children (not the program itself, not its launcher) */
  childExecs: number;
  /** distinct child processes that exec'd (nsenter → ethtool is one process, two execs) */
  childProcs: number;
  /** execs of the program and its launcher (sh, //bin/true, deno) */
  launcherExecs: number;
  children: string[];
}

async function countSpawns(
  ns: string,
  argv: string[],
  env: Record<string, string>,
  stdin: string | undefined,
  file: string,
): Promise<SpawnCount> {
  const st = ["strace", "-f", "--seccomp-bpf", "-qq", "-s", "4096", "-e", "trace=execve"];
  must(await inNetns(ns, [...st, "-e", "signal=none", "-o", file, ...argv], env, stdin), argv[0]);
  const execs = parseStrace(await Deno.readTextFile(file));
  await Deno.remove(file).catch(() => {});
  const top = execs[0].pid;
  // the program's own pid runs sh then deno; the launcher's line 2 starts with //bin/true
  const launcher = execs.filter((e) => e.pid === top || e.argv[0] === "//bin/true");
  const children = execs.filter((e) => !launcher.includes(e));
  return {
    childExecs: children.length,
    childProcs: new Set(children.map((e) => e.pid)).size,
    launcherExecs: launcher.length,
    children: children.map((e) => label(e.argv)),
  };
}

/** CPU time (user + system, the program and all its children) of one run, ms. */
async function cpuOf(
  ns: string,
  argv: string[],
  env: Record<string, string>,
  stdin: string | undefined,
  file: string,
): Promise<number> {
  must(
    await inNetns(ns, ["/usr/bin/time", "-o", file, "-f", "%U %S", ...argv], env, stdin),
    argv[0],
  );
  const [u, sys] = (await Deno.readTextFile(file)).trim().split("\n").pop()!.split(" ").map(Number);
  await Deno.remove(file).catch(() => {});
  return (u + sys) * 1000;
}

type OpKey = "plugin_add" | "plugin_del" | "floor_add" | "floor_del" | "bridge_add" | "bridge_del";

/** The six operations as (netns, argv, env, stdin), for a fresh container id each time. */
async function ops(
  c: Ctx,
  r = remotes(c),
): Promise<Record<OpKey, [string, string[], Record<string, string>, string?]>> {
  const nsP = await netnsFor(c, "main-plugin");
  const nsF = await netnsFor(c, "main-floor");
  const nsB = await netnsFor(c, "main-bridge");
  const id = crypto.randomUUID(), fid = crypto.randomUUID(), bid = crypto.randomUUID();
  c.pluginIds.push(id);
  const br = [`${CNI_BIN}/bridge`];
  const conf = r.nb === c.sb.nbRemote
    ? c.mesosConf
    : JSON.stringify({ ...JSON.parse(c.mesosConf), nbRemote: r.nb, ovsDb: r.ovs });
  return {
    plugin_add: [c.hv1.netns, [PLUGIN], cniEnv("ADD", id, nsP, DIST), conf],
    plugin_del: [c.hv1.netns, [PLUGIN], cniEnv("DEL", id, nsP, DIST), conf],
    floor_add: [c.hv1.netns, floorAddArgv(c, fid, nsF, r), { PATH }],
    floor_del: [c.hv1.netns, floorDelArgv(c, fid, r), { PATH }],
    bridge_add: [c.bridgeNs, br, cniEnv("ADD", bid, nsB, CNI_BIN), c.bridgeConf],
    bridge_del: [c.bridgeNs, br, cniEnv("DEL", bid, nsB, CNI_BIN), c.bridgeConf],
  };
}

async function phaseSpawns(c: Ctx, plan: Plan) {
  const file = `${c.sb.dir}/measure.out`;
  const counts: Partial<Record<OpKey, SpawnCount[]>> = {};
  const cpu: Partial<Record<OpKey, number[]>> = {};
  for (let i = 0; i < plan.straceRuns; i++) {
    checkAbort();
    // ADD then DEL, in pairs, so every ADD is undone
    for (
      const [k, [ns, argv, env, stdin]] of Object.entries(await ops(c)) as [
        OpKey,
        [string, string[], Record<string, string>, string?],
      ][]
    ) {
      (counts[k] ??= []).push(await countSpawns(ns, argv, env, stdin, file));
    }
    for (
      const [k, [ns, argv, env, stdin]] of Object.entries(await ops(c)) as [
        OpKey,
        [string, string[], Record<string, string>, string?],
      ][]
    ) {
      (cpu[k] ??= []).push(await cpuOf(ns, argv, env, stdin, file));
    }
  }
  const spawns = Object.fromEntries(
    Object.entries(counts).map(([k, v]) => [k, {
      child_execs: p50(v.map((x) => x.childExecs)),
      child_processes: p50(v.map((x) => x.childProcs)),
      launcher_execs: p50(v.map((x) => x.launcherExecs)),
      children: v[0].children,
    }]),
  ) as Record<
    OpKey,
    { child_execs: number; child_processes: number; launcher_execs: number; children: string[] }
  >;
  const cpuMs = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, r1(p50(v))])) as Record<
    OpKey,
    number
  >;
  return { spawns, cpuMs };
}

// ------------------------------------------------------------------ phase: timeline (PATH shims)

const SHIMMED = ["ovn-nbctl", "ovs-vsctl", "ip", "nsenter"];

/**
 * A PATH directory whose ovn-nbctl, ovs-vsctl, ip and nsenter are bash wrappers logging
 * "start end argv" ($EPOCHREALTIME) around the real tool.  Unlike strace, nothing slows the
 * program itself; each tool start costs a bash start (~2-3 ms) more, for the plugin and the
 * floor alike.
 */
async function makeShims(dir: string, log: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  for (const tool of SHIMMED) {
    const real = which(tool);
    if (!real.startsWith("/")) throw new Error(`cannot find ${tool}`);
    await Deno.writeTextFile(
      `${dir}/${tool}`,
      `#!/bin/bash
s=$EPOCHREALTIME
${real} "$@"
rc=$?
e=$EPOCHREALTIME
IFS=$'\x1f'
printf '%s %s %s\n' "$s" "$e" "${tool}"$'\x1f'"$*" >> ${log}
exit $rc
`,
      { mode: 0o755 },
    );
  }
  return `${dir}:${PATH}`;
}

/** One JSON-RPC request and its reply, seen by an {@link RpcProxy}. */
interface RpcStep {
  label: string;
  /** epoch ms */
  start: number;
  end: number;
}

/**
 * A unix-socket proxy in front of an OVSDB server that notes when each JSON-RPC request passes
 * and when its reply comes back: where a program's in-process database work goes.  Bytes are
 * forwarded as they come; messages (JSON texts back to back) are split only for the log.
 */
export class RpcProxy {
  #listener: Deno.UnixListener;
  #conns = new Set<Deno.Conn>();
  #pending = new Map<string, { label: string; start: number }>();
  steps: RpcStep[] = [];
  #n = 0;

  constructor(readonly path: string, readonly target: string, readonly name: string) {
    this.#listener = Deno.listen({ transport: "unix", path });
    this.#accept();
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) this.#serve(client, ++this.#n);
    } catch { /* closed */ }
  }

  async #serve(client: Deno.Conn, n: number): Promise<void> {
    const t = performance.timeOrigin + performance.now();
    this.steps.push({ label: `${this.name} connection opened`, start: t, end: t });
    let server: Deno.Conn;
    try {
      server = await Deno.connect({ transport: "unix", path: this.target });
    } catch {
      client.close();
      return;
    }
    this.#conns.add(client);
    this.#conns.add(server);
    const pump = async (from: Deno.Conn, to: Deno.Conn, up: boolean) => {
      const split = jsonSplitter();
      const buf = new Uint8Array(1 << 16);
      try {
        while (true) {
          const k = await from.read(buf);
          if (k === null) break;
          const chunk = buf.slice(0, k);
          await writeAll(to, chunk);
          for (const text of split(chunk)) this.#note(text, up, n);
        }
      } catch { /* closed */ }
      for (const x of [from, to]) {
        try {
          x.close();
        } catch { /* closed */ }
        this.#conns.delete(x);
      }
    };
    pump(client, server, true);
    pump(server, client, false);
  }

  #note(text: string, up: boolean, n: number): void {
    const t = performance.timeOrigin + performance.now();
    let msg: { id?: unknown; method?: string; params?: unknown[] };
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.id === null || msg.id === undefined || msg.method === "echo") return;
    if (msg.method !== undefined) {
      let label = `${this.name} ${msg.method}`;
      if (msg.method === "transact") {
        const ops = (msg.params ?? []).slice(1) as {
          op: string;
          table?: string;
          columns?: string[];
        }[];
        label += " " +
          ops.map((o) =>
            o.op === "wait"
              ? `wait(${o.columns?.join(",") ?? ""})`
              : `${o.op} ${o.table ?? ""}`.trim()
          ).join(", ");
      }
      this.#pending.set(`${n}/${up}/${JSON.stringify(msg.id)}`, { label, start: t });
      return;
    }
    // a reply, to a request that went the other way
    const req = `${n}/${!up}/${JSON.stringify(msg.id)}`;
    const p = this.#pending.get(req);
    if (p) {
      this.#pending.delete(req);
      this.steps.push({ label: p.label, start: p.start, end: t });
    }
  }

  /** The steps noted since the last call. */
  take(): RpcStep[] {
    const s = this.steps;
    this.steps = [];
    this.#pending.clear();
    return s;
  }

  close(): void {
    try {
      this.#listener.close();
    } catch { /* closed */ }
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}

/** Splits a byte stream of back-to-back JSON texts (objects or arrays) into texts. */
function jsonSplitter(): (chunk: Uint8Array) => string[] {
  let depth = 0, inStr = false, esc = false;
  let parts: Uint8Array[] = [];
  const dec = new TextDecoder();
  return (chunk) => {
    const out: string[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (inStr) {
        if (esc) esc = false;
        else if (b === 0x5c) esc = true;
        else if (b === 0x22) inStr = false;
        continue;
      }
      if (b === 0x22) inStr = true;
      else if (b === 0x7b || b === 0x5b) depth++;
      else if ((b === 0x7d || b === 0x5d) && --depth === 0) {
        parts.push(chunk.slice(start, i + 1));
        const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
        let o = 0;
        for (const p of parts) {
          all.set(p, o);
          o += p.length;
        }
        out.push(dec.decode(all));
        parts = [];
        start = i + 1;
      }
    }
    if (depth > 0) parts.push(chunk.slice(start));
    return out;
  };
}

interface Timeline {
  total_ms: number;
  /** program start → first tool starts */
  startup_ms: number;
  /** last tool ends → program exits */
  tail_ms: number;
  /** time with no tool running: start-up, the program's own work between tools, exit */
  own_ms: number;
  steps: { label: string; start_ms: number; ms: number }[];
}

async function timelineRun(
  ns: string,
  argv: string[],
  env: Record<string, string>,
  stdin: string | undefined,
  log: string,
  proxies: RpcProxy[],
): Promise<Timeline> {
  await Deno.writeTextFile(log, "");
  for (const p of proxies) p.take();
  const start = performance.timeOrigin + performance.now();
  must(await inNetns(ns, argv, env, stdin), argv[0]);
  const end = performance.timeOrigin + performance.now();
  const tools = (await Deno.readTextFile(log)).split("\n").filter(Boolean).map((l) => {
    const [s, e, ...rest] = l.split(" ");
    const args = rest.join(" ").split("\x1f");
    return {
      label: label(args),
      start_ms: Number(s) * 1000 - start,
      ms: (Number(e) - Number(s)) * 1000,
    };
  });
  const rpcs = proxies.flatMap((p) => p.take()).map((r) => ({
    label: `  ${r.label}`,
    start_ms: r.start - start,
    ms: r.end - r.start,
  }));
  const steps = [...tools, ...rpcs].sort((a, b) => a.start_ms - b.start_ms);
  // time covered by at least one tool
  let covered = 0, until = -Infinity;
  for (const st of steps) {
    const a = Math.max(st.start_ms, until), b = st.start_ms + st.ms;
    if (b > a) covered += b - a;
    until = Math.max(until, b);
  }
  const total = end - start;
  return {
    total_ms: total,
    startup_ms: steps.length ? steps[0].start_ms : total,
    tail_ms: steps.length ? total - Math.max(...steps.map((x) => x.start_ms + x.ms)) : 0,
    own_ms: total - covered,
    steps,
  };
}

/** Median of each figure over runs; steps matched by label (and rank among equal labels). */
function medianTimeline(runs: Timeline[]) {
  const ref = runs.reduce((a, b) => b.steps.length > a.steps.length ? b : a);
  const steps = ref.steps.map((s, i) => {
    const rank = ref.steps.filter((x, j) => x.label === s.label && j < i).length;
    const got = runs.map((r) => r.steps.filter((x) => x.label === s.label)[rank]).filter(Boolean);
    return {
      label: s.label,
      start_ms: r1(p50(got.map((x) => x.start_ms))),
      ms: r1(p50(got.map((x) => x.ms))),
    };
  }).sort((a, b) => (a.start_ms ?? 0) - (b.start_ms ?? 0));
  return {
    total_ms: r1(p50(runs.map((r) => r.total_ms))),
    startup_ms: r1(p50(runs.map((r) => r.startup_ms))),
    own_ms: r1(p50(runs.map((r) => r.own_ms))),
    tail_ms: r1(p50(runs.map((r) => r.tail_ms))),
    steps,
  };
}

async function phaseTimeline(c: Ctx, runs: number) {
  const log = `${c.sb.dir}/shims.log`;
  const shimPath = await makeShims(`${c.sb.dir}/shims`, log);
  const nbPath = `${c.sb.dir}/proxy-nb.sock`, ovsPath = `${c.sb.dir}/proxy-ovs.sock`;
  const proxies = [
    new RpcProxy(nbPath, c.sb.nbRemote.replace(/^unix:/, ""), "NB"),
    new RpcProxy(ovsPath, `${c.hv1.dir}/db.sock`, "OVS"),
  ];
  const out: Partial<Record<OpKey, Timeline[]>> = {};
  try {
    for (let i = 0; i < runs; i++) {
      checkAbort();
      const o = await ops(c, { nb: `unix:${nbPath}`, ovs: `unix:${ovsPath}` });
      for (const k of ["plugin_add", "floor_add", "plugin_del", "floor_del"] as OpKey[]) {
        const [ns, argv, env, stdin] = o[k];
        (out[k] ??= []).push(
          await timelineRun(ns, argv, { ...env, PATH: shimPath }, stdin, log, proxies),
        );
      }
    }
  } finally {
    for (const p of proxies) p.close();
    for (const f of [log, nbPath, ovsPath]) await Deno.remove(f).catch(() => {});
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, medianTimeline(v)]));
}

// ------------------------------------------------------------------ phase: concurrency

async function phaseConcurrent(c: Ctx, plan: Plan) {
  const n = plan.concurrent;
  const nss: string[] = [];
  for (let i = 0; i < n; i++) nss.push(await netnsFor(c, `conc${String(i).padStart(3, "0")}`));
  checkAbort();
  // all at once
  const ids = nss.map(() => crypto.randomUUID());
  let start = performance.now();
  const adds = await Promise.all(ids.map((id, i) => pluginAdd(c, id, nss[i])));
  const concurrentWall = performance.now() - start;
  const failed = adds.filter((r) => !r.ok);
  for (const r of failed.slice(0, 3)) progress(`  concurrent ADD failed: ${r.err}`);
  const ips = new Set(adds.filter((r) => r.ok).map((r) => r.ip));
  const upCount = await countUpPorts(c, ids);
  start = performance.now();
  const dels = await Promise.all(ids.map((id, i) => pluginDel(c, id, nss[i])));
  const concurrentDelWall = performance.now() - start;
  const delFailed = dels.filter((r) => !r.ok);
  for (const r of delFailed.slice(0, 3)) progress(`  concurrent DEL failed: ${r.err}`);
  const leftAfterConcurrent = await leftovers(c);
  progress(
    `  ${n} at once: ADD wall ${
      Math.round(concurrentWall)
    } ms, ${failed.length} failed, ${ips.size} distinct; DEL wall ${
      Math.round(concurrentDelWall)
    } ms`,
  );
  checkAbort();
  // one after another
  const seqIds = nss.map(() => crypto.randomUUID());
  const seqAdds: AddResult[] = [];
  start = performance.now();
  for (let i = 0; i < n; i++) seqAdds.push(await pluginAdd(c, seqIds[i], nss[i]));
  const sequentialWall = performance.now() - start;
  const seqIps = new Set(seqAdds.filter((r) => r.ok).map((r) => r.ip));
  start = performance.now();
  const seqDels: AddResult[] = [];
  for (let i = 0; i < n; i++) seqDels.push(await pluginDel(c, seqIds[i], nss[i]));
  const sequentialDelWall = performance.now() - start;
  for (const r of [...seqAdds, ...seqDels].filter((r) => !r.ok).slice(0, 3)) {
    progress(`  sequential op failed: ${r.err}`);
  }
  progress(
    `  ${n} one after another: ADD wall ${Math.round(sequentialWall)} ms, DEL wall ${
      Math.round(sequentialDelWall)
    } ms`,
  );
  // the floor, the same way: is it the plugin or the machine (2 cores) and OVN?
  checkAbort();
  const fIds = nss.map(() => crypto.randomUUID());
  start = performance.now();
  const fAdds = await Promise.all(fIds.map((id, i) => floorAdd(c, id, nss[i])));
  const floorConcurrentWall = performance.now() - start;
  start = performance.now();
  const fDels = await Promise.all(fIds.map((id) => floorDel(c, id)));
  const floorConcurrentDelWall = performance.now() - start;
  const fSeq = nss.map(() => crypto.randomUUID());
  const fSeqRes: AddResult[] = [];
  start = performance.now();
  for (let i = 0; i < n; i++) fSeqRes.push(await floorAdd(c, fSeq[i], nss[i]));
  const floorSequentialWall = performance.now() - start;
  start = performance.now();
  for (let i = 0; i < n; i++) fSeqRes.push(await floorDel(c, fSeq[i]));
  const floorSequentialDelWall = performance.now() - start;
  const floorFailed = [...fAdds, ...fDels, ...fSeqRes].filter((r) => !r.ok);
  for (const r of floorFailed.slice(0, 3)) progress(`  floor op failed: ${r.err}`);
  progress(
    `  floor: ${n} at once ADD wall ${Math.round(floorConcurrentWall)} ms, DEL wall ${
      Math.round(floorConcurrentDelWall)
    } ms; one after another ADD ${Math.round(floorSequentialWall)} ms, DEL ${
      Math.round(floorSequentialDelWall)
    } ms`,
  );
  for (const [k, p] of [...c.netnsPool]) {
    if (k.startsWith("conc")) {
      await c.sb.removeContainerNetns(p);
      c.netnsPool.delete(k);
    }
  }
  return {
    ids: { concurrent: ids, sequential: seqIds },
    concurrent_adds: n,
    concurrent_failures: failed.length,
    concurrent_distinct_addresses: ips.size,
    concurrent_ports_up: upCount,
    concurrent_wall_ms: r1(concurrentWall),
    concurrent_add_max_ms: r1(Math.max(...adds.map((r) => r.ms))),
    concurrent_del_wall_ms: r1(concurrentDelWall),
    concurrent_del_failures: delFailed.length,
    concurrent_leftovers: leftAfterConcurrent,
    sequential_wall_ms: r1(sequentialWall),
    sequential_failures: seqAdds.filter((r) => !r.ok).length + seqDels.filter((r) => !r.ok).length,
    sequential_distinct_addresses: seqIps.size,
    sequential_del_wall_ms: r1(sequentialDelWall),
    floor_concurrent_wall_ms: r1(floorConcurrentWall),
    floor_concurrent_del_wall_ms: r1(floorConcurrentDelWall),
    floor_sequential_wall_ms: r1(floorSequentialWall),
    floor_sequential_del_wall_ms: r1(floorSequentialDelWall),
    floor_concurrent_failures: floorFailed.length,
    floor_concurrent_distinct_addresses: new Set(fAdds.filter((r) => r.ok).map((r) => r.ip)).size,
  };
}

/** How many of the plugin's ports for these container ids NB has with up=true. */
async function countUpPorts(c: Ctx, ids: string[]): Promise<number> {
  const out = await c.sb.nbctl(
    "--format=csv",
    "--no-headings",
    "--columns=name,up",
    "find",
    "Logical_Switch_Port",
    "up=true",
  );
  const want = new Set(ids.map((id) => names.containerPort(String(c.conf.name), id, "eth0")));
  return out.split("\n").filter((l) => want.has(l.split(",")[0].replaceAll('"', ""))).length;
}

/** What attachments are left on hv1: veths, OVS ports and NB ports of plugin or floor. */
async function leftovers(c: Ctx): Promise<string[]> {
  const left: string[] = [];
  const links = must(await inNetns(c.hv1.netns, ["ip", "-br", "link"]), "ip link");
  for (const l of links.stdout.split("\n")) {
    const n = l.split(/[\s@]/)[0];
    if (/^(ovm|flr)/.test(n)) left.push(`veth ${n}`);
  }
  const ports = await c.sb.vsctl(c.hv1, "list-ports", "br-int");
  for (const p of ports.split("\n")) if (/^(ovm|flr)/.test(p)) left.push(`ovs port ${p}`);
  const lsps = await c.sb.nbctl("--bare", "--columns=name", "list", "Logical_Switch_Port");
  for (const l of lsps.split(/\s+/)) {
    if (l.startsWith("floor/") || (l.startsWith(`${c.conf.name}/`) && !l.includes("/bulk-"))) {
      left.push(`lsp ${l}`);
    }
  }
  return left;
}

// ------------------------------------------------------------------ phase: scale (ports, hosts)

/** Brings the number of NB-only plugin ports on hv1's switch to n (one big nbctl call). */
async function setBulkPorts(c: Ctx, have: number, n: number): Promise<void> {
  if (n === have) return;
  const sw = String(c.conf.logicalSwitch);
  const net = String(c.conf.name);
  const args: string[] = ["--timeout=120"];
  const lsp = (i: number) => names.containerPort(net, `bulk-${String(i).padStart(4, "0")}`, "eth0");
  if (n > have) {
    for (let i = have; i < n; i++) {
      const id = `bulk-${String(i).padStart(4, "0")}`;
      args.push("--", "lsp-add", sw, lsp(i), "--", "lsp-set-addresses", lsp(i), "dynamic");
      args.push(
        "--",
        "set",
        "Logical_Switch_Port",
        lsp(i),
        ...extIds({
          [names.Ext.role]: "container-port",
          [names.Ext.host]: String(c.conf.hostId),
          [names.Ext.network]: net,
          [names.Ext.containerId]: id,
          [names.Ext.ifname]: "eth0",
          [names.Ext.version]: VERSION,
        }),
      );
    }
  } else {
    for (let i = n; i < have; i++) args.push("--", "lsp-del", lsp(i));
  }
  await c.sb.nbctl(...args);
  await c.sb.nbctl("--timeout=120", "--wait=hv", "sync");
}

/** Adds or removes the 99 NB-only hosts: switch, router port, port pair, host port each. */
async function setFakeHosts(c: Ctx, on: boolean): Promise<void> {
  const args: string[] = ["--timeout=120"];
  for (let k = 0; k < FAKE_HOSTS; k++) {
    const host = `fake${k + 1}`;
    const sw = names.hostSwitch(host);
    const rtos = names.routerToSwitchPort(host);
    const stor = names.switchToRouterPort(host);
    const port = names.agentPort(host);
    if (!on) {
      args.push("--", "--if-exists", "ls-del", sw, "--", "--if-exists", "lrp-del", rtos);
      continue;
    }
    const { subnet, gateway } = hostNet(k + 2);
    const ids = (role: string) =>
      extIds({ [names.Ext.role]: role, [names.Ext.host]: host, [names.Ext.version]: VERSION });
    args.push(
      ...["--", "--may-exist", "ls-add", sw],
      ...["--", "set", "Logical_Switch", sw, `other_config:subnet="${subnet}"`],
      `other_config:exclude_ips="${gateway}"`,
      ...ids("host-switch"),
      ...["--", "--may-exist", "lrp-add", names.CLUSTER_ROUTER, rtos, names.routerMac(gateway)],
      `${gateway}/${HOST_PREFIX}`,
      ...["--", "set", "Logical_Router_Port", rtos, ...ids("host-switch")],
      ...["--", "--may-exist", "lsp-add", sw, stor],
      ...["--", "set", "Logical_Switch_Port", stor, "type=router", "addresses=router"],
      `options:router-port=${rtos}`,
      ...ids("host-switch"),
      ...["--", "--may-exist", "lsp-add", sw, port],
      ...["--", "set", "Logical_Switch_Port", port, "addresses=dynamic", ...ids("host-port")],
    );
  }
  await c.sb.nbctl(...args);
  await c.sb.nbctl("--timeout=120", "--wait=hv", "sync");
}

/** `cycles` × (plugin ADD, floor ADD, plugin DEL, floor DEL), interleaved. */
async function addCycles(c: Ctx, cycles: number, into: { plugin: number[]; floor: number[] }) {
  const nsP = await netnsFor(c, "main-plugin");
  const nsF = await netnsFor(c, "main-floor");
  for (let i = 0; i < cycles; i++) {
    checkAbort();
    const id = crypto.randomUUID();
    const fid = crypto.randomUUID();
    const order = i % 2 ? ["floor", "plugin"] : ["plugin", "floor"];
    for (const k of order) {
      const r = k === "plugin" ? await pluginAdd(c, id, nsP) : await floorAdd(c, fid, nsF);
      note(c, `${k} ADD (scale)`, r);
      if (r.ok) into[k as "plugin" | "floor"].push(r.ms);
    }
    note(c, "plugin DEL (scale)", await pluginDel(c, id, nsP));
    note(c, "floor DEL (scale)", await floorDel(c, fid));
  }
}

async function phasePorts(c: Ctx, plan: Plan) {
  const at = new Map(
    SCALE_PORTS.map((n) => [n, { plugin: [] as number[], floor: [] as number[] }]),
  );
  let have = 0;
  const bulkMs: number[] = [];
  for (let round = 0; round < plan.scaleRounds; round++) {
    for (const n of rotate(SCALE_PORTS, round)) {
      checkAbort();
      const t = performance.now();
      await setBulkPorts(c, have, n);
      if (n > have) bulkMs.push(performance.now() - t);
      have = n;
      await addCycles(c, plan.scaleCycles, at.get(n)!);
      progress(
        `  ${n} ports: ADD p50 plugin ${r1(p50(at.get(n)!.plugin))} floor ${
          r1(p50(at.get(n)!.floor))
        } ms`,
      );
    }
  }
  // where ADD's time goes with 1,000 ports
  await setBulkPorts(c, have, 1000);
  const timeline = await phaseTimeline(c, plan.timelineRuns);
  await setBulkPorts(c, 1000, 0);
  return { at, bulkMs, timeline };
}

async function phaseHosts(c: Ctx, plan: Plan) {
  const at = new Map([1, 100].map((n) => [n, { plugin: [] as number[], floor: [] as number[] }]));
  const nodeInit = new Map<number, number[]>([[1, []], [100, []]]);
  const hv2 = c.hv2;
  const env = { PATH, ...hv2.env };
  const net = hostNet(1);
  const nodeInitArgs = [
    "node-init",
    `--subnet=${net.subnet}`,
    `--cluster_subnet=${CLUSTER_SUBNET}`,
    `--gateway=${net.gateway}/${HOST_PREFIX}`,
    `--config_dir=${c.sb.dir}/cni-hv2`,
    `--log-file=${c.sb.dir}/plugin-hv2.log`,
  ];
  const timelines: Record<number, ReturnType<typeof medianTimeline>> = {};
  let fakes = false;
  for (let round = 0; round < plan.scaleRounds; round++) {
    for (const n of rotate([1, 100], round)) {
      checkAbort();
      if ((n === 100) !== fakes) {
        await setFakeHosts(c, n === 100);
        fakes = n === 100;
      }
      // node-init on hv2 with n hosts already in NB, then undo it (untimed)
      for (let j = 0; j < Math.max(1, Math.ceil(plan.scaleCycles / 2)); j++) {
        // let northd and every ovn-controller settle first (node-remove, ADD/DEL churn)
        await c.sb.nbctl("--timeout=60", "--wait=hv", "sync");
        const p = must(await inNetns(hv2.netns, [DRIVER, ...nodeInitArgs], env), "node-init hv2");
        nodeInit.get(n)!.push(p.ms);
        must(
          await inNetns(
            hv2.netns,
            [DRIVER, "node-remove", `--config_dir=${c.sb.dir}/cni-hv2`],
            env,
          ),
          "node-remove hv2",
        );
      }
      if (round === plan.scaleRounds - 1) {
        // once more, with the PATH shims and a logging proxy in front of NB: where it goes
        await c.sb.nbctl("--timeout=60", "--wait=hv", "sync");
        const log = `${c.sb.dir}/shims.log`;
        const shimPath = await makeShims(`${c.sb.dir}/shims`, log);
        const proxyPath = `${c.sb.dir}/proxy-nb.sock`;
        const proxy = new RpcProxy(proxyPath, c.sb.nbRemote.replace(/^unix:/, ""), "NB");
        try {
          timelines[n] = medianTimeline([
            await timelineRun(
              hv2.netns,
              [DRIVER, ...nodeInitArgs],
              { ...env, PATH: shimPath, OVN_NB_DB: `unix:${proxyPath}` },
              undefined,
              log,
              [proxy],
            ),
          ]);
        } finally {
          proxy.close();
          for (const f of [log, proxyPath]) await Deno.remove(f).catch(() => {});
        }
        must(
          await inNetns(
            hv2.netns,
            [DRIVER, "node-remove", `--config_dir=${c.sb.dir}/cni-hv2`],
            env,
          ),
          "node-remove hv2",
        );
      }
      await c.sb.nbctl("--timeout=60", "--wait=hv", "sync");
      await addCycles(c, plan.scaleCycles, at.get(n)!);
      progress(
        `  ${n} hosts: ADD p50 plugin ${r1(p50(at.get(n)!.plugin))} floor ${
          r1(p50(at.get(n)!.floor))
        } ms; node-init p50 ${r1(p50(nodeInit.get(n)!))} ms`,
      );
    }
  }
  if (fakes) await setFakeHosts(c, false);
  return { at, nodeInit, timelines };
}

// ------------------------------------------------------------------ plugin log

/** The plugin's own time per operation, from its log lines "ADD <id> eth0: … (N ms)". */
async function pluginLogTimes(c: Ctx): Promise<Map<string, { add?: number; del?: number }>> {
  const text = await Deno.readTextFile(`${c.sb.dir}/plugin-hv1.log`).catch(() => "");
  const out = new Map<string, { add?: number; del?: number }>();
  for (const l of text.split("\n")) {
    const m = l.match(/\] (ADD|DEL) (\S+) eth0: .*\((\d+) ms\)$/);
    if (!m) continue;
    const e = out.get(m[2]) ?? {};
    e[m[1] === "ADD" ? "add" : "del"] = Number(m[3]);
    out.set(m[2], e);
  }
  return out;
}

function logged(log: Map<string, { add?: number; del?: number }>, ids: string[], k: "add" | "del") {
  return ids.map((id) => log.get(id)?.[k]).filter((x): x is number => x !== undefined);
}

// ------------------------------------------------------------------ report

interface Check {
  key: string;
  what: string;
  value: string;
  target: string;
  ok: boolean | null;
}

function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? "")].length)));
  return rows.map((r) => r.map((x, i) => x.padEnd(w[i])).join("  ").trimEnd()).join("\n");
}

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

function render(j: Json, checks: Check[]): string {
  const f = (x: unknown) => x === null || x === undefined ? "-" : String(x);
  const out: string[] = [];
  out.push(
    `ovn-mesos bench (${j.quick ? "quick" : "full"}): ${j.rounds} interleaved rounds; ` +
      `times are wall ms seen by the caller (p50 / p90)`,
  );
  out.push("");
  out.push(table([
    ["", "ADD p50", "ADD p90", "DEL p50", "DEL p90", "spawns/ADD", "spawns/DEL"],
    [
      "ovn-mesos-plugin",
      f(j.add_p50_ms),
      f(j.add_p90_ms),
      f(j.del_p50_ms),
      f(j.del_p90_ms),
      f(j.spawns_per_add),
      f(j.spawns_per_del),
    ],
    [
      "floor (scripts/floor_*.sh)",
      f(j.add_floor_p50_ms),
      f(j.add_floor_p90_ms),
      f(j.del_floor_p50_ms),
      f(j.del_floor_p90_ms),
      f(j.floor_spawns_per_add),
      f(j.floor_spawns_per_del),
    ],
    [
      "Go bridge + host-local",
      f(j.bridge_add_p50_ms),
      f(j.bridge_add_p90_ms),
      f(j.bridge_del_p50_ms),
      f(j.bridge_del_p90_ms),
      f(j.bridge_spawns_per_add),
      f(j.bridge_spawns_per_del),
    ],
  ]));
  out.push(
    `(each includes \`ip netns exec\` + spawn from Deno: ${f(j.harness_p50_ms)} ms p50; ` +
      `the plugin's own logged time: ADD ${f(j.add_internal_p50_ms)}, DEL ${
        f(j.del_internal_p50_ms)
      } ms p50)`,
  );
  out.push("");
  out.push(table([
    ["start-up", "p50", "p90"],
    ["ovn-mesos-plugin VERSION", f(j.version_p50_ms), f(j.version_p90_ms)],
    ["deno run (one-line file)", f(j.deno_trivial_p50_ms), f(j.deno_trivial_p90_ms)],
    ["Go bridge VERSION", f(j.bridge_version_p50_ms), f(j.bridge_version_p90_ms)],
  ]));
  out.push("");
  out.push(table([
    ["scale (ADD p50 ms)", "plugin", "floor"],
    ["0 ports on the host", f(j.add_p50_ms_ports_0), f(j.floor_add_p50_ms_ports_0)],
    ["250 ports", f(j.add_p50_ms_ports_250), f(j.floor_add_p50_ms_ports_250)],
    ["1,000 ports", f(j.add_p50_ms_ports_1000), f(j.floor_add_p50_ms_ports_1000)],
    ["ratio 1,000 / 0 ports", `${f(j.scale_ratio_1000)}×`, `${f(j.floor_scale_ratio_1000)}×`],
    ["1 host in NB", f(j.add_p50_ms_hosts_1), f(j.floor_add_p50_ms_hosts_1)],
    ["100 hosts in NB", f(j.add_p50_ms_hosts_100), f(j.floor_add_p50_ms_hosts_100)],
    ["ratio 100 / 1 hosts", `${f(j.hosts_ratio_100)}×`, `${f(j.floor_hosts_ratio_100)}×`],
    ["node-init, 1 host already", f(j.node_init_ms_1), ""],
    ["node-init, 100 hosts already", f(j.node_init_ms_100), ""],
  ]));
  out.push("");
  out.push(
    `concurrency: ${j.concurrent_adds} ADDs at once: wall ${j.concurrent_wall_ms} ms, ` +
      `${j.concurrent_failures} failed, ${j.concurrent_distinct_addresses} distinct addresses, ` +
      `${j.concurrent_ports_up} ports up; DELs at once: wall ${j.concurrent_del_wall_ms} ms, ` +
      `${j.concurrent_del_failures} failed; one after another: ADD wall ${j.sequential_wall_ms} ms, ` +
      `DEL wall ${j.sequential_del_wall_ms} ms`,
  );
  out.push(
    `  the plugin's own logged time per op (p50): at once ADD ${j.concurrent_add_internal_p50_ms} ` +
      `(max ${j.concurrent_add_internal_max_ms}), DEL ${j.concurrent_del_internal_p50_ms}; ` +
      `one after another ADD ${j.sequential_add_internal_p50_ms}, DEL ${j.sequential_del_internal_p50_ms} ms`,
  );
  out.push(
    `  the floor, the same way: at once ADD ${j.floor_concurrent_wall_ms} ms, DEL ${j.floor_concurrent_del_wall_ms} ms; ` +
      `one after another ADD ${j.floor_sequential_wall_ms} ms, DEL ${j.floor_sequential_del_wall_ms} ms ` +
      `(${j.floor_concurrent_failures} failed, ${j.floor_concurrent_distinct_addresses} distinct)`,
  );
  out.push("");
  out.push(
    `CPU ms per operation (user+sys incl. children, p50): ` +
      Object.entries(j.cpu_ms as Json).map(([k, v]) => `${k} ${v}`).join(", "),
  );
  for (const ports of [0, 1000]) {
    for (const [name, tr] of Object.entries(j[`timeline_ports_${ports}`] as Json)) {
      out.push("");
      out.push(
        `where ${
          name.replace("_", " ").toUpperCase()
        } goes at ${ports} ports (PATH shims, p50 of ${j.timeline_runs}): ` +
          `total ${tr.total_ms} ms; first tool after ${tr.startup_ms} ms; ` +
          `no tool running for ${tr.own_ms} ms; exit ${tr.tail_ms} ms after the last tool`,
      );
      for (const s of tr.steps) {
        out.push(
          `  at +${String(s.start_ms).padStart(6)} ms for ${
            String(s.ms).padStart(6)
          } ms  ${s.label}`,
        );
      }
    }
  }
  for (const [k, tr] of Object.entries(j.timeline_node_init as Json)) {
    if (!tr) continue;
    out.push("");
    out.push(
      `where NODE-INIT goes with ${k.split("_")[1]} host(s) already in NB (one run): ` +
        `total ${tr.total_ms} ms; first tool after ${tr.startup_ms} ms; ` +
        `no tool running for ${tr.own_ms} ms`,
    );
    for (const s of tr.steps) {
      out.push(
        `  at +${String(s.start_ms).padStart(6)} ms for ${String(s.ms).padStart(6)} ms  ${s.label}`,
      );
    }
  }
  out.push("");
  out.push(
    `plugin lock files of this run's attachments found and removed afterwards: ${j.plugin_lock_files_left} (of ${j.plugin_attachments} attachments)`,
  );
  out.push("");
  out.push(table([
    ["target", "value", "goal", ""],
    ...checks.map((c) => [c.what, c.value, c.target, c.ok === null ? "?" : c.ok ? "✓" : "✗"]),
  ]));
  if (j.failures.length) {
    out.push("");
    out.push(`failures (${j.failures.length}):`);
    for (const x of j.failures.slice(0, 10)) out.push(`  ${x}`);
  }
  if (j.leftovers.length) out.push(`leftovers: ${j.leftovers.join(", ")}`);
  return out.join("\n");
}

// ------------------------------------------------------------------ main

async function preflight(): Promise<void> {
  const problems: string[] = [];
  if (Deno.uid?.() !== 0) problems.push("run as root (namespaces, OVS)");
  for (const f of [`${BUILT}/ovn-mesos`, `${BUILT}/ovn-mesos-plugin`]) {
    try {
      await Deno.stat(f);
    } catch {
      problems.push(`${f} is missing: run scripts/build first`);
    }
  }
  for (const f of [FLOOR_ADD, FLOOR_DEL, `${CNI_BIN}/bridge`, `${CNI_BIN}/host-local`]) {
    try {
      await Deno.stat(f);
    } catch {
      problems.push(`${f} is missing (scripts/setup installs containernetworking-plugins)`);
    }
  }
  if ((await spawn(["strace", "-V"]).catch(() => ({ code: 1 }))).code !== 0) {
    problems.push("strace is missing (scripts/setup installs it)");
  }
  if (problems.length) throw new Error(problems.join("\n"));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(
      "usage: scripts/bench [--quick] [--json]\n" +
        "  --quick  a few iterations (smoke run, < 1 min)\n" +
        "  --json   print one JSON object on stdout (the table goes to stderr)",
    );
    return 0;
  }
  const plan = values.quick ? QUICK : FULL;
  await preflight();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => {
      if (aborted) Deno.exit(130);
      aborted = true;
      progress(`${sig}: stopping at the next step and tearing down (again to exit at once)`);
    });
  }
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  progress(`sandbox up (2 hosts); load average ${load}`);
  let sbName = "", sbDir = "";
  let lockFiles = 0;
  const result = await withSandbox({ hosts: 2 }, async (sb) => {
    sbName = sb.name;
    sbDir = sb.dir;
    const c = await setUp(sb);
    try {
      progress(`sandbox ${sb.name} ready; main: ${plan.rounds} rounds plugin / floor / Go bridge`);
      const main = await phaseMain(c, plan);
      progress(`VERSION start-up: ${plan.versionRuns} runs each`);
      const ver = await phaseVersion(c, plan);
      progress(`spawns (strace) and CPU time: ${plan.straceRuns} runs each`);
      const sp = await phaseSpawns(c, plan);
      progress(`where the time goes (PATH shims): ${plan.timelineRuns} runs each`);
      const timeline = await phaseTimeline(c, plan.timelineRuns);
      progress(`concurrency: ${plan.concurrent} ADDs at once, then one after another`);
      const conc = await phaseConcurrent(c, plan);
      progress(`scale: ADD with ${SCALE_PORTS.join(" / ")} ports on the host`);
      const ports = await phasePorts(c, plan);
      progress(`scale: ADD and node-init with 1 / 100 hosts in NB`);
      const hosts = await phaseHosts(c, plan);
      const logT = await pluginLogTimes(c);
      const left = await leftovers(c);
      return { main, ver, sp, timeline, conc, ports, hosts, logT, left, c };
    } finally {
      // the plugin's lock files live outside the sandbox: remove the ones our attachments made
      for (const id of c.pluginIds) {
        const veth = await names.hostVethName(String(c.conf.name), id, "eth0");
        try {
          await Deno.remove(`${PLUGIN_LOCK_DIR}/${veth}.lock`);
          lockFiles++;
        } catch { /* none */ }
      }
      await spawn(["ip", "netns", "del", c.bridgeNs]);
    }
  });
  // after teardown: nothing of ours may be left
  const after: string[] = [];
  const netns = (await spawn(["ip", "netns", "list"])).stdout;
  for (const l of netns.split("\n")) {
    if (l.startsWith(`${sbName}-`)) after.push(`netns ${l.split(" ")[0]}`);
  }
  try {
    await Deno.stat(sbDir);
    after.push(`dir ${sbDir}`);
  } catch { /* gone */ }
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
      if (cmd.includes(`${sbDir}/`)) after.push(`process ${e.name}`);
    } catch { /* gone */ }
  }

  const { main: m, ver, sp, timeline, conc, ports, hosts, logT, left, c } = result;
  const s = m.s;
  const { ids: _ids, ...concFigures } = conc;
  const harness = p50(m.harness);
  const pAt = (n: number) => p50(ports.at.get(n)!.plugin);
  const fAt = (n: number) => p50(ports.at.get(n)!.floor);
  const j: Json = {
    quick: plan.quick,
    rounds: plan.rounds,
    strace_runs: plan.straceRuns,
    timeline_runs: plan.timelineRuns,
    load_average_at_start: load,
    dist_sha256_prefix: distDigest,
    add_p50_ms: r1(p50(s.plugin.add)),
    add_p90_ms: r1(p90(s.plugin.add)),
    add_floor_p50_ms: r1(p50(s.floor.add)),
    add_floor_p90_ms: r1(p90(s.floor.add)),
    add_ratio: r2(p50(s.plugin.add) / p50(s.floor.add)),
    del_p50_ms: r1(p50(s.plugin.del)),
    del_p90_ms: r1(p90(s.plugin.del)),
    del_floor_p50_ms: r1(p50(s.floor.del)),
    del_floor_p90_ms: r1(p90(s.floor.del)),
    del_ratio: r2(p50(s.plugin.del) / p50(s.floor.del)),
    bridge_add_p50_ms: r1(p50(s.bridge.add)),
    bridge_add_p90_ms: r1(p90(s.bridge.add)),
    bridge_del_p50_ms: r1(p50(s.bridge.del)),
    bridge_del_p90_ms: r1(p90(s.bridge.del)),
    harness_p50_ms: r1(harness),
    add_ratio_net: r2((p50(s.plugin.add) - harness) / (p50(s.floor.add) - harness)),
    del_ratio_net: r2((p50(s.plugin.del) - harness) / (p50(s.floor.del) - harness)),
    add_internal_p50_ms: r1(p50(logged(logT, m.pluginIds, "add"))),
    del_internal_p50_ms: r1(p50(logged(logT, m.pluginIds, "del"))),
    connectivity_ok: m.connectivity,
    version_p50_ms: r1(p50(ver.version)),
    version_p90_ms: r1(p90(ver.version)),
    deno_trivial_p50_ms: r1(p50(ver.deno)),
    deno_trivial_p90_ms: r1(p90(ver.deno)),
    version_ratio: r2(p50(ver.version) / p50(ver.deno)),
    bridge_version_p50_ms: r1(p50(ver.go)),
    bridge_version_p90_ms: r1(p90(ver.go)),
    spawns_per_add: sp.spawns.plugin_add.child_execs,
    spawns_per_del: sp.spawns.plugin_del.child_execs,
    processes_per_add: sp.spawns.plugin_add.child_processes,
    processes_per_del: sp.spawns.plugin_del.child_processes,
    launcher_execs: sp.spawns.plugin_add.launcher_execs,
    floor_spawns_per_add: sp.spawns.floor_add.child_execs,
    floor_spawns_per_del: sp.spawns.floor_del.child_execs,
    bridge_spawns_per_add: sp.spawns.bridge_add.child_execs,
    bridge_spawns_per_del: sp.spawns.bridge_del.child_execs,
    spawned: Object.fromEntries(Object.entries(sp.spawns).map(([k, v]) => [k, v.children])),
    cpu_ms: sp.cpuMs,
    ...concFigures,
    concurrent_add_internal_p50_ms: r1(p50(logged(logT, conc.ids.concurrent, "add"))),
    concurrent_add_internal_max_ms: r1(Math.max(...logged(logT, conc.ids.concurrent, "add"))),
    concurrent_del_internal_p50_ms: r1(p50(logged(logT, conc.ids.concurrent, "del"))),
    sequential_add_internal_p50_ms: r1(p50(logged(logT, conc.ids.sequential, "add"))),
    sequential_del_internal_p50_ms: r1(p50(logged(logT, conc.ids.sequential, "del"))),
    add_p50_ms_ports_0: r1(pAt(0)),
    add_p50_ms_ports_250: r1(pAt(250)),
    add_p50_ms_ports_1000: r1(pAt(1000)),
    floor_add_p50_ms_ports_0: r1(fAt(0)),
    floor_add_p50_ms_ports_250: r1(fAt(250)),
    floor_add_p50_ms_ports_1000: r1(fAt(1000)),
    scale_ratio_250: r2(pAt(250) / pAt(0)),
    scale_ratio_1000: r2(pAt(1000) / pAt(0)),
    floor_scale_ratio_1000: r2(fAt(1000) / fAt(0)),
    bulk_add_ports_ms: ports.bulkMs.map((x) => Math.round(x)),
    add_p50_ms_hosts_1: r1(p50(hosts.at.get(1)!.plugin)),
    add_p50_ms_hosts_100: r1(p50(hosts.at.get(100)!.plugin)),
    floor_add_p50_ms_hosts_1: r1(p50(hosts.at.get(1)!.floor)),
    floor_add_p50_ms_hosts_100: r1(p50(hosts.at.get(100)!.floor)),
    hosts_ratio_100: r2(p50(hosts.at.get(100)!.plugin) / p50(hosts.at.get(1)!.plugin)),
    floor_hosts_ratio_100: r2(p50(hosts.at.get(100)!.floor) / p50(hosts.at.get(1)!.floor)),
    node_init_ms_1: r1(p50(hosts.nodeInit.get(1)!)),
    node_init_ms_100: r1(p50(hosts.nodeInit.get(100)!)),
    timeline_ports_0: timeline,
    timeline_ports_1000: ports.timeline,
    timeline_node_init: { hosts_1: hosts.timelines[1], hosts_100: hosts.timelines[100] },
    failures: c.failures,
    leftovers: [...left, ...after],
    plugin_lock_files_left: lockFiles,
    plugin_attachments: c.pluginIds.length,
  };
  const checks: Check[] = [
    {
      key: "add_ratio",
      what: "ADD p50 / floor",
      value: `${j.add_ratio}×`,
      target: "≤ 1.25×",
      ok: j.add_ratio <= 1.25,
    },
    {
      key: "del_ratio",
      what: "DEL p50 / floor",
      value: `${j.del_ratio}×`,
      target: "≤ 1.25×",
      ok: j.del_ratio <= 1.25,
    },
    {
      key: "version_ratio",
      what: "VERSION p50 / trivial deno",
      value: `${j.version_ratio}×`,
      target: "≤ 1.2×",
      ok: j.version_ratio <= 1.2,
    },
    {
      key: "spawns_per_add",
      what: "spawns per ADD",
      value: String(j.spawns_per_add),
      target: "≤ 5",
      ok: j.spawns_per_add <= 5,
    },
    {
      key: "spawns_per_del",
      what: "spawns per DEL",
      value: String(j.spawns_per_del),
      target: "≤ 4",
      ok: j.spawns_per_del <= 4,
    },
    {
      key: "concurrent_failures",
      what: `${j.concurrent_adds} ADDs at once: failures`,
      value: String(j.concurrent_failures),
      target: "0",
      ok: j.concurrent_failures === 0,
    },
    {
      key: "concurrent_distinct_addresses",
      what: `${j.concurrent_adds} ADDs at once: distinct addresses`,
      value: String(j.concurrent_distinct_addresses),
      target: String(j.concurrent_adds),
      ok: j.concurrent_distinct_addresses === j.concurrent_adds,
    },
    {
      key: "concurrent_wall_ms",
      what: `${j.concurrent_adds} ADDs at once: wall`,
      value: `${j.concurrent_wall_ms} ms`,
      target: `< sequential ${j.sequential_wall_ms} ms`,
      ok: j.concurrent_wall_ms < j.sequential_wall_ms,
    },
    {
      key: "scale_ratio_1000",
      what: "ADD p50 at 1,000 ports / at 0",
      value: `${j.scale_ratio_1000}×`,
      target: "≤ 1.2×",
      ok: j.scale_ratio_1000 <= 1.2,
    },
    {
      key: "failures",
      what: "failed operations (other phases)",
      value: String(c.failures.length),
      target: "0",
      ok: c.failures.length === 0,
    },
    {
      key: "leftovers",
      what: "left behind (after DELs, after teardown)",
      value: String(j.leftovers.length),
      target: "0",
      ok: j.leftovers.length === 0,
    },
  ];
  j.targets = Object.fromEntries(
    checks.map((k) => [k.key, { value: k.value, target: k.target, ok: k.ok }]),
  );
  if (values.json) {
    // the table too, on stderr, so that one run gives both
    console.error(render(j, checks));
    console.log(JSON.stringify(j, null, 2));
  } else {
    console.log(render(j, checks));
  }
  progress("done; sandbox torn down");
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`bench: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
