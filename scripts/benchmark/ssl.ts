/**
 * What an `ssl:` Northbound costs the plugin: ADD and DEL over `ssl:` (every NB transaction an
 * `ovsdb-client` process, which verifies OVS PKI certificates) against the same over `unix:`,
 * interleaved.  The `ssl:` NB is testing/ssl.ts' relay (ovs-pki certificates, an ovsdb-server
 * relay of the sandbox's NB listening with pssl: on the underlay); the relay also gets a
 * `unix:` socket, so that three contenders separate the relay's own cost from TLS and
 * `ovsdb-client`:
 *
 *   unix        the sandbox's NB itself (what the rest of the bench uses)
 *   relay_unix  the relay, over unix:        (relay_unix − unix: the relay's hop)
 *   ssl         the relay, over ssl:         (ssl − relay_unix: TLS + ovsdb-client processes)
 *
 * node-init on hv1 with the ssl flags writes the ssl: configuration (its own directory).
 * A phase of scripts/bench (the full run), and on its own:
 *
 *   deno run -A scripts/benchmark/ssl.ts [--rounds=N] [--json]
 */
import { parseArgs } from "node:util";
import { withSandbox } from "../../testing/sandbox.ts";
import { startSslNb } from "../../testing/ssl.ts";
import { cniEnv, netnsFor, pluginAdd, pluginDel } from "./contenders.ts";
import { type Ctx, FULL, makeBench, type PluginSetup } from "./context.ts";
import { note } from "./outcome.ts";
import { must, untimed } from "./proc.ts";
import { cleanUp, initHv1, setUp } from "./setup.ts";
import { countSpawns } from "./spawns.ts";
import { p50, p90, r1, r2, rotate } from "./stats.ts";

const KINDS = ["unix", "relay_unix", "ssl"] as const;
type SslKind = typeof KINDS[number];

/** The plugin's configuration with NB at `remote` (everything else as node-init wrote it). */
function atRemote(p: PluginSetup, remote: string): PluginSetup {
  const mesos = { ...JSON.parse(p.mesosConf), nbRemote: remote };
  return { dist: p.dist, conf: { ...p.conf, nbRemote: remote }, mesosConf: JSON.stringify(mesos) };
}

/**
 * `plan.sslRounds` rounds (after one warm-up) of ADD then DEL over unix:, the relay's unix:
 * and the relay's ssl:, rotated; then the processes an ssl: ADD and DEL spawn (strace).
 */
export async function phaseSsl(c: Ctx) {
  const rounds = c.plan.sslRounds;
  const ssl = await startSslNb(c.sb);
  try {
    const viaSsl = await initHv1(c, c.sb, c.dist, "cni-hv1-ssl", "plugin-hv1-ssl.log", ssl.flags);
    const relaySock = `${c.sb.dir}/ssl/relay-nb.sock`;
    must(
      await untimed(c, [
        "ovs-appctl",
        "-t",
        `${c.sb.dir}/ssl/relay.ctl`,
        "ovsdb-server/add-remote",
        `punix:${relaySock}`,
      ]),
      "relay add-remote punix",
    );
    const setups: Record<SslKind, PluginSetup> = {
      unix: c,
      relay_unix: atRemote(c, `unix:${relaySock}`),
      ssl: viaSsl,
    };
    const ns = Object.fromEntries(
      await Promise.all(KINDS.map(async (k) => [k, await netnsFor(c, `ssl-${k}`)])),
    ) as Record<SslKind, string>;
    const s = {} as Record<SslKind, { add: number[]; del: number[] }>;
    for (const k of KINDS) s[k] = { add: [], del: [] };
    for (let round = -1; round < rounds; round++) {
      c.checkAbort();
      const ids = Object.fromEntries(KINDS.map((k) => [k, crypto.randomUUID()])) as Record<
        SslKind,
        string
      >;
      const order = rotate(KINDS, Math.max(round, 0));
      for (const k of order) {
        const r = await pluginAdd(c, ids[k], ns[k], setups[k]);
        note(c, `${k} ADD (ssl phase)`, r);
        if (round >= 0 && r.ok) s[k].add.push(r.ms);
      }
      for (const k of order) {
        const r = await pluginDel(c, ids[k], ns[k], setups[k]);
        note(c, `${k} DEL (ssl phase)`, r);
        if (round >= 0 && r.ok) s[k].del.push(r.ms);
      }
      if (round >= 0 && (round + 1) % 5 === 0) {
        c.progress(
          `  round ${round + 1}/${rounds}: ADD p50 ` +
            KINDS.map((k) => `${k} ${r1(p50(s[k].add))}`).join(", ") + " ms",
        );
      }
    }
    // the processes of one ssl: ADD and DEL
    const id = crypto.randomUUID();
    c.pluginIds.push(id);
    const file = `${c.sb.dir}/ssl-strace.out`;
    const spawned: Record<"add" | "del", string[]> = { add: [], del: [] };
    for (const op of ["add", "del"] as const) {
      const env = cniEnv(c, op.toUpperCase(), id, ns.ssl, c.dist.dir);
      const n = await countSpawns(c, c.hv1.netns, [c.dist.plugin], env, viaSsl.mesosConf, file);
      spawned[op] = n.children;
    }
    return { s, spawned, rounds, remote: ssl.remote };
  } finally {
    await ssl.stop();
  }
}

