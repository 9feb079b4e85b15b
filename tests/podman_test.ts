/**
 * A real CNI client that no one here wrote: podman (Debian's 4.3, CNI backend, runc, a
 * busybox-static root file system, no image registry) runs containers on the OVN network
 * through ovn-mesos-plugin with a 1.0.0 configuration list, and they reach a Mesos-style
 * container on another host.  Needs root, podman, runc, conmon and busybox-static
 * (scripts/setup installs them) and a built dist/ (scripts/build).
 *
 * How podman is run here, and why:
 * - Inside hv1's netns via `nsenter --net` (the plugin puts the veth's host end into the
 *   netns it runs in, which must be the one of hv1's ovs-vswitchd).  Not `ip netns exec`:
 *   that remounts /sys, hiding the cgroup mounts runc needs ("no cgroup mount found").
 * - All of podman's state in the sandbox dir: containers.conf (CONTAINERS_CONF) and
 *   storage.conf (CONTAINERS_STORAGE_CONF) name private graph/run roots, tmp dir, file locks
 *   (no /dev/shm/libpod_lock), no events log; runc's state root is set by a wrapper script
 *   (podman drops `--runtime-flag` for the cleanup it runs from conmon).  Containers go
 *   into a cgroup parent named after the sandbox (`--cgroups=no-conmon`), removed afterwards.
 * - podman makes each container's netns at /run/netns/netns-<uuid>; its debug log names it,
 *   so that one left by a podman killed halfway (a timeout) is removed as well.
 * - podman's CNI library caches results in /var/lib/cni (not configurable): what it creates
 *   there for our containers, and the directories if they did not exist before, is removed.
 * - crun fails on this host's cgroups, runc works; podman's default ulimits fail (EPERM).
 *   Debian's busybox 1.35 `wget -T N` segfaults: `timeout` bounds wget instead.
 * - The program under test is dist/ovn-mesos, copied into the sandbox at the start, so that
 *   a concurrent `scripts/build` (which deletes and rewrites dist/) cannot pull it away from
 *   under podman in the middle of the test.
 */
import assert from "node:assert/strict";
import {
  assertNoLeaks,
  type RunResult,
  type Sandbox,
  type SandboxHost,
  withSandbox,
} from "../testing/sandbox_fixture.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const SYS_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const TEST_PATH = `${Deno.env.get("PATH") ?? ""}:${SYS_PATH}`;
/** The Mesos agent hands CNI plugins only this PATH (and the CNI_* variables). */
const MESOS_PATH = SYS_PATH;
const BUSYBOX = "/bin/busybox";
const CNI_CACHE = "/var/lib/cni";
const CNI_RESULTS = `${CNI_CACHE}/results`;
const CGROUP_FS = "/sys/fs/cgroup";
const NETWORK = "ovn";
const CLUSTER_SUBNET = "172.16.0.0/16";
/** A container's logical port carries external_ids:"ovn-mesos/role"="container-port". */
const CONTAINER_PORTS = `external_ids:"ovn-mesos/role"="container-port"`;

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A command's outcome for an error message (podman runs with debug logs: their tail). */
function show(r: RunResult): string {
  const tail = (s: string) => s.trimEnd().split("\n").slice(-60).join("\n");
  return `exit ${r.code}\n--- stdout\n${tail(r.stdout)}\n--- stderr (tail)\n${tail(r.stderr)}`;
}

function must(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} failed: ${show(r)}`);
  return r;
}

async function waitUntil(what: string, ms: number, ok: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timeout after ${ms} ms waiting for ${what}`);
    await delay(50);
  }
}

/** Is an IPv4 address inside a.b.c.d/len? */
function inSubnet(ip: string, cidr: string): boolean {
  const num = (a: string) => a.split(".").reduce((n, o) => n * 256 + Number(o), 0);
  const [net, len] = cidr.split("/");
  const size = 2 ** (32 - Number(len));
  return Math.floor(num(ip) / size) === Math.floor(num(net) / size);
}

