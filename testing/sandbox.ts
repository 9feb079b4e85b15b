/**
 * A real, local OVN sandbox: OVN central (NB + SB ovsdb-server, ovn-northd) and N simulated
 * hypervisors ("hosts"), each in its own network namespace with its own ovsdb-server,
 * ovs-vswitchd (userspace datapath) and ovn-controller, joined by a Geneve underlay that
 * lives in a namespace of its own.  Follows shared/reference/ovn-sandbox-recipe.sh.  Test
 * support (tests/, scripts/demo.ts and scripts/bench/ use it); also usable by hand.
 *
 * Library:
 *   const sb = await Sandbox.up({ hosts: 2 });  ...  await sb.down();
 *   await withSandbox({}, async (sb) => { ... });
 *   await withSandbox({ clustered: true }, async (sb) => {      // NB and SB as RAFT clusters
 *     const leader = await sb.leader("nb");                     // ClusterMember
 *     await sb.killMember("nb", leader.index); … await sb.restartMember("nb", leader.index);
 *   });
 *
 * CLI:
 *   deno run -A testing/sandbox.ts up [--hosts N] [--name NAME] [--dir DIR] [--clustered]
 *   deno run -A testing/sandbox.ts env NAME HOST
 *   deno run -A testing/sandbox.ts status NAME
 *   deno run -A testing/sandbox.ts down NAME
 *   deno run -A testing/sandbox.ts gc
 *
 * Processes run through testing/run.ts (dax).  Every namespace it makes is named `${name}-…`; every daemon writes a pidfile under the
 * sandbox dir and is stopped by that pid (never by process name).  What is started is
 * recorded (in memory and in `<dir>/sandbox.json`) *before* it is started, so down() can
 * undo a partial up(), and a separate process can tear a sandbox down by name.
 */
import { $ } from "dax";
import { parseArgs } from "node:util";
import { DEFAULT_PATH, run, runOk, type RunResult } from "./run.ts";

export type { RunResult };

export interface SandboxHost {
  /** e.g. "hv1": also the OVS system-id, the hostname and the chassis name */
  name: string;
  /** network namespace of the host, e.g. `${sandbox.name}-hv1` */
  netns: string;
  /** state dir: conf.db, db.sock, pidfiles, logs (OVS_RUNDIR etc. point here) */
  dir: string;
  /** underlay tunnel (Geneve) IP */
  encapIp: string;
  /** OVS_RUNDIR OVS_DBDIR OVS_LOGDIR OVS_SYSCONFDIR OVN_RUNDIR OVN_LOGDIR = dir, OVN_NB_DB, OVN_SB_DB */
  env: Record<string, string>;
}

export interface SandboxOptions {
  /** number of hosts (hypervisors), 1..250; default 2 */
  hosts?: number;
  /** [a-z][a-z0-9]{0,7}; default "sbx" + 4 random hex digits */
  name?: string;
  /** state dir; default /tmp/ovn-mesos-sandbox/<name>.  Must not exist yet. */
  baseDir?: string;
  /**
   * NB and SB each as a three-member RAFT cluster (three ovsdb-server per database, each with
   * its own db file, pidfile, unix socket, --unixctl socket and raft port on 127.0.0.1).
   * `nbRemote`/`sbRemote` are then the members' unix sockets, comma-separated, as every host,
   * ovn-northd and ovn-nbctl take them.  About a second slower to come up (the first election).
   */
  clustered?: boolean;
  /** Test hook: make up() fail at a step, e.g. "hv2:ovs-vswitchd" (after that daemon started)
   * or "central" — to test the cleanup of a partial up(). */
  _failAt?: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  stdin?: string;
  timeoutMs?: number;
  /** if true: ONLY host.env + opts.env + PATH (like the Mesos agent does for CNI plugins) */
  cleanEnv?: boolean;
}

export interface Leftovers {
  /** live daemons of this sandbox (from pidfiles, and any process naming the sandbox dir) */
  pids: number[];
  /** network namespaces (in /run/netns) whose name starts with `${name}-` */
  netns: string[];
  /** mount points under the sandbox dir (container netns bind mounts), in any mount namespace */
  mounts: string[];
}

/** NB or SB. */
export type CentralDb = "nb" | "sb";

/** One member of a clustered NB or SB (see {@link SandboxOptions.clustered}). */
export interface ClusterMember {
  db: CentralDb;
  /** 1..3: its place in nbRemote / sbRemote */
  index: number;
  /** `unix:<dir>/central/ovnnb_db1.sock`: reachable from every netns */
  remote: string;
  /** `tcp:127.0.0.1:PORT` (root netns loopback only) */
  tcp: string;
  /** the raft address, `tcp:127.0.0.1:PORT` */
  raft: string;
  dbFile: string;
  pidfile: string;
  /** its --unixctl socket: `ovs-appctl -t CTL cluster/status OVN_Northbound` */
  ctl: string;
  log: string;
}

export const DEFAULT_BASE = "/tmp/ovn-mesos-sandbox";
const STATE_FILE = "sandbox.json";
const STATE_MAGIC = "ovn-mesos-sandbox/v1";
const NAME_RE = /^[a-z][a-z0-9]{0,7}$/;
const MAX_HOSTS = 250;
/** Underlay /24: exists only inside the sandbox's own underlay namespace (RFC 2544 range). */
const UL_NET = "198.18.0";
/** > 1500 + Geneve overhead, so overlay packets never need fragmenting */
const UL_MTU = 9000;
const UL_BRIDGE = "ulbr";
const NETNS_DIR = "/run/netns";
const DAEMON_COMMS = new Set(["ovsdb-server", "ovs-vswitchd", "ovn-controller", "ovn-northd"]);
const OVN_NB_SCHEMA = "/usr/share/ovn/ovn-nb.ovsschema";
const OVN_SB_SCHEMA = "/usr/share/ovn/ovn-sb.ovsschema";
const OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";
const DB_NAME: Record<CentralDb, string> = { nb: "OVN_Northbound", sb: "OVN_Southbound" };
const DB_SCHEMA: Record<CentralDb, string> = { nb: OVN_NB_SCHEMA, sb: OVN_SB_SCHEMA };
const CLUSTER_SIZE = 3;

// ------------------------------------------------------------------ process helpers

/** `ip -n NS ARGS…` (throws on failure) */
function ipn(ns: string, ...args: string[]): Promise<string> {
  return runOk(["ip", "-n", ns, ...args]);
}

/** `ip netns exec NS ARGV…` (throws on failure) */
function nsx(ns: string, ...argv: string[]): Promise<string> {
  return runOk(["ip", "netns", "exec", ns, ...argv]);
}

const NO_IPV6 = ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"];

