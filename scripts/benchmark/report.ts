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
import type { phaseHosts, phasePorts } from "./scale.ts";
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
  /** the plugin's own times, from its log */
  logT: Map<string, { add?: number; del?: number }>;
  /** attachments left on hv1 after the DELs */
  left: string[];
}

/** Around the measurements: the load at the start, what the teardown left, lock files. */
export interface RunFacts {
  load: string;
  after: string[];
  lockFiles: number;
}

/** The plugin's own time per operation, from its log lines "ADD <id> eth0: … (N ms)". */
export async function pluginLogTimes(c: Ctx): Promise<Map<string, { add?: number; del?: number }>> {
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

/** The JSON report and its targets. */
export function report(c: Ctx, m: Measured, run: RunFacts): { j: Json; checks: Check[] } {
  const plan = c.plan;
  const { main, ver, sp, timeline, conc, ports, hosts, logT, left } = m;
  const s = main.s;
  const { ids: _ids, ...concFigures } = conc;
  const harness = p50(main.harness);
  const pAt = (n: number) => p50(ports.at.get(n)!.plugin);
  const fAt = (n: number) => p50(ports.at.get(n)!.floor);
  const j: Json = {
    quick: plan.quick,
    rounds: plan.rounds,
    strace_runs: plan.straceRuns,
    timeline_runs: plan.timelineRuns,
    load_average_at_start: run.load,
    dist_sha256_prefix: c.dist.digest,
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
    add_internal_p50_ms: r1(p50(logged(logT, main.pluginIds, "add"))),
    del_internal_p50_ms: r1(p50(logged(logT, main.pluginIds, "del"))),
    connectivity_ok: main.connectivity,
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
    leftovers: [...left, ...run.after],
    plugin_lock_files_left: run.lockFiles,
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
  return { j, checks };
}
