/**
 * The measurements: the contenders' ADD and DEL interleaved, VERSION start-up, spawns and CPU
 * time, where the time goes, concurrency.  The scale phases are in scale.ts.
 */
import { containerPort, hostVethName } from "../../src/names.ts";
import { CNI_BIN, type Ctx } from "./context.ts";
import {
  bridgeAdd,
  bridgeDel,
  netnsFor,
  type Op,
  type OpKey,
  ops,
  pluginAdd,
  pluginDel,
} from "./contenders.ts";
import { floorAdd, floorAddStatic, floorDel, floorLsp, floorVeth } from "./floor.ts";
import { type AddResult, note } from "./outcome.ts";
import { background, inNetns, must, type Proc, timed, untimed } from "./proc.ts";
import { countSpawns, cpuOf, type SpawnCount } from "./spawns.ts";
import { p50, r1, rotate } from "./stats.ts";
import {
  hostMarks,
  makeShims,
  medianTimeline,
  RpcProxy,
  type Timeline,
  timelineRun,
} from "./tracing.ts";

// ------------------------------------------------------------------ ADD/DEL vs floors vs Go

export type Kind = "plugin" | "baseline" | "floor" | "floor_static" | "bridge";

interface Series {
  add: number[];
  del: number[];
}

/** One contender of the main phase: its ADD and DEL of container `id` in netns `ns`. */
interface Contender {
  kind: Kind;
  add(id: string, ns: string): Promise<AddResult>;
  del(id: string, ns: string): Promise<AddResult>;
}

function contenders(c: Ctx): Contender[] {
  const list: Contender[] = [
    {
      kind: "plugin",
      add: (id, ns) => pluginAdd(c, id, ns),
      del: (id, ns) => pluginDel(c, id, ns),
    },
    { kind: "floor", add: (id, ns) => floorAdd(c, id, ns), del: (id) => floorDel(c, id) },
    {
      kind: "floor_static",
      add: (id, ns) => floorAddStatic(c, id, ns),
      del: (id) => floorDel(c, id),
    },
    {
      kind: "bridge",
      add: (id, ns) => bridgeAdd(c, id, ns),
      del: (id, ns) => bridgeDel(c, id, ns),
    },
  ];
  const base = c.baseline;
  if (base) {
    list.splice(1, 0, {
      kind: "baseline",
      add: (id, ns) => pluginAdd(c, id, ns, base),
      del: (id, ns) => pluginDel(c, id, ns, base),
    });
  }
  return list;
}

/**
 * `plan.rounds` rounds (after one warm-up) of ADD then DEL by the plugin, the two floors, the
 * Go bridge (and the baseline build), their order rotated each round; the harness
 * (`ip netns exec /bin/true`) once a round.
 */
export async function phaseMain(c: Ctx) {
  const plan = c.plan;
  const list = contenders(c);
  const s = Object.fromEntries(list.map((k) => [k.kind, { add: [], del: [] }])) as Partial<
    Record<Kind, Series>
  >;
  const harness: number[] = [];
  const pluginIds: string[] = [];
  const baselineIds: string[] = [];
  const ns = new Map<Kind, string>();
  for (const k of list) ns.set(k.kind, await netnsFor(c, `main-${k.kind.replace("_", "-")}`));
  let connectivity: Record<string, boolean> = {};
  // one unmeasured warm-up round (page cache, deno's code cache)
  for (let round = -1; round < plan.rounds; round++) {
    c.checkAbort();
    const ids = new Map(list.map((k) => [k.kind, crypto.randomUUID()]));
    const order = rotate(list, Math.max(round, 0));
    if (round >= 0) pluginIds.push(ids.get("plugin")!);
    if (round >= 0 && c.baseline) baselineIds.push(ids.get("baseline")!);
    const added: Partial<Record<Kind, AddResult>> = {};
    for (const k of order) {
      const r = await k.add(ids.get(k.kind)!, ns.get(k.kind)!);
      note(c, `${k.kind} ADD`, r);
      added[k.kind] = r;
      if (round >= 0 && r.ok) s[k.kind]!.add.push(r.ms);
    }
    if (round === -1) connectivity = await checkConnectivity(c, ns, added);
    for (const k of order) {
      const r = await k.del(ids.get(k.kind)!, ns.get(k.kind)!);
      note(c, `${k.kind} DEL`, r);
      if (round >= 0 && r.ok) s[k.kind]!.del.push(r.ms);
    }
    const h = await inNetns(c, c.hv1.netns, ["/bin/true"]);
    if (round >= 0) harness.push(h.ms);
    if (round >= 0 && (round + 1) % 5 === 0) {
      c.progress(
        `  round ${round + 1}/${plan.rounds}: ADD p50 so far: ` +
          list.map((k) => `${k.kind} ${r1(p50(s[k.kind]!.add))}`).join(", ") + " ms",
      );
    }
  }
  return { s, harness, connectivity, pluginIds, baselineIds };
}