/** Like Promise.all, but waits for every promise to settle before rethrowing the first error
 * (so a teardown after a failure never races something still being started). */
async function settleAll<T>(ps: Promise<T>[]): Promise<T[]> {
  const rs = await Promise.allSettled(ps);
  const bad = rs.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (bad) throw bad.reason;
  return rs.map((r) => (r as PromiseFulfilledResult<T>).value);
}

async function waitFor(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (true) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timeout after ${timeoutMs} ms waiting for ${what}`);
    await $.sleep(20);
  }
}

// ------------------------------------------------------------------ /proc helpers

/** Process state letter from /proc/PID/stat, or null if there is no such process. */
function procState(pid: number): string | null {
  try {
    const s = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return s.slice(s.lastIndexOf(")") + 2, s.lastIndexOf(")") + 3) || null;
  } catch {
    return null;
  }
}

/** Alive = exists and is not a zombie (pid 1 here reaps detached daemons lazily). */
function alive(pid: number): boolean {
  const st = procState(pid);
  return st !== null && st !== "Z" && st !== "X";
}

function procCmdline(pid: number): string[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter((s) => s !== "");
  } catch {
    return [];
  }
}

function procComm(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
  } catch {
    return "";
  }
}

/** Live OVS/OVN daemons whose --pidfile lies under dir (found even if the pidfile is gone). */
function daemonsUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const pid = Number(e.name);
    if (!DAEMON_COMMS.has(procComm(pid)) || !alive(pid)) continue;
    if (procCmdline(pid).some((a) => a.startsWith(`--pidfile=${dir}/`))) pids.push(pid);
  }
  return pids;
}

function readPid(pidfile: string): number | null {
  try {
    const n = Number(Deno.readTextFileSync(pidfile).trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** Is pid the daemon that wrote `pidfile` (guards against stale pidfiles and pid reuse)? */
function isOurDaemon(pid: number, pidfile: string): boolean {
  return alive(pid) && DAEMON_COMMS.has(procComm(pid)) &&
    procCmdline(pid).includes(`--pidfile=${pidfile}`);
}

function mountsIn(mountinfo: string, dir: string): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split("\n")) {
    const mp = line.split(" ")[4];
    if (!mp) continue;
    const p = mp.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    if (p.startsWith(`${dir}/`)) out.push(p);
  }
  return out;
}

/** Mount points under dir in this process' mount namespace. */
function mountsUnder(dir: string): string[] {
  try {
    return mountsIn(Deno.readTextFileSync("/proc/self/mountinfo"), dir);
  } catch {
    return [];
  }
}

/**
 * Mount points under dir in any mount namespace.  Daemons started with `ip netns exec` live in
 * mount namespaces of their own that copied the mounts present at their start.
 */
function mountsUnderAnywhere(dir: string): string[] {
  const out = new Set(mountsUnder(dir));
  const seen = new Set<string>();
  try {
    seen.add(Deno.readLinkSync("/proc/self/ns/mnt"));
  } catch { /* no /proc? */ }
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const ns = Deno.readLinkSync(`/proc/${e.name}/ns/mnt`);
      if (seen.has(ns)) continue;
      seen.add(ns);
      for (const m of mountsIn(Deno.readTextFileSync(`/proc/${e.name}/mountinfo`), dir)) {
        out.add(`${m} (pid ${e.name})`);
      }
    } catch { /* gone, or a kernel thread */ }
  }
  return [...out];
}

function netnsWithPrefix(prefix: string): string[] {
  const out: string[] = [];
  try {
    for (const e of Deno.readDirSync(NETNS_DIR)) if (e.name.startsWith(prefix)) out.push(e.name);
  } catch { /* no /run/netns yet */ }
  return out.sort();
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------ state

interface DaemonRecord {
  pidfile: string;
  comm: string;
  pid?: number;
}

interface SandboxState {
  magic: string;
  name: string;
  dir: string;
  nbRemote: string;
  sbRemote: string;
  nbTcp?: string;
  sbTcp?: string;
  /** clustered NB and SB: their members, in the order of nbRemote / sbRemote */
  cluster?: Record<CentralDb, ClusterMember[]>;
  underlayNetns: string;
  hosts: SandboxHost[];
  daemons: DaemonRecord[];
  netns: string[];
  mounts: string[];
  createdAt: string;
  /** pid of the process that ran up() (a sandbox is stale when it and every daemon are gone) */
  ownerPid: number;
}

function hostName(h: SandboxHost | string): string {
  return typeof h === "string" ? h : h.name;
}

/**
 * `n` TCP ports on 127.0.0.1 that are free right now (held open together, so they differ).
 * Raft addresses are written into the db files, so they cannot be `ptcp:0`.
 */
function freePorts(n: number): number[] {
  const ls = Array.from({ length: n }, () => Deno.listen({ hostname: "127.0.0.1", port: 0 }));
  const ports = ls.map((l) => (l.addr as Deno.NetAddr).port);
  for (const l of ls) l.close();
  return ports;
}

/** The three members of each clustered database, under the central dir. */
function clusterMembers(central: string): Record<CentralDb, ClusterMember[]> {
  const ports = freePorts(4 * CLUSTER_SIZE);
  const members = (db: CentralDb, k: number) =>
    Array.from({ length: CLUSTER_SIZE }, (_, i): ClusterMember => {
      const base = `${central}/ovn${db}_db${i + 1}`;
      return {
        db,
        index: i + 1,
        remote: `unix:${base}.sock`,
        tcp: `tcp:127.0.0.1:${ports[k * 2 * CLUSTER_SIZE + i]}`,
        raft: `tcp:127.0.0.1:${ports[k * 2 * CLUSTER_SIZE + CLUSTER_SIZE + i]}`,
        dbFile: `${base}.db`,
        pidfile: `${base}.pid`,
        ctl: `${base}.ctl`,
        log: `${central}/ovsdb-server-${db}${i + 1}.log`,
      };
    });
  return { nb: members("nb", 0), sb: members("sb", 1) };
}

/** The ovsdb-server command line of a cluster member (the same on every restart). */
function memberArgv(m: ClusterMember): string[] {
  return [
    "ovsdb-server",
    `--log-file=${m.log}`,
    `--unixctl=${m.ctl}`,
    `--remote=punix:${m.remote.slice("unix:".length)}`,
    `--remote=p${m.tcp}`,
    m.dbFile,
  ];
}

function randomName(): string {
  const b = crypto.getRandomValues(new Uint8Array(2));
  return "sbx" + [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}

// ------------------------------------------------------------------ Sandbox

export class Sandbox {
  readonly name: string;
  readonly dir: string;
  /** "unix:<dir>/central/ovnnb_db.sock"; clustered: the three members' unix sockets, "unix:A,unix:B,unix:C" */
  readonly nbRemote: string;
  readonly sbRemote: string;
  /** namespace of the underlay Linux bridge */
  readonly underlayNetns: string;
  readonly hosts: SandboxHost[];
  #state: SandboxState;
  #down?: Promise<void>;
  #failAt?: string;

  private constructor(state: SandboxState) {
    this.#state = state;
    this.name = state.name;
    this.dir = state.dir;
    this.nbRemote = state.nbRemote;
    this.sbRemote = state.sbRemote;
    this.underlayNetns = state.underlayNetns;
    this.hosts = state.hosts;
  }

  /** NB "tcp:127.0.0.1:PORT", clustered a list of three (root netns loopback only: not reachable from a host netns) */
  get nbTcp(): string | undefined {
    return this.#state.nbTcp;
  }
  /** SB "tcp:127.0.0.1:PORT" (root netns loopback only: not reachable from a host netns) */
  get sbTcp(): string | undefined {
    return this.#state.sbTcp;
  }

  /** Bring a sandbox up.  On any failure it tears down what it made, then throws. */
  static async up(opts: SandboxOptions = {}): Promise<Sandbox> {
    const nHosts = opts.hosts ?? 2;
    if (!Number.isInteger(nHosts) || nHosts < 1 || nHosts > MAX_HOSTS) {
      throw new Error(`hosts must be an integer in 1..${MAX_HOSTS}, got ${opts.hosts}`);
    }
    if (opts.name !== undefined && !NAME_RE.test(opts.name)) {
      throw new Error(`sandbox name must match ${NAME_RE} (short: netns names derive from it)`);
    }
    // Reserve the name: mkdir of the final path component is atomic.  Nothing that might
    // belong to another sandbox is touched if this fails.
    let name = "", dir = "";
    for (let attempt = 0;; attempt++) {
      name = opts.name ?? randomName();
      dir = opts.baseDir ?? `${DEFAULT_BASE}/${name}`;
      if (!dir.startsWith("/")) throw new Error(`baseDir must be absolute: ${dir}`);
      dir = dir.replace(/\/+$/, "");
      if (dir.length > 60) throw new Error(`sandbox dir too long for unix sockets: ${dir}`);
      const clash = netnsWithPrefix(`${name}-`);
      let made = false;
      if (clash.length === 0) {
        await Deno.mkdir(dir.slice(0, dir.lastIndexOf("/")) || "/", { recursive: true });
        try {
          await Deno.mkdir(dir);
          made = true;
        } catch (e) {
          if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
        }
      }
      if (made) break;
      if (opts.name !== undefined || opts.baseDir !== undefined || attempt > 20) {
        throw new Error(
          `sandbox ${name} already exists (dir ${dir}${clash.length ? `, netns ${clash}` : ""}); ` +
            `tear it down first: deno run -A testing/sandbox.ts down ${name}`,
        );
      }
    }

    const central = `${dir}/central`;
    const cluster = opts.clustered ? clusterMembers(central) : undefined;
    const list = (db: CentralDb) => cluster?.[db].map((m) => m.remote).join(",");
    const nbRemote = list("nb") ?? `unix:${central}/ovnnb_db.sock`;
    const sbRemote = list("sb") ?? `unix:${central}/ovnsb_db.sock`;
    const hosts: SandboxHost[] = [];
    for (let i = 1; i <= nHosts; i++) {
      const hdir = `${dir}/hv${i}`;
      hosts.push({
        name: `hv${i}`,
        netns: `${name}-hv${i}`,
        dir: hdir,
        encapIp: `${UL_NET}.${i}`,
        env: {
          OVS_RUNDIR: hdir,
          OVS_DBDIR: hdir,
          OVS_LOGDIR: hdir,
          OVS_SYSCONFDIR: hdir,
          OVN_RUNDIR: hdir,
          OVN_LOGDIR: hdir,
          OVN_NB_DB: nbRemote,
          OVN_SB_DB: sbRemote,
        },
      });
    }
    const sb = new Sandbox({
      magic: STATE_MAGIC,
      name,
      dir,
      nbRemote,
      sbRemote,
      cluster,
      underlayNetns: `${name}-ul`,
      hosts,
      daemons: [],
      netns: [],
      mounts: [],
      createdAt: new Date().toISOString(),
      ownerPid: Deno.pid,
    });
    sb.#failAt = opts._failAt;
    sb.#save();
    try {
      await sb.#startCentral();
      sb.#maybeFail("central");
      await sb.#addNetns(sb.underlayNetns);
      const ul = sb.underlayNetns;
      await ipn(ul, "link", "add", UL_BRIDGE, "type", "bridge");
      await ipn(ul, "link", "set", UL_BRIDGE, "mtu", String(UL_MTU), "up");
      await settleAll(hosts.map((h, i) => sb.#startHost(h, i + 1)));
      await sb.#waitChassis();
      await sb.#seedTunnelNeighbours();
      await sb.nbctl("--timeout=20", "--wait=hv", "sync");
      return sb;
    } catch (e) {
      try {
        await sb.down();
      } catch (e2) {
        console.error(`sandbox ${name}: teardown after failed up() also failed:`, e2);
      }
      throw e;
    }
  }

  /** Re-attach to a sandbox made by another process (reads <dir>/sandbox.json). */
  static load(nameOrDir: string): Sandbox {
    const dir = nameOrDir.includes("/")
      ? nameOrDir.replace(/\/+$/, "")
      : `${DEFAULT_BASE}/${nameOrDir}`;
    const state = JSON.parse(Deno.readTextFileSync(`${dir}/${STATE_FILE}`)) as SandboxState;
    if (state.magic !== STATE_MAGIC || state.dir !== dir) {
      throw new Error(`${dir}/${STATE_FILE} is not a sandbox state file of this dir`);
    }
    return new Sandbox(state);
  }

  // ---------------------------------------------------------------- bookkeeping

  #save(): void {
    if (!exists(this.dir)) return; // torn down
    const tmp = `${this.dir}/.${STATE_FILE}.tmp`;
    Deno.writeTextFileSync(tmp, JSON.stringify(this.#state, null, 2) + "\n");
    Deno.renameSync(tmp, `${this.dir}/${STATE_FILE}`);
  }

  async #addNetns(ns: string): Promise<void> {
    if (!ns.startsWith(`${this.name}-`)) throw new Error(`netns ${ns} outside sandbox prefix`);
    this.#state.netns.push(ns);
    this.#save();
    await runOk(["ip", "netns", "add", ns]);
    await ipn(ns, "link", "set", "lo", "up");
  }

  /** Start a daemon that --detach'es and writes `pidfile`; record it before it starts. */
  async #startDaemon(
    comm: string,
    pidfile: string,
    argv: string[],
    host?: SandboxHost,
  ) {
    // A restart (of a cluster member) reuses the record of its pidfile.
    let rec = this.#state.daemons.find((d) => d.pidfile === pidfile);
    if (rec) {
      rec.comm = comm;
      delete rec.pid;
    } else {
      rec = { pidfile, comm };
      this.#state.daemons.push(rec);
    }
    this.#save();
    const full = [
      ...(host ? ["ip", "netns", "exec", host.netns] : []),
      ...argv,
      "-vconsole:off",
      "-vfile:info",
      "--detach",
      "--no-chdir",
      `--pidfile=${pidfile}`,
    ];
    // A host's daemons get host.env, so their control sockets land in the host dir under
    // the default names (ovs-vswitchd.PID.ctl …) where ovs-appctl/ovn-appctl look.
    await runOk(full, { timeoutMs: 30_000, env: host?.env });
    const pid = readPid(pidfile);
    if (pid === null) throw new Error(`${comm} started but wrote no pidfile ${pidfile}`);
    rec.pid = pid;
    this.#save();
    this.#maybeFail(`${host?.name ?? "central"}:${comm}`);
  }

  #maybeFail(step: string): void {
    if (this.#failAt === step) throw new Error(`injected failure at ${step} (_failAt)`);
  }

  #host(h: SandboxHost | string): SandboxHost {
    const n = hostName(h);
    const host = this.hosts.find((x) => x.name === n);
    if (!host) throw new Error(`sandbox ${this.name} has no host ${n}`);
    return host;
  }

  // ---------------------------------------------------------------- central

  async #startCentral(): Promise<void> {
    const c = `${this.dir}/central`;
    await Deno.mkdir(c);
    if (this.#state.cluster) await this.#startClusters(this.#state.cluster);
    else await this.#startStandalone(c);
    await this.#startDaemon("ovn-northd", `${c}/ovn-northd.pid`, [
      "ovn-northd",
      `--log-file=${c}/ovn-northd.log`,
      `--unixctl=${c}/ovn-northd.ctl`,
      `--ovnnb-db=${this.nbRemote}`,
      `--ovnsb-db=${this.sbRemote}`,
    ]);
    await this.nbctl("set", "NB_Global", ".", "options:mac_prefix=0a:58:00");
    await this.nbctl("--timeout=20", "--wait=sb", "sync");
  }

  /** One ovsdb-server each for NB and SB. */
  async #startStandalone(c: string): Promise<void> {
    await settleAll([
      runOk(["ovsdb-tool", "create", `${c}/ovnnb_db.db`, OVN_NB_SCHEMA]),
      runOk(["ovsdb-tool", "create", `${c}/ovnsb_db.db`, OVN_SB_SCHEMA]),
    ]);
    // ptcp:0 = a free port picked by the kernel, so sandboxes never collide; read it back
    // from the log ("listening on port N").
    await settleAll(
      ["nb", "sb"].map((db) =>
        this.#startDaemon("ovsdb-server", `${c}/ovn${db}_db.pid`, [
          "ovsdb-server",
          `--log-file=${c}/ovsdb-server-${db}.log`,
          `--unixctl=${c}/ovn${db}_db.ctl`,
          `--remote=punix:${c}/ovn${db}_db.sock`,
          "--remote=ptcp:0:127.0.0.1",
          `${c}/ovn${db}_db.db`,
        ])
      ),
    );
    const port = (log: string) => {
      const m = Deno.readTextFileSync(log).match(/listening on port (\d+)/);
      return m ? `tcp:127.0.0.1:${m[1]}` : undefined;
    };
    this.#state.nbTcp = port(`${c}/ovsdb-server-nb.log`);
    this.#state.sbTcp = port(`${c}/ovsdb-server-sb.log`);
    this.#save();
  }

  /**
   * NB and SB as three-member RAFT clusters: the first member creates the cluster, the others
   * join it; all six servers start at once, and up() goes on once each cluster has a leader
   * and every member is connected.
   */
  async #startClusters(cluster: Record<CentralDb, ClusterMember[]>): Promise<void> {
    await settleAll((["nb", "sb"] as const).map(async (db) => {
      const [first, ...rest] = cluster[db];
      await runOk(["ovsdb-tool", "create-cluster", first.dbFile, DB_SCHEMA[db], first.raft]);
      await settleAll(
        rest.map((m) =>
          runOk(["ovsdb-tool", "join-cluster", m.dbFile, DB_NAME[db], m.raft, first.raft])
        ),
      );
    }));
    await settleAll(
      [...cluster.nb, ...cluster.sb].map((m) =>
        this.#startDaemon("ovsdb-server", m.pidfile, memberArgv(m))
      ),
    );
    this.#state.nbTcp = cluster.nb.map((m) => m.tcp).join(",");
    this.#state.sbTcp = cluster.sb.map((m) => m.tcp).join(",");
    this.#save();
    await settleAll([this.waitCluster("nb"), this.waitCluster("sb")]);
  }

  /** A host's own ovsdb-server (its conf.db, its unix socket). */
  #startHostDb(h: SandboxHost): Promise<void> {
    return this.#startDaemon("ovsdb-server", `${h.dir}/ovsdb-server.pid`, [
      "ovsdb-server",
      `--log-file=${h.dir}/ovsdb-server.log`,
      `--remote=punix:${h.dir}/db.sock`,
      `${h.dir}/conf.db`,
    ], h);
  }

  /**
   * Restarts a host's ovsdb-server (stopped by the pid in its pidfile, started again on the
   * same conf.db): ovs-vswitchd and ovn-controller reconnect by themselves.
   */
  async restartHostDb(host: SandboxHost | string): Promise<void> {
    const h = this.#host(host);
    const pidfile = `${h.dir}/ovsdb-server.pid`;
    const pid = readPid(pidfile);
    if (pid !== null) {
      Deno.kill(pid, "SIGTERM");
      await waitFor(`${pidfile} (pid ${pid}) to exit`, 10_000, () => Promise.resolve(!alive(pid)));
    }
    await this.#startHostDb(h);
  }

  // ---------------------------------------------------------------- clustered NB / SB

  /** True when NB and SB run as RAFT clusters ({@link SandboxOptions.clustered}). */
  get clustered(): boolean {
    return this.#state.cluster !== undefined;
  }

  /** The members of a clustered NB or SB, in the order of nbRemote / sbRemote. */
  members(db: CentralDb = "nb"): ClusterMember[] {
    const c = this.#state.cluster;
    if (!c) throw new Error(`sandbox ${this.name} is not clustered`);
    return c[db];
  }

  #member(db: CentralDb, index: number): ClusterMember {
    const m = this.members(db).find((x) => x.index === index);
    if (!m) throw new Error(`${db} has no member ${index} (1..${CLUSTER_SIZE})`);
    return m;
  }

  /** The pid of a member, or undefined when it is not running. */
  memberPid(db: CentralDb, index: number): number | undefined {
    const m = this.#member(db, index);
    const pid = readPid(m.pidfile);
    return pid !== null && isOurDaemon(pid, m.pidfile) ? pid : undefined;
  }

  /** `ovs-appctl -t CTL cluster/status DB` of a member (its role, term, leader…). */
  async clusterStatus(db: CentralDb, index: number): Promise<string> {
    const m = this.#member(db, index);
    return (await runOk(["ovs-appctl", "-t", m.ctl, "cluster/status", DB_NAME[db]], {
      timeoutMs: 5000,
    })).trim();
  }

  /** The roles of the running members right now: index -> "leader" | "follower" | …. */
  async roles(db: CentralDb = "nb"): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    await Promise.all(
      this.members(db).map(async (m) => {
        if (this.memberPid(db, m.index) === undefined) return;
        const r = await run(["ovs-appctl", "-t", m.ctl, "cluster/status", DB_NAME[db]], {
          timeoutMs: 5000,
        });
        const role = /^Role: (\S+)$/m.exec(r.stdout)?.[1];
        if (r.code === 0 && role) out.set(m.index, role);
      }),
    );
    return out;
  }

  /**
   * The current leader of a clustered NB (or SB): the running member whose cluster/status
   * says `Role: leader`.  Waits up to timeoutMs for one (an election takes about a second).
   */
  async leader(db: CentralDb = "nb", timeoutMs = 15_000): Promise<ClusterMember> {
    let found: number | undefined;
    await waitFor(`a leader of ${DB_NAME[db]}`, timeoutMs, async () => {
      const roles = await this.roles(db);
      found = [...roles].find(([, role]) => role === "leader")?.[0];
      return found !== undefined;
    });
    return this.#member(db, found!);
  }

  /** The members that are running and not the leader. */
  async followers(db: CentralDb = "nb"): Promise<ClusterMember[]> {
    const roles = await this.roles(db);
    return this.members(db).filter((m) => roles.get(m.index) === "follower");
  }

  /**
   * Kills one member by the pid in its pidfile (SIGKILL by default: a crash) and waits until
   * it is gone.  Returns the pid.  Its db file stays: {@link restartMember} brings it back.
   */
  async killMember(db: CentralDb, index: number, signal: Deno.Signal = "SIGKILL"): Promise<number> {
    const m = this.#member(db, index);
    const pid = this.memberPid(db, index);
    if (pid === undefined) throw new Error(`${DB_NAME[db]} member ${index} is not running`);
    Deno.kill(pid, signal);
    await waitFor(`${m.pidfile} (pid ${pid}) to exit`, 10_000, () => Promise.resolve(!alive(pid)));
    return pid;
  }

  /**
   * Starts a (killed) member again with the same db file, so that it rejoins its cluster.
   * With `wait` (default) returns once its `_Server` row says it is connected to the cluster
   * (caught up); without, right after it started (it then serves its old copy for a while).
   * Returns the new pid.
   */
  async restartMember(
    db: CentralDb,
    index: number,
    opts: { wait?: boolean } = {},
  ): Promise<number> {
    const m = this.#member(db, index);
    if (this.memberPid(db, index) !== undefined) {
      throw new Error(`${DB_NAME[db]} member ${index} is running already`);
    }
    await this.#startDaemon("ovsdb-server", m.pidfile, memberArgv(m));
    if (opts.wait ?? true) await this.waitMember(db, index);
    return this.memberPid(db, index)!;
  }

  /** Waits until a member's `_Server` row says it is connected to its cluster. */
  async waitMember(db: CentralDb, index: number, timeoutMs = 20_000): Promise<void> {
    const m = this.#member(db, index);
    const query = JSON.stringify(["_Server", {
      op: "select",
      table: "Database",
      where: [["name", "==", DB_NAME[db]]],
      columns: ["connected"],
    }]);
    await waitFor(`${m.remote} connected to its cluster`, timeoutMs, async () => {
      const r = await run(["ovsdb-client", "--timeout=5", "transact", m.remote, query]);
      return r.code === 0 && /"connected":true/.test(r.stdout);
    });
  }

  /** Waits until a clustered database has a leader and every running member is connected. */
  async waitCluster(db: CentralDb = "nb", timeoutMs = 20_000): Promise<void> {
    const t0 = Date.now();
    await this.leader(db, timeoutMs);
    for (const m of this.members(db)) {
      if (this.memberPid(db, m.index) === undefined) continue;
      await this.waitMember(db, m.index, Math.max(1000, timeoutMs - (Date.now() - t0)));
    }
  }

  // ---------------------------------------------------------------- hosts

  async #startHost(h: SandboxHost, idx: number): Promise<void> {
    const ns = h.netns;
    const ul = this.underlayNetns;
    const mtu = String(UL_MTU);
    const phyMac = `02:00:00:00:${(idx >> 8).toString(16).padStart(2, "0")}:${
      (idx & 255).toString(16).padStart(2, "0")
    }`;
    const env = h.env;
    const vsctl = (...a: string[]) =>
      runOk(["ovs-vsctl", `--db=unix:${h.dir}/db.sock`, "--timeout=10", ...a], { env });
    await Deno.mkdir(h.dir);
    await this.#addNetns(ns);
    // No IPv6 in the host netns: keeps SLAAC/MLD/RS noise out of br-int/br-phy.
    await nsx(ns, "sysctl", "-qw", ...NO_IPV6);
    // underlay cable: ul0 (host netns) <-> ul-hvN (underlay bridge)
    const peer = ["peer", "name", "ul0", "netns", ns];
    await ipn(ul, "link", "add", `ul-${h.name}`, "mtu", mtu, "type", "veth", ...peer);
    await ipn(ul, "link", "set", `ul-${h.name}`, "master", UL_BRIDGE, "up");
    // The kernel must not answer ARP for the tunnel IP from ul0's MAC (OVS reads ul0 via
    // AF_PACKET, but the kernel sees the frames too): the tunnel neighbour cache could pick it.
    await ipn(ns, "link", "set", "ul0", "arp", "off");
    await nsx(ns, "sysctl", "-qw", "net.ipv4.conf.ul0.rp_filter=1");
    await ipn(ns, "link", "set", "ul0", "mtu", mtu, "up");

    await runOk(["ovsdb-tool", "create", `${h.dir}/conf.db`, OVS_SCHEMA]);
    await this.#startHostDb(h);
    await vsctl("--no-wait", "init");
    await this.#startDaemon("ovs-vswitchd", `${h.dir}/ovs-vswitchd.pid`, [
      "ovs-vswitchd",
      `--log-file=${h.dir}/ovs-vswitchd.log`,
      `unix:${h.dir}/db.sock`,
    ], h);
    // Userspace datapath everywhere (no openvswitch kernel module here).
    await vsctl(
      ...["--", "add-br", "br-int", "--", "set", "bridge", "br-int", "datapath_type=netdev"],
      ...["fail-mode=secure", "other-config:disable-in-band=true"],
      ...["--", "add-br", "br-phy", "--", "set", "bridge", "br-phy", "datapath_type=netdev"],
      ...[`other-config:hwaddr=${phyMac}`, "--", "add-port", "br-phy", "ul0"],
    );
    // The tunnel endpoint IP lives on br-phy's internal (tap) port.
    await ipn(ns, "link", "set", "br-phy", "mtu", mtu, "up");
    await ipn(ns, "addr", "add", `${h.encapIp}/24`, "dev", "br-phy");
    await vsctl(
      "set",
      "Open_vSwitch",
      ".",
      `external_ids:system-id=${h.name}`,
      `external_ids:hostname=${h.name}`,
      `external_ids:ovn-remote=${this.sbRemote}`,
      `external_ids:ovn-nb=${this.nbRemote}`,
      "external_ids:ovn-encap-type=geneve",
      `external_ids:ovn-encap-ip=${h.encapIp}`,
      "external_ids:ovn-bridge-datapath-type=netdev",
    );
    await this.#startDaemon("ovn-controller", `${h.dir}/ovn-controller.pid`, [
      "ovn-controller",
      `--log-file=${h.dir}/ovn-controller.log`,
      `unix:${h.dir}/db.sock`,
    ], h);
    Deno.writeTextFileSync(`${h.dir}/encap_ip`, h.encapIp + "\n");
    Deno.writeTextFileSync(`${h.dir}/encap_mac`, phyMac + "\n");
  }

  async #waitChassis(): Promise<void> {
    const want = this.hosts.map((h) => h.name);
    await waitFor(`chassis ${want.join(",")} in the SB DB`, 20_000, async () => {
      const r = await run([
        "ovn-sbctl",
        `--db=${this.sbRemote}`,
        "--bare",
        "--columns=name",
        "list",
        "Chassis",
      ]);
      const have = new Set(r.stdout.split(/\s+/).filter(Boolean));
      return r.code === 0 && want.every((n) => have.has(n));
    });
  }

  /**
   * Userspace tunnelling drops a packet whose remote tunnel endpoint MAC is not in OVS's
   * tnl/neigh cache (and learns only from ARP replies to its own bridge): seed every cache
   * with every other host's fixed br-phy MAC, both ways, with the maximal aging.
   */
  async #seedTunnelNeighbours(): Promise<void> {
    const macs = new Map(
      this.hosts.map((h) => [h.name, Deno.readTextFileSync(`${h.dir}/encap_mac`).trim()]),
    );
    await settleAll(this.hosts.map(async (h) => {
      const appctl = (...a: string[]) => runOk(["ovs-appctl", ...a], { env: h.env });
      await appctl("tnl/neigh/aging", "3600");
      for (const o of this.hosts) {
        if (o !== h) await appctl("tnl/neigh/set", "br-phy", o.encapIp, macs.get(o.name)!);
      }
    }));
  }

  // ---------------------------------------------------------------- public API

  /** Run argv inside host's netns with host.env merged over Deno.env (plus opts.env). Never throws on non-zero exit. */
  run(host: SandboxHost | string, argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    const h = this.#host(host);
    const env = opts.cleanEnv
      ? { PATH: Deno.env.get("PATH") ?? DEFAULT_PATH, ...h.env, ...(opts.env ?? {}) }
      : { ...Deno.env.toObject(), ...h.env, ...(opts.env ?? {}) };
    return run(["ip", "netns", "exec", h.netns, ...argv], {
      env,
      clearEnv: true,
      stdin: opts.stdin,
      timeoutMs: opts.timeoutMs,
    });
  }

  /** ovn-nbctl against the central NB.  Throws on failure; returns trimmed stdout. */
  async nbctl(...args: string[]): Promise<string> {
    return (await runOk(["ovn-nbctl", `--db=${this.nbRemote}`, ...args])).trim();
  }

  /** ovn-sbctl against the central SB.  Throws on failure; returns trimmed stdout. */
  async sbctl(...args: string[]): Promise<string> {
    return (await runOk(["ovn-sbctl", `--db=${this.sbRemote}`, ...args])).trim();
  }

  /** ovs-vsctl against a host's OVS.  Throws on failure; returns trimmed stdout. */
  async vsctl(host: SandboxHost | string, ...args: string[]): Promise<string> {
    const h = this.#host(host);
    const argv = ["ovs-vsctl", `--db=unix:${h.dir}/db.sock`, "--timeout=10", ...args];
    return (await runOk(argv, { env: h.env })).trim();
  }

  /** ovs-appctl against a host's ovs-vswitchd (or `-t TARGET` first).  Throws on failure. */
  async appctl(host: SandboxHost | string, ...args: string[]): Promise<string> {
    return (await runOk(["ovs-appctl", ...args], { env: this.#host(host).env })).trim();
  }

  /**
   * A container network namespace as Mesos makes it: a netns bind-mounted at a file
   * (<dir>/containers/<id>/ns, not under /run/netns), lo up.  Registered for cleanup.
   */
  async addContainerNetns(id: string): Promise<string> {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) throw new Error(`bad container id: ${id}`);
    const d = `${this.dir}/containers/${id}`;
    const path = `${d}/ns`;
    if (exists(path)) throw new Error(`container netns ${path} already exists`);
    this.#state.mounts.push(path);
    this.#save();
    await Deno.mkdir(d, { recursive: true });
    await Deno.writeTextFile(path, "");
    await runOk(["unshare", `--net=${path}`, "true"]);
    await runOk(["nsenter", `--net=${path}`, "ip", "link", "set", "lo", "up"]);
    return path;
  }

  async removeContainerNetns(path: string): Promise<void> {
    await unmountAndRemove(path);
    this.#state.mounts = this.#state.mounts.filter((m) => m !== path);
    this.#save();
  }

  /** Run argv inside the netns at path (nsenter --net=PATH; a bare name means /run/netns/NAME). Never throws on non-zero exit. */
  execIn(nsPath: string, argv: string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
    const p = nsPath.includes("/") ? nsPath : `${NETNS_DIR}/${nsPath}`;
    return run(["nsenter", `--net=${p}`, "--", ...argv], { timeoutMs: opts.timeoutMs });
  }

  /**
   * "Outside world" for gateway tests: a netns `${name}-out` (then -out2, -out3 …) and a veth
   * pair: `ifname` (default eth1) in host's netns, up, no address; the other end
   * (`to-<host>`) in the outside netns with outsideCidr, up.  Returns the outside netns name.
   */
  async addOutside(
    host: SandboxHost | string,
    outsideCidr: string,
    ifname = "eth1",
  ): Promise<string> {
    const h = this.#host(host);
    let out = `${this.name}-out`;
    for (let i = 2; this.#state.netns.includes(out) || exists(`${NETNS_DIR}/${out}`); i++) {
      out = `${this.name}-out${i}`;
    }
    await this.#addNetns(out);
    const peer = `to-${h.name}`;
    await nsx(out, "sysctl", "-qw", ...NO_IPV6);
    const pair = ["type", "veth", "peer", "name", peer, "netns", out];
    await ipn(h.netns, "link", "add", ifname, ...pair);
    await ipn(out, "addr", "add", outsideCidr, "dev", peer);
    await ipn(out, "link", "set", peer, "up");
    // frames from a veth into the userspace datapath need complete checksums (TCP/UDP)
    await nsx(out, "ethtool", "-K", peer, "tx", "off");
    await ipn(h.netns, "link", "set", ifname, "up");
    return out;
  }

  /** What of this sandbox is still there: live daemons, namespaces, mounts. */
  leftovers(): Promise<Leftovers> {
    return Promise.resolve(findLeftovers(this.name, this.dir, this.#state.daemons));
  }

  /** Tear everything down (idempotent): daemons by pidfile, mounts, namespaces, the state dir. */
  down(): Promise<void> {
    if (!this.#down) {
      this.#down = teardown(this.#state).finally(() => {
        this.#down = undefined;
      });
    }
    return this.#down;
  }
}

async function unmountAndRemove(path: string): Promise<void> {
  if (mountsUnder(path.slice(0, path.lastIndexOf("/"))).includes(path)) {
    const r = await run(["umount", path]);
    if (r.code !== 0) await run(["umount", "-l", path]);
  }
  // Unlinking the mount point also detaches copies of this bind mount that live in other
  // mount namespaces (e.g. those of daemons started later under `ip netns exec`).
  await Deno.remove(path).catch(() => {});
  await Deno.remove(path.slice(0, path.lastIndexOf("/"))).catch(() => {});
}

/** Leftovers of sandbox `name` at `dir` (also usable after a failed up(), without a Sandbox). */
export function findLeftovers(name: string, dir: string, daemons: DaemonRecord[] = []): Leftovers {
  const pids = new Set<number>();
  for (const d of daemons) {
    const pid = readPid(d.pidfile) ?? d.pid;
    if (pid && isOurDaemon(pid, d.pidfile)) pids.add(pid);
    if (d.pid && isOurDaemon(d.pid, d.pidfile)) pids.add(d.pid);
  }
  for (const pid of daemonsUnder(dir)) pids.add(pid);
  return {
    pids: [...pids].sort((a, b) => a - b),
    netns: netnsWithPrefix(`${name}-`),
    mounts: mountsUnderAnywhere(dir),
  };
}

async function teardown(state: SandboxState): Promise<void> {
  const errors: string[] = [];
  // 1. daemons: recorded ones, any pidfile left in the dir, and any daemon whose --pidfile
  //    points into the dir.  SIGTERM all, wait, SIGKILL stragglers.
  const targets = new Map<number, string>();
  const consider = (pidfile: string, pid?: number | null) => {
    for (const p of [readPid(pidfile), pid]) {
      if (p && isOurDaemon(p, pidfile)) targets.set(p, pidfile);
    }
  };
  for (const d of state.daemons) consider(d.pidfile, d.pid);
  for (const sub of ["central", ...state.hosts.map((h) => h.name)]) {
    try {
      for (const e of Deno.readDirSync(`${state.dir}/${sub}`)) {
        if (e.name.endsWith(".pid")) consider(`${state.dir}/${sub}/${e.name}`);
      }
    } catch { /* no such dir */ }
  }
  for (const pid of daemonsUnder(state.dir)) if (!targets.has(pid)) targets.set(pid, "?");
  const signal = (pids: number[], sig: Deno.Signal) => {
    for (const pid of pids) {
      try {
        Deno.kill(pid, sig);
      } catch { /* gone */ }
    }
  };
  const waitDead = async (pids: number[], ms: number) => {
    const end = Date.now() + ms;
    while (pids.some(alive) && Date.now() < end) await $.sleep(10);
    return pids.filter(alive);
  };
  let pids = [...targets.keys()];
  signal(pids, "SIGTERM");
  pids = await waitDead(pids, 5000);
  if (pids.length) {
    signal(pids, "SIGKILL");
    pids = await waitDead(pids, 2000);
    if (pids.length) errors.push(`daemons did not die: ${pids.join(" ")}`);
  }
  // 2. container netns bind mounts (recorded, and anything else mounted under the dir)
  const mounts = new Set([...state.mounts, ...mountsUnder(state.dir)]);
  for (const m of mounts) await unmountAndRemove(m);
  // 3. namespaces: recorded ones and anything else carrying this sandbox's prefix.
  //    Deleting a host netns also removes its taps and veths.
  const nss = new Set([...state.netns, ...netnsWithPrefix(`${state.name}-`)]);
  await Promise.all([...nss].map(async (ns) => {
    if (!exists(`${NETNS_DIR}/${ns}`)) return;
    const r = await run(["ip", "netns", "del", ns]);
    if (r.code !== 0 && exists(`${NETNS_DIR}/${ns}`)) {
      errors.push(`ip netns del ${ns}: ${r.stderr.trim()}`);
    }
  }));
  // 4. the state dir — only if it is really ours (it holds our state file).
  const left = mountsUnder(state.dir);
  if (left.length) errors.push(`still mounted: ${left.join(" ")}`);
  else if (exists(`${state.dir}/${STATE_FILE}`) || exists(`${state.dir}/central`)) {
    await Deno.remove(state.dir, { recursive: true }).catch((e) => {
      errors.push(`rm -r ${state.dir}: ${e}`);
    });
  }
  if (errors.length) throw new Error(`sandbox ${state.name} teardown: ${errors.join("; ")}`);
}

/**
 * Tear down stale sandboxes under `base`: those whose creating process and every daemon are
 * gone (e.g. a test run that was killed).  Live sandboxes, even half-built ones, are left.
 * Returns the names torn down.
 */
export async function gcStale(base = DEFAULT_BASE): Promise<string[]> {
  const done: string[] = [];
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(base)];
  } catch {
    return done;
  }
  for (const e of entries) {
    if (!e.isDirectory || !NAME_RE.test(e.name)) continue;
    let state: SandboxState;
    try {
      state = JSON.parse(Deno.readTextFileSync(`${base}/${e.name}/${STATE_FILE}`));
    } catch {
      continue; // being created right now, or not ours
    }
    if (state.magic !== STATE_MAGIC || state.dir !== `${base}/${e.name}`) continue;
    if (state.ownerPid && alive(state.ownerPid)) continue;
    if (findLeftovers(state.name, state.dir, state.daemons).pids.length) continue;
    await teardown(state);
    done.push(state.name);
  }
  return done;
}

/** Bring a sandbox up, run fn, always down() afterwards. */
export async function withSandbox<T>(
  opts: SandboxOptions,
  fn: (sb: Sandbox) => Promise<T>,
): Promise<T> {
  const sb = await Sandbox.up(opts);
  let ok = false;
  try {
    const r = await fn(sb);
    ok = true;
    return r;
  } finally {
    if (ok) await sb.down();
    else {
      await sb.down().catch((e) => console.error(`sandbox ${sb.name}: down() failed:`, e));
    }
  }
}

// ------------------------------------------------------------------ CLI

function envLines(sb: Sandbox, h: SandboxHost): string {
  const lines = [
    `# sandbox ${sb.name}, host ${h.name}: to get a shell in its network namespace:`,
    `#   ip netns exec ${h.netns} bash`,
  ];
  for (const [k, v] of Object.entries(h.env)) lines.push(`export ${k}=${$.escapeArg(v)}`);
  return lines.join("\n");
}

