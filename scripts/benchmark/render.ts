/** The report as text: the tables and lines `scripts/bench` prints. */
import type { Check, Json } from "./report.ts";

function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? "")].length)));
  return rows.map((r) => r.map((x, i) => x.padEnd(w[i])).join("  ").trimEnd()).join("\n");
}

/** The whole report, readable. */
export function render(j: Json, checks: Check[]): string {
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
      "floor (benchmark/floor_*.sh)",
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
