/**
 * Where a program's time goes, seen from outside without slowing it: PATH shims that log
 * when each OVS/OVN tool, `ip`, `nsenter` and `nft` start and end, and logging proxies in front of
 * the OVSDB sockets that note each JSON-RPC request and its reply (the program's in-process
 * database work); {@link timelineRun} puts both on one time line, with the moments the host's
 * daemons logged for the port ({@link hostMarks}: plugged into br-int, claimed, `ovn-installed`
 * set, and on DEL unplugged and released) and the kernel's link events.  {@link label} also
 * names the children strace sees (spawns.ts).
 */
import { which } from "../../testing/run.ts";
import type { Bench } from "./context.ts";
import { inNetns, must, untimed } from "./proc.ts";
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

const SHIMMED = ["ovn-nbctl", "ovs-vsctl", "ip", "nsenter", "nft", "ovsdb-client"];

/**
 * A PATH directory whose ovn-nbctl, ovs-vsctl, ip, nsenter, nft and ovsdb-client are bash
 * wrappers logging
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
    if (text.length > 32_768) {
      // Large: a reply holding many rows, or a monitor's update.  Parsing it here would hold
      // this (the bench's) event loop for ms and delay the next time stamps: only a reply's
      // id is read, from its head (ovsdb-server writes "id" first).
      const id = /^\{"id":(\d+|"[^"]*"),"result"/.exec(text.slice(0, 64))?.[1];
      if (id === undefined) return;
      msg = { id: JSON.parse(id) };
    } else {
      try {
        msg = JSON.parse(text);
      } catch {
        return;
      }
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

/** A moment in a host daemon's life that belongs to the operation (epoch ms). */
export interface Mark {
  label: string;
  at: number;
}

/** The last line of `text` that contains `needle`, as the epoch ms of its OVS log timestamp. */
function loggedAt(text: string, needle: string): number | undefined {
  const i = text.lastIndexOf(needle);
  if (i < 0) return undefined;
  const line = text.slice(text.lastIndexOf("\n", i) + 1, i);
  const t = Date.parse(line.split("|")[0]);
  return Number.isFinite(t) ? t : undefined;
}

/**
 * When `ip -ts monitor link` saw link `name` appear (its first RTM_NEWLINK) or, with
 * `deleted`, go (RTM_DELLINK, sent as the kernel starts unregistering it: the RCU grace
 * periods of a veth's deletion come after).  Its time stamps are local time, as Date.parse
 * reads a date without a zone.
 */
function linkEventAt(text: string, name: string, deleted: boolean): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^\[([0-9T:.-]+)\] (Deleted )?\d+: ([^@:]+)[@:]/.exec(line);
    if (!m || m[3] !== name || Boolean(m[2]) !== deleted) continue;
    const [whole, frac = ""] = m[1].split(".");
    const t = Date.parse(`${whole}.${frac.padEnd(3, "0").slice(0, 3)}`);
    return Number.isFinite(t) ? t + Number(`0.${frac.slice(3) || "0"}`) : undefined;
  }
  return undefined;
}

/**
 * What the host's daemons logged for one port (ms resolution): ovs-vswitchd adding the veth
 * to br-int (the plug), ovn-controller claiming the logical port (northd's pass is done), and
 * `external_ids:ovn-installed-ts` on the Interface (ovn-controller's own time stamp of the
 * moment the flows are in: the plugin's "ready"); on DEL ovs-vswitchd deleting the interface
 * and ovn-controller removing ovn-installed.  With `linkLog` (`ip -ts monitor link` in the
 * host's netns) also the kernel's announcement of the veth's creation or deletion, to the µs.
 * Read after the operation; before its DEL for ADD.
 */
export async function hostMarks(
  b: Bench,
  hostDir: string,
  op: "add" | "del",
  veth: string,
  lsp: string,
  linkLog?: string,
): Promise<Mark[]> {
  const vswitchd = await Deno.readTextFile(`${hostDir}/ovs-vswitchd.log`).catch(() => "");
  const controller = await Deno.readTextFile(`${hostDir}/ovn-controller.log`).catch(() => "");
  const links = linkLog ? await Deno.readTextFile(linkLog).catch(() => "") : "";
  const marks: (Mark | undefined)[] = [];
  const at = (label: string, t: number | undefined) =>
    t === undefined ? undefined : { label, at: t };
  if (op === "add") {
    marks.push(
      at("● veth created (the kernel's RTM_NEWLINK)", linkEventAt(links, veth, false)),
      at(
        "● plugged: ovs-vswitchd added it to br-int",
        loggedAt(vswitchd, `added interface ${veth} `),
      ),
      at("● ovn-controller claims the port", loggedAt(controller, `Claiming lport ${lsp} `)),
    );
    const r = await untimed(b, [
      "ovs-vsctl",
      `--db=unix:${hostDir}/db.sock`,
      "--if-exists",
      "get",
      "Interface",
      veth,
      "external_ids:ovn-installed-ts",
    ]);
    const ts = Number(r.stdout.trim().replaceAll('"', ""));
    marks.push(at("● ovn-installed set (ovn-installed-ts)", ts > 0 ? ts : undefined));
  } else {
    marks.push(
      at("● veth unregistered (the kernel's RTM_DELLINK)", linkEventAt(links, veth, true)),
      at("● ovn-controller removes ovn-installed", loggedAt(controller, `Removing lport ${lsp} `)),
      at("● ovs-vswitchd deleted it from br-int", loggedAt(vswitchd, `deleted interface ${veth} `)),
    );
  }
  return marks.filter((m): m is Mark => m !== undefined);
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
  marks?: () => Promise<Mark[]>,
): Promise<Timeline> {
  await Deno.writeTextFile(log, "");
  for (const p of proxies) p.take();
  const start = performance.timeOrigin + performance.now();
  must(await inNetns(b, ns, argv, env, stdin), argv[0]);
  const end = performance.timeOrigin + performance.now();
  // A tool the program started and did not wait for (DEL's `ip link delete`) logs itself when it
  // ends, after the program has returned: give it time to, so that it shows here and not in the
  // next run (where it would start before the call; such lines are dropped).
  await new Promise((r) => setTimeout(r, 60));
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
  const steps = [...tools, ...rpcs].filter((st) => st.start_ms >= 0)
    .sort((a, b) => a.start_ms - b.start_ms);
  const total = end - start;
  // time covered by at least one tool, up to the return
  let covered = 0, until = -Infinity;
  for (const st of steps) {
    const a = Math.max(st.start_ms, until), b = Math.min(st.start_ms + st.ms, total);
    if (b > a) covered += b - a;
    until = Math.max(until, b);
  }
  // the daemons' moments and the return, as steps of no length (not counted as covered)
  const moments = [
    ...(marks ? await marks() : []).map((m) => ({ label: m.label, start_ms: m.at - start, ms: 0 })),
    { label: "● returned", start_ms: total, ms: 0 },
  ];
  return {
    total_ms: total,
    startup_ms: steps.length ? steps[0].start_ms : total,
    tail_ms: steps.length
      ? Math.max(0, total - Math.max(...steps.map((x) => x.start_ms + x.ms)))
      : 0,
    own_ms: total - covered,
    steps: [...steps, ...moments].sort((a, b) => a.start_ms - b.start_ms),
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