async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      hosts: { type: "string" },
      name: { type: "string" },
      dir: { type: "string" },
      clustered: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [cmd, ...rest] = positionals;
  const self = "deno run -A testing/sandbox.ts";
  const usage = `usage:
  ${self} up [--hosts N] [--name NAME] [--dir DIR] [--clustered]
  ${self} env NAME HOST      # prints export lines (eval "$(…)")
  ${self} status NAME
  ${self} down NAME          # NAME may also be the sandbox dir
  ${self} gc                 # tear down stale sandboxes (creator and daemons all gone)`;
  const target = () => {
    const n = rest[0] ?? values.dir;
    if (!n) throw new Error(`missing NAME\n${usage}`);
    return n;
  };
  if (values.help || !cmd) {
    console.log(usage);
    return cmd ? 0 : 2;
  }
  switch (cmd) {
    case "up": {
      const t0 = performance.now();
      const sb = await Sandbox.up({
        hosts: values.hosts !== undefined ? Number(values.hosts) : undefined,
        name: values.name,
        baseDir: values.dir,
        clustered: values.clustered,
      });
      const ms = Math.round(performance.now() - t0);
      console.log(`sandbox ${sb.name} up in ${ms} ms; state in ${sb.dir}`);
      console.log(`  NB ${sb.nbRemote}${sb.nbTcp ? ` (${sb.nbTcp})` : ""}`);
      console.log(`  SB ${sb.sbRemote}${sb.sbTcp ? ` (${sb.sbTcp})` : ""}`);
      if (sb.clustered) {
        for (const db of ["nb", "sb"] as const) {
          const leader = await sb.leader(db);
          for (const m of sb.members(db)) {
            const role = m === leader ? "leader" : "member";
            console.log(`  ${db}${m.index} (${role}): ${m.remote}, raft ${m.raft}, ctl ${m.ctl}`);
          }
        }
      }
      for (const h of sb.hosts) {
        console.log(`  ${h.name}: netns ${h.netns}, encap ${h.encapIp}, dir ${h.dir}`);
      }
      console.log(`env for a host:  eval "$(${self} env ${sb.name} hv1)"`);
      console.log(`tear down:       ${self} down ${sb.name}`);
      return 0;
    }
    case "env": {
      const sb = Sandbox.load(target());
      const hn = rest[1];
      if (!hn) throw new Error(`missing HOST (one of ${sb.hosts.map((h) => h.name).join(" ")})`);
      const h = sb.hosts.find((x) => x.name === hn);
      if (!h) throw new Error(`no host ${hn} (have ${sb.hosts.map((x) => x.name).join(" ")})`);
      console.log(envLines(sb, h));
      return 0;
    }
    case "status": {
      const sb = Sandbox.load(target());
      const st = JSON.parse(Deno.readTextFileSync(`${sb.dir}/${STATE_FILE}`)) as SandboxState;
      console.log(`sandbox ${sb.name} (dir ${sb.dir}, created ${st.createdAt})`);
      let dead = 0;
      for (const d of st.daemons) {
        const pid = readPid(d.pidfile) ?? d.pid;
        const up = pid !== undefined && pid !== null && isOurDaemon(pid, d.pidfile);
        if (!up) dead++;
        console.log(`  ${up ? "running" : "DEAD   "} ${d.comm} pid ${pid ?? "?"} (${d.pidfile})`);
      }
      for (const ns of st.netns) {
        console.log(`  netns ${ns}: ${exists(`${NETNS_DIR}/${ns}`) ? "present" : "MISSING"}`);
      }
      for (const m of st.mounts) console.log(`  container netns ${m}`);
      const r = await run(["ovn-sbctl", `--db=${sb.sbRemote}`, "--timeout=5", "show"]);
      console.log(r.code === 0 ? r.stdout.trimEnd() : `ovn-sbctl show failed: ${r.stderr.trim()}`);
      return dead ? 1 : 0;
    }
    case "down": {
      const n = target();
      let sb: Sandbox | undefined;
      try {
        sb = Sandbox.load(n);
      } catch (e) {
        // No state file: still remove whatever carries the name (bare names only: the
        // default dir under DEFAULT_BASE is then known to be a sandbox's).
        if (n.includes("/") || !NAME_RE.test(n)) throw e;
        const name = n;
        const dir = `${DEFAULT_BASE}/${n}`;
        await teardown({
          magic: STATE_MAGIC,
          name,
          dir,
          nbRemote: "",
          sbRemote: "",
          underlayNetns: `${name}-ul`,
          hosts: [],
          daemons: [],
          netns: [],
          mounts: [],
          createdAt: "",
          ownerPid: 0,
        });
        const left = findLeftovers(name, dir);
        console.log(`sandbox ${name}: no state file; removed what carried its name`);
        return left.pids.length + left.netns.length + left.mounts.length ? 1 : 0;
      }
      const t0 = performance.now();
      await sb.down();
      const left = await sb.leftovers();
      console.log(`sandbox ${sb.name} down in ${Math.round(performance.now() - t0)} ms`);
      if (left.pids.length + left.netns.length + left.mounts.length) {
        console.error(`leftovers: ${JSON.stringify(left)}`);
        return 1;
      }
      return 0;
    }
    case "gc": {
      const names = await gcStale();
      if (names.length) console.log(`tore down stale sandboxes: ${names.join(" ")}`);
      return 0;
    }
    default:
      console.error(usage);
      return 2;
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`sandbox: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