/** Fail early, with the reason, when a tool the test drives is missing. */
function preflight(): void {
  assert.equal(Deno.uid(), 0, "this test starts OVS/OVN daemons and containers: run it as root");
  const missing = ["podman", "runc", "conmon", "nsenter", "ethtool", "ovn-nbctl"].filter((p) =>
    !TEST_PATH.split(":").some((d) => d && exists(`${d}/${p}`))
  );
  if (!exists(BUSYBOX)) missing.push(`${BUSYBOX} (busybox-static)`);
  assert.deepEqual(missing, [], "missing programs: run scripts/setup");
}

/** Copies dist/ovn-mesos into dir (with its two names); returns the paths. */
async function snapshotProgram(dir: string): Promise<{ driver: string; plugin: string }> {
  const src = `${ROOT}/dist/ovn-mesos`;
  await Deno.mkdir(dir, { recursive: true });
  const end = Date.now() + 20_000;
  // scripts/build writes the file, then makes it executable: wait for a finished one.
  while (true) {
    const st = await Deno.stat(src).catch(() => undefined);
    if (st?.isFile && ((st.mode ?? 0) & 0o111) !== 0) break;
    if (Date.now() > end) throw new Error(`${src} is missing: run scripts/build first`);
    await delay(100);
  }
  await Deno.copyFile(src, `${dir}/ovn-mesos`);
  await Deno.chmod(`${dir}/ovn-mesos`, 0o755);
  await Deno.symlink("ovn-mesos", `${dir}/ovn-mesos-plugin`);
  await Deno.symlink("ovn-mesos", `${dir}/ovn-mesos-overlay-driver`);
  return { driver: `${dir}/ovn-mesos-overlay-driver`, plugin: `${dir}/ovn-mesos-plugin` };
}

interface ContainerPort {
  name: string;
  /** "MAC IP" as the plugin chose it (its static address) */
  addresses: string;
  up: boolean;
  ids: Record<string, string>;
}

/** The logical switch ports ovn-mesos-plugin made, from the NB database. */
async function containerPorts(sb: Sandbox): Promise<ContainerPort[]> {
  const out = await sb.nbctl(
    "--format=json",
    "--columns=name,addresses,up,external_ids",
    "find",
    "Logical_Switch_Port",
    CONTAINER_PORTS,
  );
  const rows = (JSON.parse(out) as { data: unknown[][] }).data;
  return rows.map(([name, addresses, up, ids]) => ({
    name: String(name),
    addresses: typeof addresses === "string" ? addresses : "",
    up: up === true,
    ids: Object.fromEntries((ids as [string, [string, string][]])[1]),
  }));
}

/** Links of a host's netns whose names start with "ovm" (the plugin's veth host ends). */
async function pluginVeths(sb: Sandbox, host: SandboxHost): Promise<string[]> {
  const r = must(await sb.run(host, ["ip", "-o", "link", "show"]), `ip link in ${host.name}`);
  return r.stdout.split("\n").map((l) => l.split(": ")[1]?.split("@")[0] ?? "")
    .filter((n) => n.startsWith("ovm"));
}

/** OVS ports on a host's br-int whose names start with "ovm". */
async function pluginBridgePorts(sb: Sandbox, host: SandboxHost): Promise<string[]> {
  return (await sb.vsctl(host, "list-ports", "br-int")).split("\n").filter((p) =>
    p.startsWith("ovm")
  );
}

/** A CNI call the way the Mesos agent makes it: only PATH and the CNI_* variables. */
function mesosCni(
  sb: Sandbox,
  host: SandboxHost,
  plugin: string,
  command: "ADD" | "DEL",
  containerId: string,
  netns: string,
  config: Record<string, unknown>,
): Promise<RunResult> {
  const env = [
    `PATH=${MESOS_PATH}`,
    `CNI_COMMAND=${command}`,
    `CNI_CONTAINERID=${containerId}`,
    "CNI_IFNAME=eth0",
    `CNI_NETNS=${netns}`,
    `CNI_PATH=${plugin.slice(0, plugin.lastIndexOf("/"))}`,
  ];
  const stdin = JSON.stringify({
    ...config,
    args: { "org.apache.mesos": { network_info: { name: config.name } } },
  });
  return sb.run(host, ["env", "-i", ...env, plugin], { stdin, timeoutMs: 90_000 });
}

