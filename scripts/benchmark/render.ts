/** The report as text: the tables and lines `scripts/bench` prints. */
import type { Check, Json } from "./report.ts";
import { renderSsl } from "./ssl.ts";

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
  const mc = j.machine as Json;
  out.push(
    `on ${mc.nproc} × ${mc.cpu_model}, kernel ${mc.kernel}, ${mc.ovs}, ${mc.ovn}, deno ${mc.deno}; ` +
      `load average at the start ${j.load_average_at_start}`,
  );
  out.push("");
  const b = j.baseline as Json | null;
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
    ...(b
      ? [[
        "baseline (--baseline build)",
        f(b.add_p50_ms),
        f(b.add_p90_ms),
        f(b.del_p50_ms),
        f(b.del_p90_ms),
        "",
        "",
      ]]
      : []),
    [
      "floor, dynamic address (floor_add.sh)",
      f(j.add_floor_p50_ms),
      f(j.add_floor_p90_ms),
      f(j.del_floor_p50_ms),
      f(j.del_floor_p90_ms),
      f(j.floor_spawns_per_add),
      f(j.floor_spawns_per_del),
    ],
    [
      "floor, static address (floor_add_static.sh)",
      f(j.add_floor_static_p50_ms),
      f(j.add_floor_static_p90_ms),
      f(j.del_floor_static_p50_ms),
      f(j.del_floor_static_p90_ms),
      f(j.floor_static_spawns_per_add),
      f(j.floor_static_spawns_per_del),
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
  out.push(
    `ratios: ADD / dynamic floor ${f(j.add_ratio_dynamic_floor)}×, / static floor ${
      f(j.add_ratio_static_floor)
    }×; DEL / floor ${f(j.del_ratio)}×`,
  );
  if (b) {
    out.push(
      `before/after (baseline ${b.sha256_prefix}… vs this build, same run): ADD ${b.add_p50_ms} → ${j.add_p50_ms} ms ` +
        `(${b.add_after_over_before}×), DEL ${b.del_p50_ms} → ${j.del_p50_ms} ms (${b.del_after_over_before}×), ` +
        `node-init with 1 host ${b.node_init_ms_1} → ${j.node_init_ms_1} ms, with 100 ${b.node_init_ms_100} → ${j.node_init_ms_100} ms`,
    );
  }
  out.push(
    `port mappings (${j.mapping_rounds} rounds): ADD p50 without ${j.unmapped_add_p50_ms}, with 2 ${j.mapped_add_p50_ms} ms ` +
      `(${j.mapped_add_ratio}×); DEL ${j.unmapped_del_p50_ms} / ${j.mapped_del_p50_ms} ms (${j.mapped_del_ratio}×); ` +
      `spawns with mappings ADD ${j.spawns_per_add_mapped}, DEL ${j.spawns_per_del_mapped}; ` +
      `left after DEL: ${
        j.mappings_left_after_del.length ? j.mappings_left_after_del.join(", ") : "nothing"
      }`,
  );
  if (j.ssl) {
    out.push("");
    out.push(renderSsl(j.ssl));
  }
  out.push("");
  out.push(table([
    ["start-up", "p50", "p90"],
    ["ovn-mesos-plugin VERSION", f(j.version_p50_ms), f(j.version_p90_ms)],
    ["deno run (one-line file)", f(j.deno_trivial_p50_ms), f(j.deno_trivial_p90_ms)],
    ["Go bridge VERSION", f(j.bridge_version_p50_ms), f(j.bridge_version_p90_ms)],
  ]));
  out.push("");
  const x = (v: unknown) => `${f(v)}×`;
  out.push(table([
    ["scale (ADD p50 ms)", "plugin", "floor", "static floor"],
    [
      "0 ports on the host",
      f(j.add_p50_ms_ports_0),
      f(j.floor_add_p50_ms_ports_0),
      f(j.floor_static_add_p50_ms_ports_0),
    ],
    [
      "250 ports",
      f(j.add_p50_ms_ports_250),
      f(j.floor_add_p50_ms_ports_250),
      f(j.floor_static_add_p50_ms_ports_250),
    ],
    [
      "1,000 ports",
      f(j.add_p50_ms_ports_1000),
      f(j.floor_add_p50_ms_ports_1000),
      f(j.floor_static_add_p50_ms_ports_1000),
    ],
    [
      "ratio 1,000 / 0 ports",
      x(j.scale_ratio_1000),
      x(j.floor_scale_ratio_1000),
      x(j.floor_static_scale_ratio_1000),
    ],
    [
      "1 host in NB",
      f(j.add_p50_ms_hosts_1),
      f(j.floor_add_p50_ms_hosts_1),
      f(j.floor_static_add_p50_ms_hosts_1),
    ],
    [
      "100 hosts in NB",
      f(j.add_p50_ms_hosts_100),
      f(j.floor_add_p50_ms_hosts_100),
      f(j.floor_static_add_p50_ms_hosts_100),
    ],
    [
      "ratio 100 / 1 hosts",
      x(j.hosts_ratio_100),
      x(j.floor_hosts_ratio_100),
      x(j.floor_static_hosts_ratio_100),
    ],
    ["node-init, 1 host already", f(j.node_init_ms_1), b ? `(baseline ${b.node_init_ms_1})` : ""],
    [
      "node-init, 100 hosts already",
      f(j.node_init_ms_100),
      b ? `(baseline ${b.node_init_ms_100})` : "",
    ],
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
  const where: [string, string][] = [
    ["timeline_ports_0", "at 0 ports"],
    ["timeline_ports_1000", "at 1000 ports"],
    ["timeline_hosts_1", "with 1 host in NB"],
    ["timeline_hosts_100", "with 100 hosts in NB"],
  ];
  for (const [key, when] of where) {
    for (const [name, tr] of Object.entries((j[key] ?? {}) as Json)) {
      out.push("");
      out.push(
        `where ${name.replaceAll("_", " ").toUpperCase()} goes ${when} ` +
          `(PATH shims, p50 of ${j.timeline_runs}): ` +
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
