/**
 * The figures of a run as one JSON object (the keys `scripts/bench --json` prints), and the
 * targets they are held to.
 */
import type { Ctx } from "./context.ts";
import type {
  phaseConcurrent,
  phaseMain,
  phaseSpawns,
  phaseTimeline,
  phaseVersion,
} from "./phases.ts";
import type { phaseMappings } from "./mappings.ts";
import type { phaseHosts, phasePorts, ScaleSeries } from "./scale.ts";
import { type phaseSsl, sslFigures } from "./ssl.ts";
import { p50, p90, r1, r2 } from "./stats.ts";

/** The report: one JSON object. */
// deno-lint-ignore no-explicit-any
export type Json = Record<string, any>;

/** A target a figure is held to. */
export interface Check {
  key: string;
  what: string;
  value: string;
  target: string;
  ok: boolean | null;
}

/** What the phases measured. */
export interface Measured {
  main: Awaited<ReturnType<typeof phaseMain>>;
  ver: Awaited<ReturnType<typeof phaseVersion>>;
  sp: Awaited<ReturnType<typeof phaseSpawns>>;
  timeline: Awaited<ReturnType<typeof phaseTimeline>>;
  conc: Awaited<ReturnType<typeof phaseConcurrent>>;
  ports: Awaited<ReturnType<typeof phasePorts>>;
  hosts: Awaited<ReturnType<typeof phaseHosts>>;
  mappings: Awaited<ReturnType<typeof phaseMappings>>;
  /** not in --quick */
  ssl?: Awaited<ReturnType<typeof phaseSsl>>;
  /** the plugin's own times, from its log */
  logT: Map<string, { add?: number; del?: number }>;
  /** attachments left on hv1 after the DELs */
  left: string[];
}

/** Around the measurements: the load at the start, what the teardown left, lock files. */
export interface RunFacts {
  load: string;
  /** nproc, CPU model, kernel, OVS/OVN/Deno versions */
  machine: Record<string, string | number>;
  after: string[];
  lockFiles: number;
}

/**
 * The plugin's own time per operation, from its log lines "ADD <id> eth0: … (N ms)" (this
 * build's log on hv1 and the baseline's: container ids are unique).
 */
export async function pluginLogTimes(c: Ctx): Promise<Map<string, { add?: number; del?: number }>> {
  const out = new Map<string, { add?: number; del?: number }>();
  for (const f of ["plugin-hv1.log", "plugin-hv1-baseline.log"]) {
    const text = await Deno.readTextFile(`${c.sb.dir}/${f}`).catch(() => "");
    for (const l of text.split("\n")) {
      const m = l.match(/\] (ADD|DEL) (\S+) eth0: .*\((\d+) ms\)$/);
      if (!m) continue;
      const e = out.get(m[2]) ?? {};
      e[m[1] === "ADD" ? "add" : "del"] = Number(m[3]);
      out.set(m[2], e);
    }
  }
  return out;
}

function logged(log: Map<string, { add?: number; del?: number }>, ids: string[], k: "add" | "del") {
  return ids.map((id) => log.get(id)?.[k]).filter((x): x is number => x !== undefined);
}

