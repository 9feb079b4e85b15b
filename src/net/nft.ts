/**
 * Port mappings at the host's own addresses, in the kernel's nftables: one
 * table owned by ovn-mesos, set up by node-init, and two maps that ADD and
 * DEL change with one batch each (in-process through libnftables; only when a container has
 * mappings).
 *
 * - `ports` maps (protocol . host port) to (container address . port) for
 *   every local address; `addrports` the same for one host address.
 * - Traffic to a local address (from outside, or from the host itself, but
 *   not to 127.0.0.0/8) is DNATed through them.
 * - DNATed traffic that leaves into the overlay is masqueraded to the host
 *   port's address, so the container answers the host and the reply finds its
 *   way back through the host's connection tracking (the overlay's own
 *   gateway is elsewhere).
 * Each element carries a comment naming the attachment that holds it.
 */
import { run } from "../exec.ts";

/** One mapping as nft writes it. */
export interface NftMapping {
  protocol: "tcp" | "udp";
  hostPort: number;
  hostIp?: string;
  target: string;
  targetPort: number;
}

/**
 * The batch node-init runs: the table, its maps and chains (kept), the rules (made anew).
 *
 * @example
 * ```ts
 * import { setupBatch } from "./nft.ts";
 * if (!setupBatch("ovn-mesos", "ovn-mesos").includes('oifname "ovn-mesos" masquerade')) throw new Error();
 * ```
 */
export function setupBatch(table: string, overlayIface: string): string {
  const t = `ip ${table}`;
  return [
    `add table ${t}`,
    `add map ${t} ports { type inet_proto . inet_service : ipv4_addr . inet_service; }`,
    `add map ${t} addrports { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }`,
    `add chain ${t} mappings`,
    `add chain ${t} prerouting { type nat hook prerouting priority dstnat; policy accept; }`,
    `add chain ${t} output { type nat hook output priority -100; policy accept; }`,
    `add chain ${t} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
    ...["mappings", "prerouting", "output", "postrouting"].map((c) => `flush chain ${t} ${c}`),
    `add rule ${t} prerouting fib daddr type local jump mappings`,
    `add rule ${t} output ip daddr != 127.0.0.0/8 fib daddr type local jump mappings`,
    `add rule ${t} mappings dnat ip to ip daddr . meta l4proto . th dport map @addrports`,
    `add rule ${t} mappings dnat ip to meta l4proto . th dport map @ports`,
    `add rule ${t} postrouting ct status dnat oifname "${overlayIface}" masquerade`,
    "",
  ].join("\n");
}

function key(m: NftMapping): string {
  return m.hostIp ? `${m.hostIp} . ${m.protocol} . ${m.hostPort}` : `${m.protocol} . ${m.hostPort}`;
}

function mapOf(m: NftMapping): string {
  return m.hostIp ? "addrports" : "ports";
}

/**
 * ADD's batch: `create` fails the whole batch when a key is taken.
 *
 * @example
 * ```ts
 * import { addBatch } from "./nft.ts";
 * const b = addBatch("t", "ovn/c/eth0", [
 *   { protocol: "tcp", hostPort: 8080, target: "10.0.0.2", targetPort: 80 },
 * ]);
 * if (b !== 'create element ip t ports { tcp . 8080 comment "ovn/c/eth0" : 10.0.0.2 . 80 }\n') {
 *   throw new Error(b);
 * }
 * ```
 */
export function addBatch(table: string, owner: string, ms: NftMapping[]): string {
  return ms.map((m) =>
    `create element ip ${table} ${mapOf(m)} { ${
      key(m)
    } comment "${owner}" : ${m.target} . ${m.targetPort} }\n`
  ).join("");
}

/** DEL's batch. */
export function deleteBatch(table: string, ms: NftMapping[]): string {
  return ms.map((m) => `delete element ip ${table} ${mapOf(m)} { ${key(m)} }\n`).join("");
}

/** A batch the kernel (or nft) refused; `text` is nft's own message. */
export class NftError extends Error {
  override name = "NftError";
  constructor(readonly text: string) {
    super(`nft: ${text.trim().split("\n")[0]}`);
  }
}

const LIBNFTABLES = {
  nft_ctx_new: { parameters: ["u32"], result: "pointer" },
  nft_ctx_buffer_output: { parameters: ["pointer"], result: "i32" },
  nft_ctx_buffer_error: { parameters: ["pointer"], result: "i32" },
  nft_ctx_get_error_buffer: { parameters: ["pointer"], result: "pointer" },
  nft_run_cmd_from_buffer: { parameters: ["pointer", "buffer"], result: "i32" },
} as const;

/** libnftables and one context, loaded at the first batch; null when it cannot be loaded. */
let nftables:
  | { lib: Deno.DynamicLibrary<typeof LIBNFTABLES>; ctx: Deno.PointerValue }
  | null
  | undefined;

function openNftables() {
  if (nftables !== undefined) return nftables;
  try {
    const lib = Deno.dlopen("libnftables.so.1", LIBNFTABLES);
    const ctx = lib.symbols.nft_ctx_new(0);
    lib.symbols.nft_ctx_buffer_output(ctx);
    lib.symbols.nft_ctx_buffer_error(ctx);
    nftables = ctx ? { lib, ctx } : null;
  } catch {
    nftables = null;
  }
  return nftables;
}

/**
 * Runs one batch atomically; throws an {@link NftError} with nft's own message.
 * In-process through libnftables (what the `nft` command is made of: about
 * 3 ms against ~16 for the command), else the `nft` command.
 */
export async function runNft(batch: string, timeoutMs = 10_000): Promise<void> {
  const n = openNftables();
  if (n) {
    const rc = n.lib.symbols.nft_run_cmd_from_buffer(n.ctx, new TextEncoder().encode(`${batch}\0`));
    if (rc === 0) return;
    const err = n.lib.symbols.nft_ctx_get_error_buffer(n.ctx);
    throw new NftError(err ? new Deno.UnsafePointerView(err).getCString() : `error ${rc}`);
  }
  const r = await run(["nft", "-f", "-"], { stdin: batch, timeoutMs, allowFailure: true });
  if (r.code !== 0) throw new NftError(r.stderr || `nft exited with ${r.code}`);
}

/** Who holds a key: the comment of its element, if any (for collision messages). */
export async function holderOf(table: string, m: NftMapping): Promise<string | undefined> {
  const r = await run(["nft", "-j", "list", "map", "ip", table, mapOf(m)], {
    allowFailure: true,
    timeoutMs: 5000,
  });
  if (r.code !== 0) return undefined;
  type Elem = [{ elem: { val: { concat: unknown[] }; comment?: string } }, unknown];
  const doc = JSON.parse(r.stdout) as { nftables: { map?: { elem?: Elem[] } }[] };
  const want = m.hostIp ? [m.hostIp, m.protocol, m.hostPort] : [m.protocol, m.hostPort];
  for (const item of doc.nftables) {
    for (const [e] of item.map?.elem ?? []) {
      if (JSON.stringify(e.elem.val.concat) === JSON.stringify(want)) return e.elem.comment;
    }
  }
  return undefined;
}
