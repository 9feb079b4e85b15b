/**
 * Where a program's time goes, seen from outside without slowing it: PATH shims that log
 * when each OVS/OVN tool, `ip` and `nsenter` start and end, and logging proxies in front of
 * the OVSDB sockets that note each JSON-RPC request and its reply (the program's in-process
 * database work); {@link timelineRun} puts both on one time line.  {@link label} also names
 * the children strace sees (spawns.ts).
 */
import { which } from "../../testing/run.ts";
import type { Bench } from "./context.ts";
import { inNetns, must } from "./proc.ts";
import { p50, r1 } from "./stats.ts";

/** A short name for one child process: the tool and its (sub)commands. */
export function label(argv: string[]): string {
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

const SHIMMED = ["ovn-nbctl", "ovs-vsctl", "ip", "nsenter"];

/**
 * A PATH directory whose ovn-nbctl, ovs-vsctl, ip and nsenter are bash wrappers logging
 * "start end argv" ($EPOCHREALTIME) around the real tool.  Unlike strace, nothing slows the
 * program itself; each tool start costs a bash start (~2-3 ms) more, for the plugin and the
 * floor alike.
 */
export async function makeShims(b: Bench, dir: string, log: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  for (const tool of SHIMMED) {
    const real = which(tool);
    if (!real) throw new Error(`cannot find ${tool}`);
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
  return `${dir}:${b.path}`;
}

/** One JSON-RPC request and its reply, seen by an {@link RpcProxy}. */
export interface RpcStep {
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
export function jsonSplitter(): (chunk: Uint8Array) => string[] {
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

export interface Timeline {
  total_ms: number;
  /** program start → first tool starts */
  startup_ms: number;
  /** last tool ends → program exits */
  tail_ms: number;
  /** time with no tool running: start-up, the program's own work between tools, exit */
  own_ms: number;
  steps: { label: string; start_ms: number; ms: number }[];
}

export async function timelineRun(
  b: Bench,
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
  must(await inNetns(b, ns, argv, env, stdin), argv[0]);
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
export function medianTimeline(runs: Timeline[]) {
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