/** The JSON report and its targets. */
export function report(c: Ctx, m: Measured, run: RunFacts): { j: Json; checks: Check[] } {
  const plan = c.plan;
  const { main, ver, sp, timeline, conc, ports, hosts, mappings, logT, left } = m;
  const s = main.s;
  const plugin = s.plugin!, floor = s.floor!, floorStatic = s.floor_static!, bridge = s.bridge!;
  const { ids: _ids, ...concFigures } = conc;
  const harness = p50(main.harness);
  // the faster floor, ADD and DEL each (both DELs are floor_del.sh)
  const fastestAdd = p50(floorStatic.add) <= p50(floor.add) ? "floor_static" : "floor";
  const floorAdd = Math.min(p50(floorStatic.add), p50(floor.add));
  const floorDel = Math.min(p50(floorStatic.del), p50(floor.del));
  const at = (m: Map<number, ScaleSeries>, n: number, k: keyof ScaleSeries) => p50(m.get(n)![k]);
  const pAt = (n: number) => at(ports.at, n, "plugin");
  const fAt = (n: number) => at(ports.at, n, "floor");
  const sAt = (n: number) => at(ports.at, n, "floor_static");
  const hAt = (n: number, k: keyof ScaleSeries) => at(hosts.at, n, k);
  const ms = mappings.s;
  const j: Json = {
    quick: plan.quick,
    rounds: plan.rounds,
    strace_runs: plan.straceRuns,
    timeline_runs: plan.timelineRuns,
    load_average_at_start: run.load,
    machine: run.machine,
    dist_sha256_prefix: c.dist.digest,
    add_p50_ms: r1(p50(plugin.add)),
    add_p90_ms: r1(p90(plugin.add)),
    add_floor_p50_ms: r1(p50(floor.add)),
    add_floor_p90_ms: r1(p90(floor.add)),
    add_floor_static_p50_ms: r1(p50(floorStatic.add)),
    add_floor_static_p90_ms: r1(p90(floorStatic.add)),
    add_floor_fastest: fastestAdd,
    add_ratio: r2(p50(plugin.add) / floorAdd),
    add_ratio_dynamic_floor: r2(p50(plugin.add) / p50(floor.add)),
    add_ratio_static_floor: r2(p50(plugin.add) / p50(floorStatic.add)),
    del_p50_ms: r1(p50(plugin.del)),
    del_p90_ms: r1(p90(plugin.del)),
    del_floor_p50_ms: r1(p50(floor.del)),
    del_floor_p90_ms: r1(p90(floor.del)),
    del_floor_static_p50_ms: r1(p50(floorStatic.del)),
    del_floor_static_p90_ms: r1(p90(floorStatic.del)),
    del_ratio: r2(p50(plugin.del) / floorDel),
    bridge_add_p50_ms: r1(p50(bridge.add)),
    bridge_add_p90_ms: r1(p90(bridge.add)),
    bridge_del_p50_ms: r1(p50(bridge.del)),
    bridge_del_p90_ms: r1(p90(bridge.del)),
    harness_p50_ms: r1(harness),
    add_ratio_net: r2((p50(plugin.add) - harness) / (floorAdd - harness)),
    del_ratio_net: r2((p50(plugin.del) - harness) / (floorDel - harness)),
    add_internal_p50_ms: r1(p50(logged(logT, main.pluginIds, "add"))),
    del_internal_p50_ms: r1(p50(logged(logT, main.pluginIds, "del"))),
    connectivity_ok: main.connectivity,
    baseline: null,
    version_p50_ms: r1(p50(ver.version)),
    version_p90_ms: r1(p90(ver.version)),
    deno_trivial_p50_ms: r1(p50(ver.deno)),
    deno_trivial_p90_ms: r1(p90(ver.deno)),
    version_ratio: r2(p50(ver.version) / p50(ver.deno)),
    bridge_version_p50_ms: r1(p50(ver.go)),
    bridge_version_p90_ms: r1(p90(ver.go)),
    spawns_per_add: sp.spawns.plugin_add.child_execs,
    spawns_per_del: sp.spawns.plugin_del.child_execs,
    spawns_per_add_mapped: sp.spawns.plugin_mapped_add.child_execs,
    spawns_per_del_mapped: sp.spawns.plugin_mapped_del.child_execs,
    processes_per_add: sp.spawns.plugin_add.child_processes,
    processes_per_del: sp.spawns.plugin_del.child_processes,
    launcher_execs: sp.spawns.plugin_add.launcher_execs,
    floor_spawns_per_add: sp.spawns.floor_add.child_execs,
    floor_spawns_per_del: sp.spawns.floor_del.child_execs,
    floor_static_spawns_per_add: sp.spawns.floor_static_add.child_execs,
    floor_static_spawns_per_del: sp.spawns.floor_static_del.child_execs,
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
    floor_static_add_p50_ms_ports_0: r1(sAt(0)),
    floor_static_add_p50_ms_ports_250: r1(sAt(250)),
    floor_static_add_p50_ms_ports_1000: r1(sAt(1000)),
    scale_ratio_250: r2(pAt(250) / pAt(0)),
    scale_ratio_1000: r2(pAt(1000) / pAt(0)),
    floor_scale_ratio_1000: r2(fAt(1000) / fAt(0)),
    floor_static_scale_ratio_1000: r2(sAt(1000) / sAt(0)),
    bulk_add_ports_ms: ports.bulkMs.map((x) => Math.round(x)),
    add_p50_ms_hosts_1: r1(hAt(1, "plugin")),
    add_p50_ms_hosts_100: r1(hAt(100, "plugin")),
    floor_add_p50_ms_hosts_1: r1(hAt(1, "floor")),
    floor_add_p50_ms_hosts_100: r1(hAt(100, "floor")),
    floor_static_add_p50_ms_hosts_1: r1(hAt(1, "floor_static")),
    floor_static_add_p50_ms_hosts_100: r1(hAt(100, "floor_static")),
    hosts_ratio_100: r2(hAt(100, "plugin") / hAt(1, "plugin")),
    floor_hosts_ratio_100: r2(hAt(100, "floor") / hAt(1, "floor")),
    floor_static_hosts_ratio_100: r2(hAt(100, "floor_static") / hAt(1, "floor_static")),
    node_init_ms_1: r1(p50(hosts.nodeInit.get(1)!)),
    node_init_ms_100: r1(p50(hosts.nodeInit.get(100)!)),
    mapping_rounds: mappings.rounds - 1,
    unmapped_add_p50_ms: r1(p50(ms.plain.add)),
    mapped_add_p50_ms: r1(p50(ms.mapped.add)),
    mapped_add_ratio: r2(p50(ms.mapped.add) / p50(ms.plain.add)),
    unmapped_del_p50_ms: r1(p50(ms.plain.del)),
    mapped_del_p50_ms: r1(p50(ms.mapped.del)),
    mapped_del_ratio: r2(p50(ms.mapped.del) / p50(ms.plain.del)),
    mapped_adds_with_their_elements: mappings.madeOk,
    mapped_adds: mappings.rounds,
    mappings_left_after_del: mappings.left,
    ssl: m.ssl ? sslFigures(m.ssl) : null,
    timeline_ports_0: timeline,
    timeline_ports_1000: ports.timeline,
    timeline_hosts_1: hosts.adds[1],
    timeline_hosts_100: hosts.adds[100],
    timeline_node_init: { hosts_1: hosts.timelines[1], hosts_100: hosts.timelines[100] },
    failures: c.failures,
    leftovers: [...left, ...run.after],
    plugin_lock_files_left: run.lockFiles,
    plugin_attachments: c.pluginIds.length,
  };
  const base = s.baseline;
  if (base) {
    const ni = hosts.baselineInit;
    j.baseline = {
      add_p50_ms: r1(p50(base.add)),
      add_p90_ms: r1(p90(base.add)),
      del_p50_ms: r1(p50(base.del)),
      del_p90_ms: r1(p90(base.del)),
      node_init_ms_1: r1(p50(ni.get(1)!)),
      node_init_ms_100: r1(p50(ni.get(100)!)),
      add_after_over_before: r2(p50(plugin.add) / p50(base.add)),
      del_after_over_before: r2(p50(plugin.del) / p50(base.del)),
      node_init_1_after_over_before: r2(p50(hosts.nodeInit.get(1)!) / p50(ni.get(1)!)),
      node_init_100_after_over_before: r2(p50(hosts.nodeInit.get(100)!) / p50(ni.get(100)!)),
      add_internal_p50_ms: r1(p50(logged(logT, main.baselineIds, "add"))),
      del_internal_p50_ms: r1(p50(logged(logT, main.baselineIds, "del"))),
      sha256_prefix: c.baseline!.dist.digest,
      dir: c.baselineDir,
    };
  }
  const ratio = (key: string, what: string, max: number): Check => ({
    key,
    what,
    value: `${j[key]}×`,
    target: `≤ ${max}×`,
    ok: j[key] === null ? null : j[key] <= max,
  });
  const atMost = (key: string, what: string, max: number): Check => ({
    key,
    what,
    value: String(j[key]),
    target: `≤ ${max}`,
    ok: j[key] <= max,
  });
  const checks: Check[] = [
    ratio("add_ratio_dynamic_floor", "ADD p50 / dynamic-address floor", 1.0),
    ratio("add_ratio", `ADD p50 / fastest floor (${fastestAdd.replace("_", " ")})`, 1.25),
    ratio("del_ratio", "DEL p50 / floor", 1.5),
    ratio("version_ratio", "VERSION p50 / trivial deno", 1.2),
    atMost("spawns_per_add", "spawns per ADD (no mappings)", 2),
    atMost("spawns_per_del", "spawns per DEL (no mappings)", 1),
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
    ratio("scale_ratio_1000", "ADD p50 at 1,000 ports / at 0", 1.5),
    ratio("hosts_ratio_100", "ADD p50 with 100 hosts / with 1", 1.3),
    ratio("mapped_add_ratio", "ADD p50 with 2 port mappings / without", 1.15),
    {
      key: "mappings_left_after_del",
      what: "mapped ADDs that made their elements; left after DEL",
      value:
        `${j.mapped_adds_with_their_elements}/${j.mapped_adds}; ${j.mappings_left_after_del.length}`,
      target: `${j.mapped_adds}/${j.mapped_adds}; 0`,
      ok: j.mapped_adds_with_their_elements === j.mapped_adds && !j.mappings_left_after_del.length,
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
  return { j, checks };
}