/** /proc/PID/stat state letter, or null when there is no such process. */
function procState(pid: number): string | null {
  try {
    const s = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return s.slice(s.lastIndexOf(")") + 2, s.lastIndexOf(")") + 3);
  } catch {
    return null;
  }
}

const aliveProc = (pid: number) => {
  const st = procState(pid);
  return st !== null && st !== "Z" && st !== "X";
};

/**
 * podman confined to one directory of the sandbox, run inside one host's netns.  Knows how
 * to remove everything podman may have left, wherever it put it.
 */
class Podman {
  readonly dir: string;
  readonly rootfs: string;
  readonly cgroupParent: string;
  readonly #runtime: string;
  readonly #env: string[];
  readonly #netns: string;
  readonly #sb: Sandbox;
  readonly #cniCacheExisted: boolean;
  readonly #cniResultsExisted: boolean;
  /** every container id and netns path podman told us about */
  readonly containerIds = new Set<string>();
  readonly netnsPaths = new Set<string>();

  private constructor(sb: Sandbox, host: SandboxHost, dir: string) {
    this.#sb = sb;
    this.#netns = host.netns;
    this.dir = dir;
    this.rootfs = `${dir}/rootfs`;
    this.cgroupParent = `ovn-mesos-test-${sb.name}`;
    this.#runtime = `${dir}/runc`;
    this.#cniCacheExisted = exists(CNI_CACHE);
    this.#cniResultsExisted = exists(CNI_RESULTS);
    this.#env = [
      `PATH=${TEST_PATH}`,
      `HOME=${dir}/home`,
      `TMPDIR=${dir}/tmp`,
      `CONTAINERS_CONF=${dir}/containers.conf`,
      `CONTAINERS_STORAGE_CONF=${dir}/storage.conf`,
    ];
    // The plugin is run with podman's environment: let a bundled build share Deno's cache.
    const denoDir = Deno.env.get("DENO_DIR");
    if (denoDir) this.#env.push(`DENO_DIR=${denoDir}`);
  }

  /** Writes podman's configuration, the runc wrapper, the .conflist and a busybox rootfs. */
  static async create(
    sb: Sandbox,
    host: SandboxHost,
    pluginDir: string,
    conflist: Record<string, unknown>,
  ): Promise<Podman> {
    const p = new Podman(sb, host, `${sb.dir}/podman`);
    const d = p.dir;
    for (const sub of ["net.d", "root", "runroot", "libpod-tmp", "runc-state", "home", "tmp"]) {
      await Deno.mkdir(`${d}/${sub}`, { recursive: true });
    }
    await Deno.mkdir(`${p.rootfs}/bin`, { recursive: true });
    await Deno.mkdir(`${p.rootfs}/www`, { recursive: true });
    await Deno.mkdir(`${p.rootfs}/tmp`, { recursive: true });
    await Deno.chmod(`${p.rootfs}/tmp`, 0o1777);
    await Deno.copyFile(BUSYBOX, `${p.rootfs}/bin/busybox`);
    await Deno.chmod(`${p.rootfs}/bin/busybox`, 0o755);
    await Deno.symlink("busybox", `${p.rootfs}/bin/sh`);
    await Deno.writeTextFile(`${d}/net.d/${NETWORK}.conflist`, JSON.stringify(conflist, null, 2));
    await Deno.writeTextFile(
      `${d}/containers.conf`,
      [
        "[containers]",
        "pids_limit = 0",
        "[network]",
        'network_backend = "cni"',
        `cni_plugin_dirs = [${JSON.stringify(pluginDir)}, "/usr/lib/cni"]`,
        `network_config_dir = ${JSON.stringify(`${d}/net.d`)}`,
        "[engine]",
        'cgroup_manager = "cgroupfs"',
        'events_logger = "none"',
        'lock_type = "file"',
        `tmp_dir = ${JSON.stringify(`${d}/libpod-tmp`)}`,
        "",
      ].join("\n"),
    );
    await Deno.writeTextFile(
      `${d}/storage.conf`,
      [
        "[storage]",
        'driver = "vfs"',
        `graphroot = ${JSON.stringify(`${d}/root`)}`,
        `runroot = ${JSON.stringify(`${d}/runroot`)}`,
        "",
      ].join("\n"),
    );
    // runc with its state root in our dir, whoever calls it (podman, conmon, cleanup).
    await Deno.writeTextFile(p.#runtime, `#!/bin/sh\nexec runc --root '${d}/runc-state' "$@"\n`);
    await Deno.chmod(p.#runtime, 0o755);
    return p;
  }

  /**
   * `podman ARGS…` inside the host's netns, with only our environment.  Its debug log names
   * every netns it makes, so that even a podman killed halfway leaves none behind.
   */
  async run(args: string[], timeoutMs = 60_000): Promise<RunResult> {
    const r = await this.#sb.execIn(
      this.#netns,
      ["env", "-i", ...this.#env, "podman", "--log-level=debug", "--runtime", this.#runtime]
        .concat(args),
      { timeoutMs },
    );
    const made = /Made network namespace at (\/\S+) for container ([0-9a-f]{64})/g;
    for (const m of r.stderr.matchAll(made)) {
      this.netnsPaths.add(m[1]);
      this.containerIds.add(m[2]);
    }
    return r;
  }

  /** Options for `podman run` that this host needs (see the file's comment). */
  get runOptions(): string[] {
    return [
      "--cgroups=no-conmon",
      `--cgroup-parent=/${this.cgroupParent}`,
      "--ulimit",
      "nofile=1024:20000",
      "--ulimit",
      "nproc=1024:1024",
      "--network",
      NETWORK,
      "--rootfs",
      this.rootfs,
    ];
  }

  // deno-lint-ignore no-explicit-any
  async inspect(name: string): Promise<any> {
    const r = must(await this.run(["inspect", name]), `podman inspect ${name}`);
    const info = JSON.parse(r.stdout)[0];
    this.containerIds.add(info.Id);
    if (info.NetworkSettings?.SandboxKey) this.netnsPaths.add(info.NetworkSettings.SandboxKey);
    return info;
  }

  /** cgroup directories named after the sandbox (v1: one per controller; v2: one). */
  #cgroupDirs(): string[] {
    const dirs: string[] = [];
    const add = (d: string) => exists(d) && dirs.push(d);
    add(`${CGROUP_FS}/${this.cgroupParent}`);
    try {
      for (const e of Deno.readDirSync(CGROUP_FS)) {
        if (e.isDirectory) add(`${CGROUP_FS}/${e.name}/${this.cgroupParent}`);
      }
    } catch { /* no cgroup fs */ }
    return dirs;
  }

  /** Live processes that are ours: naming our dir on their command line, or in our cgroups. */
  #processes(): number[] {
    const pids = new Set<number>();
    for (const e of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      try {
        const cmd = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
        if (cmd.includes(`${this.dir}/`)) pids.add(Number(e.name));
      } catch { /* gone */ }
    }
    const walk = (d: string) => {
      for (const f of ["cgroup.procs", "tasks"]) {
        try {
          for (const l of Deno.readTextFileSync(`${d}/${f}`).split("\n")) if (l) pids.add(+l);
        } catch { /* not here */ }
      }
      try {
        for (const e of Deno.readDirSync(d)) if (e.isDirectory) walk(`${d}/${e.name}`);
      } catch { /* gone */ }
    };
    for (const d of this.#cgroupDirs()) walk(d);
    pids.delete(Deno.pid);
    return [...pids].filter(aliveProc).sort((a, b) => a - b);
  }

  /**
   * Removes whatever podman left: containers (podman rm, which also makes the CNI DEL), their
   * netns bind mounts, processes, cgroups, our entries in the CNI cache.  Returns what it
   * found that should not have been there (empty after a clean run); never throws.
   */
  async cleanup(): Promise<string[]> {
    const left: string[] = [];
    const note = (what: string) => left.push(what);
    try {
      const ps = await this.run(["ps", "-a", "-q", "--no-trunc"], 30_000);
      const ids = ps.stdout.split("\n").filter(Boolean);
      for (const id of ids) {
        note(`podman container ${id}`);
        await this.inspect(id).catch(() => {});
      }
      if (ids.length) {
        const rm = await this.run(["rm", "-f", "-t", "0", "--all"], 60_000);
        if (rm.code !== 0) note(`podman rm -f --all: ${show(rm)}`);
      }
    } catch (e) {
      note(`podman ps/rm: ${e}`);
    }
    for (const ns of this.netnsPaths) {
      if (!exists(ns)) continue;
      note(`netns ${ns}`);
      const um = await new Deno.Command("umount", { args: [ns], stderr: "null" }).output();
      if (!um.success) await new Deno.Command("umount", { args: ["-l", ns] }).output();
      await Deno.remove(ns).catch(() => {});
    }
    let pids = this.#processes();
    if (pids.length) {
      note(`processes ${pids.join(" ")}`);
      for (const pid of pids) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
      const end = Date.now() + 5000;
      while ((pids = pids.filter(aliveProc)).length && Date.now() < end) await delay(20);
      if (pids.length) note(`processes that would not die: ${pids.join(" ")}`);
    }
    // runc leaves the cgroup parent (expected); a container's own cgroup inside it is not.
    const rmTree = (d: string, top: boolean) => {
      try {
        for (const e of Deno.readDirSync(d)) if (e.isDirectory) rmTree(`${d}/${e.name}`, false);
        if (!top) note(`cgroup ${d}`);
        Deno.removeSync(d);
      } catch (e) {
        note(`cgroup ${d}: ${e}`);
      }
    };
    for (const d of this.#cgroupDirs()) rmTree(d, true);
    for (const id of this.containerIds) {
      for (const f of [`${CNI_RESULTS}/${NETWORK}-${id}-eth0`]) {
        if (!exists(f)) continue;
        note(`CNI cache ${f}`);
        await Deno.remove(f).catch(() => {});
      }
    }
    if (!this.#cniResultsExisted) await Deno.remove(CNI_RESULTS).catch(() => {});
    if (!this.#cniCacheExisted) await Deno.remove(CNI_CACHE).catch(() => {});
    return left;
  }
}

/** Shell run inside the podman container: its address, then traffic to hv2. */
function clientScript(mesosIp: string, hv2HostIp: string): string {
  return `
set -e
B=/bin/busybox
retry() { n=0; until "$@"; do n=$((n+1)); [ $n -lt 5 ] || return 1; $B sleep 1; done; }
echo "@link $($B ip -o link show dev eth0)"
echo "@addr $($B ip -o -4 addr show dev eth0)"
echo "@route $($B ip route show default)"
retry $B ping -c 1 -W 3 ${mesosIp} >/dev/null
echo "@ping-mesos ok"
retry $B ping -c 1 -W 3 ${hv2HostIp} >/dev/null
echo "@ping-hv2 ok"
retry $B timeout -s KILL 10 $B wget -q -O /tmp/got http://${mesosIp}:8080/mesos.txt
echo "@http $($B cat /tmp/got)"
`;
}

/** GET / at ADDRESS:18080 from a host's own namespace (retried a few times). */
async function viaHostPort(
  sb: Sandbox,
  from: SandboxHost,
  address: string,
  tries = 20,
): Promise<RunResult> {
  let got: RunResult = { code: -1, stdout: "", stderr: "" };
  for (let i = 0; i < tries && got.code !== 0; i++) {
    if (i) await delay(100);
    got = await sb.run(from, [
      "python3",
      "-c",
      "import sys, urllib.request as u; sys.stdout.write(u.urlopen(sys.argv[1], timeout=3).read().decode())",
      `http://${address}:18080/index.html`,
    ], { timeoutMs: 10_000 });
  }
  return got;
}

Deno.test(
  "podman (CNI backend, runc, busybox rootfs) runs containers on the OVN network through " +
    "ovn-mesos-plugin with a 1.0.0 .conflist; they reach a Mesos-style container on hv2",
  async () => {
    preflight();
    let sandbox: Sandbox | undefined;
    await withSandbox({ hosts: 2 }, async (sb) => {
      sandbox = sb;
      const [hv1, hv2] = sb.hosts;
      const bin = await snapshotProgram(`${sb.dir}/bin`);
      const pluginDir = `${sb.dir}/bin`;

      // ---- the product, set up as an operator does
      must(await sb.run(hv1, [bin.driver, "plugin-init"]), "plugin-init");
      const nodes: Record<string, { address: string; configFile: string }> = {};
      for (const [i, h] of [hv1, hv2].entries()) {
        const n = i + 1;
        const r = must(
          await sb.run(h, [
            bin.driver,
            "node-init",
            `--subnet=172.16.${n}.0/24`,
            `--cluster_subnet=${CLUSTER_SUBNET}`,
            `--gateway=172.16.${n}.1/24`,
            `--config_dir=${sb.dir}/cni-${h.name}`,
            `--log-file=${sb.dir}/plugin-${h.name}.log`,
            "--json",
          ]),
          `node-init on ${h.name}`,
        );
        nodes[h.name] = JSON.parse(r.stdout);
      }
      const config = (h: SandboxHost) => {
        const c = JSON.parse(Deno.readTextFileSync(nodes[h.name].configFile));
        delete c.cniVersion;
        return c as Record<string, unknown>;
      };
      const hv2HostIp = nodes.hv2.address;
      assert.ok(inSubnet(hv2HostIp, "172.16.2.0/24"), `hv2's host port address ${hv2HostIp}`);

      // ---- a Mesos-style container on hv2 (bind-mounted netns, ADD by environment)
      const mesosId = crypto.randomUUID();
      const mesosNs = await sb.addContainerNetns(mesosId);
      const add = must(
        await mesosCni(sb, hv2, bin.plugin, "ADD", mesosId, mesosNs, config(hv2)),
        "Mesos-style ADD on hv2",
      );
      const addResult = JSON.parse(add.stdout);
      assert.equal(addResult.cniVersion, "0.1.0", add.stdout);
      const mesosIp = String(addResult.ip4?.ip ?? "").split("/")[0];
      assert.ok(inSubnet(mesosIp, "172.16.2.0/24"), `Mesos container address: ${add.stdout}`);
      const www = `${sb.dir}/mesos-www`;
      await Deno.mkdir(www);
      const mesosBody = `served from the Mesos container ${mesosId}`;
      await Deno.writeTextFile(`${www}/mesos.txt`, mesosBody);

      let httpd: Deno.ChildProcess | undefined;
      let podman: Podman | undefined;
      let ok = false;
      let podmanLeft: string[] = [];
      try {
        httpd = new Deno.Command("nsenter", {
          args: [`--net=${mesosNs}`, BUSYBOX, "httpd", "-f", "-p", "8080", "-h", www],
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).spawn();
        await waitUntil("httpd in the Mesos container", 10_000, async () => {
          const r = await sb.execIn(mesosNs, [
            BUSYBOX,
            "wget",
            "-q",
            "-O",
            "-",
            "http://127.0.0.1:8080/mesos.txt",
          ], { timeoutMs: 5000 });
          return r.code === 0 && r.stdout === mesosBody;
        });

        // ---- podman on hv1, with a 1.0.0 configuration list
        const hv1Plugin = config(hv1);
        podman = await Podman.create(sb, hv1, pluginDir, {
          cniVersion: "1.0.0",
          name: NETWORK,
          plugins: [hv1Plugin],
        });
        const pm = podman;
        assert.equal(hv1Plugin.type, "ovn-mesos-plugin");

        // 1. `podman run --rm`: ADD, traffic to hv2, DEL when the container is removed.
        const cidfile = `${pm.dir}/run.cid`;
        const run = await pm.run(
          [
            "run",
            "--rm",
            "--cidfile",
            cidfile,
            ...pm.runOptions,
            "/bin/busybox",
            "sh",
            "-c",
            clientScript(mesosIp, hv2HostIp),
          ],
          120_000,
        );
        const runId = exists(cidfile) ? Deno.readTextFileSync(cidfile).trim() : "";
        if (runId) pm.containerIds.add(runId);
        must(run, "podman run --rm (ping and HTTP to hv2)");
        assert.match(runId, /^[0-9a-f]{64}$/, "podman's container id");
        assert.equal(pm.netnsPaths.size, 1, "podman's debug log names the netns it made");
        const line = (tag: string) =>
          run.stdout.split("\n").find((l) => l.startsWith(`@${tag} `))?.slice(tag.length + 2) ??
            "";
        const podIp = /inet (\d+\.\d+\.\d+\.\d+)\/24 /.exec(line("addr"))?.[1] ?? "";
        assert.ok(inSubnet(podIp, "172.16.1.0/24"), `podman container eth0: ${run.stdout}`);
        assert.match(
          line("link"),
          /link\/ether 0a:58:ac:10:01:/,
          "eth0's MAC derives from its address",
        );
        assert.match(line("link"), /mtu 8942 /, "eth0 has the configured MTU");
        assert.match(line("route"), /^default via 172\.16\.1\.1 dev eth0/);
        assert.equal(line("http"), mesosBody, run.stdout);
        // podman removed the container, so it made a DEL: only the Mesos container's port is left.
        await waitUntil("the podman container's port to go", 20_000, async () => {
          const ports = await containerPorts(sb);
          return ports.length === 1 && ports[0].ids["ovn-mesos/container-id"] === mesosId;
        });
        assert.deepEqual(await pluginVeths(sb, hv1), [], "veths left in hv1 after --rm");
        assert.deepEqual(await pluginBridgePorts(sb, hv1), [], "br-int ports left in hv1");
        assert.equal(exists(`${CNI_RESULTS}/${NETWORK}-${runId}-eth0`), false);

        // 2. a long-running podman container that serves HTTP, reached FROM the Mesos container
        const podBody = "served from a podman container";
        await Deno.writeTextFile(`${pm.rootfs}/www/index.html`, podBody);
        const httpdArgv = ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/www"];
        must(
          await pm.run(
            ["run", "-d", "--name", "web", "-p", "18080:8080", ...pm.runOptions, ...httpdArgv],
            120_000,
          ),
          "podman run -d httpd",
        );
        const checkWeb = async (round: string) => {
          const info = await pm.inspect("web");
          const id: string = info.Id;
          const net = info.NetworkSettings.Networks[NETWORK];
          assert.match(id, /^[0-9a-f]{64}$/);
          assert.match(info.NetworkSettings.SandboxKey, /^\/run\/netns\/netns-/);
          assert.ok(inSubnet(net.IPAddress, "172.16.1.0/24"), `${round}: ${JSON.stringify(net)}`);
          assert.equal(net.IPPrefixLen, 24);
          assert.equal(net.Gateway, "172.16.1.1");
          // NB has the port, bound, with the address podman got from the 1.0.0 result
          const port = (await containerPorts(sb)).find((p) =>
            p.ids["ovn-mesos/container-id"] === id
          );
          assert.ok(port, `${round}: no logical port for podman container ${id}`);
          assert.equal(port.addresses, `${net.MacAddress} ${net.IPAddress}`, round);
          // ADD returns once ovn-controller installed the port here; NB's `up` follows via northd.
          await waitUntil(
            `${round}: port ${port.name} up in NB`,
            10_000,
            async () => (await containerPorts(sb)).find((p) => p.name === port.name)?.up === true,
          );
          assert.equal(port.ids["ovn-mesos/host"], "hv1");
          assert.equal(port.ids["ovn-mesos/ifname"], "eth0");
          assert.match(await sb.nbctl("lsp-get-ls", port.name), /\(mesos-hv1\)/, round);
          // the veth's host end is in hv1's netns (where hv1's ovs-vswitchd runs), in br-int
          const veth = await sb.vsctl(
            hv1,
            ...["--bare", "--columns=name", "find", "Interface"],
            `external_ids:iface-id="${port.name}"`,
          );
          assert.match(veth, /^ovm[0-9a-f]+$/, `${round}: OVS interface for ${port.name}`);
          assert.deepEqual(await pluginVeths(sb, hv1), [veth], round);
          const inRoot = await new Deno.Command("ip", {
            args: ["link", "show", "dev", veth],
            stdout: "null",
            stderr: "null",
          }).output();
          assert.equal(inRoot.success, false, `${veth} must not be in the root netns`);
          // traffic from the Mesos container on hv2 to the podman container on hv1
          const ping = await sb.execIn(mesosNs, [
            "ping",
            "-c",
            "3",
            "-i",
            "0.2",
            "-W",
            "3",
            net.IPAddress,
          ]);
          assert.equal(ping.code, 0, `${round}: ping Mesos -> podman: ${show(ping)}`);
          let got: RunResult = { code: -1, stdout: "", stderr: "" };
          for (let i = 0; i < 50 && got.code !== 0; i++) {
            if (i) await delay(100);
            got = await sb.execIn(mesosNs, [
              BUSYBOX,
              "wget",
              "-q",
              "-O",
              "-",
              `http://${net.IPAddress}:8080/index.html`,
            ], { timeoutMs: 10_000 });
          }
          assert.equal(got.code, 0, `${round}: HTTP Mesos -> podman: ${show(got)}`);
          assert.equal(got.stdout, podBody);
          // `-p 18080:8080` (runtimeConfig.portMappings): hv1's own address answers, seen from hv2.
          const mapped = await viaHostPort(sb, hv2, hv1.encapIp);
          assert.equal(
            mapped.stdout,
            podBody,
            `${round}: podman -p at hv1's address: ${show(mapped)}`,
          );
          return { id, sandboxKey: info.NetworkSettings.SandboxKey as string, lsp: port.name };
        };
        const first = await checkWeb("podman run -d");

        // 3. stop (DEL) and start again (ADD with the same container id, a new netns)
        must(await pm.run(["stop", "-t", "0", "web"]), "podman stop");
        await waitUntil(
          "DEL after podman stop",
          20_000,
          async () =>
            !(await containerPorts(sb)).some((p) => p.ids["ovn-mesos/container-id"] === first.id) &&
            (await pluginVeths(sb, hv1)).length === 0,
        );
        assert.equal(exists(first.sandboxKey), false, "podman removed the stopped one's netns");
        must(await pm.run(["start", "web"], 120_000), "podman start");
        const second = await checkWeb("podman start");
        assert.equal(second.id, first.id);
        assert.equal(second.lsp, first.lsp, "the same attachment gets the same port name");

        // 4. remove: DEL, and nothing of the attachment is left anywhere
        must(await pm.run(["rm", "-f", "-t", "0", "web"]), "podman rm -f");
        await waitUntil(
          "DEL after podman rm",
          20_000,
          async () =>
            !(await containerPorts(sb)).some((p) => p.ids["ovn-mesos/container-id"] === first.id) &&
            (await pluginVeths(sb, hv1)).length === 0,
        );
        assert.deepEqual(await pluginBridgePorts(sb, hv1), []);
        assert.equal(exists(second.sandboxKey), false, "podman removed its netns");
        assert.notEqual(
          (await viaHostPort(sb, hv2, hv1.encapIp, 1)).code,
          0,
          "no mapping after rm",
        );
        assert.deepEqual((await containerPorts(sb)).map((p) => p.ids["ovn-mesos/container-id"]), [
          mesosId,
        ]);
        assert.equal(exists(`${CNI_RESULTS}/${NETWORK}-${first.id}-eth0`), false);
        const ps = must(await pm.run(["ps", "-a", "-q"]), "podman ps -a");
        assert.equal(ps.stdout.trim(), "", "podman has no containers left");

        // ---- the Mesos-style container goes too: no container port, no veth anywhere
        must(
          await mesosCni(sb, hv2, bin.plugin, "DEL", mesosId, mesosNs, config(hv2)),
          "Mesos-style DEL on hv2",
        );
        assert.deepEqual(await containerPorts(sb), []);
        assert.deepEqual(await pluginVeths(sb, hv2), []);
        assert.deepEqual(await pluginBridgePorts(sb, hv2), []);
        ok = true;
      } finally {
        if (httpd) {
          try {
            httpd.kill("SIGKILL");
          } catch { /* gone */ }
          await httpd.status;
        }
        podmanLeft = podman ? await podman.cleanup() : [];
        if (!ok && podmanLeft.length) {
          console.error(`podman left (now removed):\n  ${podmanLeft.join("\n  ")}`);
        }
      }
      assert.deepEqual(podmanLeft, [], "podman left these behind (now removed)");
    });
    if (sandbox) await assertNoLeaks(sandbox);
  },
);