/** After the warm-up ADDs: every OVN container reaches its gateway (the router port). */
async function checkConnectivity(
  c: Ctx,
  ns: Map<Kind, string>,
  added: Partial<Record<Kind, AddResult>>,
): Promise<Record<string, boolean>> {
  const gw = String(c.conf.gateway);
  const ping = async (ns: string) =>
    (await c.sb.execIn(ns, ["ping", "-c", "1", "-W", "2", gw], { timeoutMs: 5000 })).code === 0;
  const out: Record<string, boolean> = {};
  for (const k of ["plugin", "baseline", "floor", "floor_static"] as const) {
    if (ns.has(k)) out[k] = added[k]?.ok === true && await ping(ns.get(k)!);
  }
  return out;
}

// ------------------------------------------------------------------ VERSION start-up

/**
 * p, or an error unless it exited 0 with an answer that passes `ok`: a program killed by a
 * signal reads as exit 0 on the timed path (proc.ts), its answer tells.
 */
function answered(p: Proc, what: string, ok: (stdout: string) => boolean): Proc {
  must(p, what);
  if (!ok(p.stdout)) throw new Error(`${what}: unexpected answer ${JSON.stringify(p.stdout)}`);
  return p;
}

function isVersionAnswer(out: string): boolean {
  try {
    return Array.isArray(JSON.parse(out).supportedVersions);
  } catch {
    return false;
  }
}

/** VERSION start-up of the plugin and of the Go bridge, and a one-line `deno run`, rotated. */
export async function phaseVersion(c: Ctx) {
  const plan = c.plan;
  const trivial = `${c.sb.dir}/trivial.js`;
  await Deno.writeTextFile(trivial, 'console.log("ok");\n');
  const version: number[] = [];
  const deno: number[] = [];
  const go: number[] = [];
  const verIn = JSON.stringify({ cniVersion: "0.4.0" });
  const env = { PATH: c.path, CNI_COMMAND: "VERSION" };
  const cwd = c.sb.dir;
  for (let i = -2; i < plan.versionRuns; i++) {
    c.checkAbort();
    for (const k of rotate(["version", "deno", "go"], Math.max(i, 0))) {
      if (k === "version") {
        const p = answered(
          await timed(c, [c.dist.plugin], { env, stdin: verIn, cwd }),
          "VERSION",
          isVersionAnswer,
        );
        if (i >= 0) version.push(p.ms);
      } else if (k === "deno") {
        const p = answered(
          await timed(c, ["deno", "run", trivial], { env: { PATH: c.path }, stdin: "", cwd }),
          "deno run trivial",
          (out) => out === "ok\n",
        );
        if (i >= 0) deno.push(p.ms);
      } else {
        const p = answered(
          await timed(c, [`${CNI_BIN}/bridge`], { env, stdin: verIn, cwd }),
          "bridge VERSION",
          isVersionAnswer,
        );
        if (i >= 0) go.push(p.ms);
      }
    }
  }
  return { version, deno, go };
}

// ------------------------------------------------------------------ spawns, CPU time