/** The phase's figures, as the report holds them. */
export function sslFigures(r: Awaited<ReturnType<typeof phaseSsl>>) {
  const { s } = r;
  const f: Record<string, unknown> = { rounds: r.rounds, remote: r.remote };
  for (const k of KINDS) {
    f[`${k}_add_p50_ms`] = r1(p50(s[k].add));
    f[`${k}_add_p90_ms`] = r1(p90(s[k].add));
    f[`${k}_del_p50_ms`] = r1(p50(s[k].del));
    f[`${k}_del_p90_ms`] = r1(p90(s[k].del));
  }
  f.add_ratio_ssl_unix = r2(p50(s.ssl.add) / p50(s.unix.add));
  f.del_ratio_ssl_unix = r2(p50(s.ssl.del) / p50(s.unix.del));
  f.add_cost_ms = r1(p50(s.ssl.add) - p50(s.unix.add));
  f.del_cost_ms = r1(p50(s.ssl.del) - p50(s.unix.del));
  f.add_cost_tls_ms = r1(p50(s.ssl.add) - p50(s.relay_unix.add));
  f.del_cost_tls_ms = r1(p50(s.ssl.del) - p50(s.relay_unix.del));
  f.spawns_per_add = r.spawned.add.length;
  f.spawns_per_del = r.spawned.del.length;
  f.spawned = r.spawned;
  return f;
}

/** The figures as a few lines of text. */
export function renderSsl(f: Record<string, unknown>): string {
  return [
    `NB over ssl: (${f.remote}, a relay) vs unix: (${f.rounds} interleaved rounds, p50 / p90 ms):`,
    `  unix: NB          ADD ${f.unix_add_p50_ms} / ${f.unix_add_p90_ms}   DEL ${f.unix_del_p50_ms} / ${f.unix_del_p90_ms}`,
    `  relay over unix:  ADD ${f.relay_unix_add_p50_ms} / ${f.relay_unix_add_p90_ms}   DEL ${f.relay_unix_del_p50_ms} / ${f.relay_unix_del_p90_ms}`,
    `  relay over ssl:   ADD ${f.ssl_add_p50_ms} / ${f.ssl_add_p90_ms}   DEL ${f.ssl_del_p50_ms} / ${f.ssl_del_p90_ms}`,
    `  ssl: costs ADD +${f.add_cost_ms} ms (${f.add_ratio_ssl_unix}×), DEL +${f.del_cost_ms} ms ` +
    `(${f.del_ratio_ssl_unix}×); of which TLS + ovsdb-client (ssl − relay over unix): ` +
    `ADD +${f.add_cost_tls_ms}, DEL +${f.del_cost_tls_ms} ms`,
    `  processes per ssl: ADD ${f.spawns_per_add} (${
      (f.spawned as { add: string[] }).add.join(", ")
    }), DEL ${f.spawns_per_del}`,
  ].join("\n");
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      rounds: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log("usage: deno run -A scripts/benchmark/ssl.ts [--rounds=N] [--json]");
    return 0;
  }
  const rounds = values.rounds ? Number(values.rounds) : FULL.sslRounds;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: ${values.rounds}`);
  const abort = new AbortController();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => abort.abort());
  }
  const b = makeBench({ ...FULL, sslRounds: rounds }, abort.signal);
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  b.progress(`sandbox up (2 hosts); load average ${load}`);
  const { f, failures } = await withSandbox({ hosts: 2 }, async (sb) => {
    const c = await setUp(b, sb);
    try {
      b.progress(`ssl: ${rounds} rounds unix / relay over unix / relay over ssl`);
      return { f: sslFigures(await phaseSsl(c)), failures: c.failures };
    } finally {
      await cleanUp(c);
    }
  });
  f.load_average_at_start = load;
  f.failures = failures;
  if (values.json) {
    console.error(renderSsl(f));
    console.log(JSON.stringify(f, null, 2));
  } else {
    console.log(renderSsl(f));
  }
  return failures.length ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`bench ssl: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