/** Per operation: the processes it spawns (strace) and its CPU time, median of the runs. */
export async function phaseSpawns(c: Ctx) {
  const plan = c.plan;
  const file = `${c.sb.dir}/measure.out`;
  const counts: Partial<Record<OpKey, SpawnCount[]>> = {};
  const cpu: Partial<Record<OpKey, number[]>> = {};
  for (let i = 0; i < plan.straceRuns; i++) {
    c.checkAbort();
    // ADD then DEL, in pairs, so every ADD is undone
    for (const [k, [ns, argv, env, stdin]] of Object.entries((await ops(c)).ops) as [OpKey, Op][]) {
      (counts[k] ??= []).push(await countSpawns(c, ns, argv, env, stdin, file));
    }
    for (const [k, [ns, argv, env, stdin]] of Object.entries((await ops(c)).ops) as [OpKey, Op][]) {
      (cpu[k] ??= []).push(await cpuOf(c, ns, argv, env, stdin, file));
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

// ------------------------------------------------------------------ timeline (PATH shims)

const TIMELINE_OPS: readonly OpKey[] = [
  "plugin_add",
  "plugin_mapped_add",
  "floor_add",
  "floor_static_add",
  "plugin_del",
  "plugin_mapped_del",
  "floor_del",
  "floor_static_del",
];

/**
 * Where ADD's and DEL's time goes, the plugin (without and with port mappings) and both
 * floors: median time lines of `runs` runs, each with the moments the host's daemons logged
 * for the port and the kernel's link events (hostMarks).
 */
export async function phaseTimeline(c: Ctx, runs: number) {
  const log = `${c.sb.dir}/shims.log`;
  const shimPath = await makeShims(c, `${c.sb.dir}/shims`, log);
  const nbPath = `${c.sb.dir}/proxy-nb.sock`, ovsPath = `${c.sb.dir}/proxy-ovs.sock`;
  const proxies = [
    new RpcProxy(nbPath, c.sb.nbRemote.replace(/^unix:/, ""), "NB"),
    new RpcProxy(ovsPath, `${c.hv1.dir}/db.sock`, "OVS"),
  ];
  const net = String(c.conf.name);
  const out: Partial<Record<OpKey, Timeline[]>> = {};
  const linkLog = `${c.sb.dir}/links.log`;
  const monitor = background(c, ["ip", "-ts", "monitor", "link"], linkLog, {
    ns: c.hv1.netns,
  });
  try {
    for (let i = 0; i < runs; i++) {
      c.checkAbort();
      const { ops: o, ids } = await ops(c, { nb: `unix:${nbPath}`, ovs: `unix:${ovsPath}` });
      const names: Partial<Record<OpKey, { veth: string; lsp: string }>> = {};
      names.plugin_add = names.plugin_del = {
        veth: hostVethName(net, ids.plugin, "eth0"),
        lsp: containerPort(net, ids.plugin, "eth0"),
      };
      names.plugin_mapped_add = names.plugin_mapped_del = {
        veth: hostVethName(net, ids.pluginMapped, "eth0"),
        lsp: containerPort(net, ids.pluginMapped, "eth0"),
      };
      names.floor_add = names.floor_del = { veth: floorVeth(ids.floor), lsp: floorLsp(ids.floor) };
      names.floor_static_add = names.floor_static_del = {
        veth: floorVeth(ids.floorStatic),
        lsp: floorLsp(ids.floorStatic),
      };
      for (const k of TIMELINE_OPS) {
        const [ns, argv, env, stdin] = o[k];
        const { veth, lsp } = names[k]!;
        const op = k.endsWith("_add") ? "add" : "del";
        (out[k] ??= []).push(
          await timelineRun(
            c,
            ns,
            argv,
            { ...env, PATH: shimPath },
            stdin,
            log,
            proxies,
            () => hostMarks(c, c.hv1.dir, op, veth, lsp, linkLog),
          ),
        );
      }
    }
  } finally {
    await monitor.stop();
    for (const p of proxies) p.close();
    for (const f of [log, nbPath, ovsPath, linkLog]) await Deno.remove(f).catch(() => {});
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, medianTimeline(v)]));
}

// ------------------------------------------------------------------ concurrency

/**
 * `plan.concurrent` plugin ADDs at once, then their DELs at once; the same one after another;
 * then the floor both ways: wall times, failures, distinct addresses, what is left.
 */
export async function phaseConcurrent(c: Ctx) {
  const plan = c.plan;
  const n = plan.concurrent;
  const nss: string[] = [];
  for (let i = 0; i < n; i++) nss.push(await netnsFor(c, `conc${String(i).padStart(3, "0")}`));
  c.checkAbort();
  // all at once
  const ids = nss.map(() => crypto.randomUUID());
  let start = performance.now();
  const adds = await Promise.all(ids.map((id, i) => pluginAdd(c, id, nss[i])));
  const concurrentWall = performance.now() - start;
  const failed = adds.filter((r) => !r.ok);
  for (const r of failed.slice(0, 3)) c.progress(`  concurrent ADD failed: ${r.err}`);
  const ips = new Set(adds.filter((r) => r.ok).map((r) => r.ip));
  const upCount = await countUpPorts(c, ids);
  start = performance.now();
  const dels = await Promise.all(ids.map((id, i) => pluginDel(c, id, nss[i])));
  const concurrentDelWall = performance.now() - start;
  const delFailed = dels.filter((r) => !r.ok);
  for (const r of delFailed.slice(0, 3)) c.progress(`  concurrent DEL failed: ${r.err}`);
  const leftAfterConcurrent = await leftovers(c);
  c.progress(
    `  ${n} at once: ADD wall ${
      Math.round(concurrentWall)
    } ms, ${failed.length} failed, ${ips.size} distinct; DEL wall ${
      Math.round(concurrentDelWall)
    } ms`,
  );
  c.checkAbort();
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
    c.progress(`  sequential op failed: ${r.err}`);
  }
  c.progress(
    `  ${n} one after another: ADD wall ${Math.round(sequentialWall)} ms, DEL wall ${
      Math.round(sequentialDelWall)
    } ms`,
  );
  // the floor, the same way: is it the plugin or the machine (2 cores) and OVN?
  c.checkAbort();
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
  for (const r of floorFailed.slice(0, 3)) c.progress(`  floor op failed: ${r.err}`);
  c.progress(
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
export async function countUpPorts(c: Ctx, ids: string[]): Promise<number> {
  const out = await c.sb.nbctl(
    "--format=csv",
    "--no-headings",
    "--columns=name,up",
    "find",
    "Logical_Switch_Port",
    "up=true",
  );
  const want = new Set(ids.map((id) => containerPort(String(c.conf.name), id, "eth0")));
  return out.split("\n").filter((l) => want.has(l.split(",")[0].replaceAll('"', ""))).length;
}

/** What attachments are left on hv1: veths, OVS ports and NB ports of plugin or floor. */
export async function leftovers(c: Ctx): Promise<string[]> {
  const left: string[] = [];
  const links = must(await untimed(c, ["ip", "-br", "link"], { ns: c.hv1.netns }), "ip link");
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
