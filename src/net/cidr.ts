/** Pure IPv4 address and CIDR arithmetic. No I/O. */

/** An IPv4 address with a prefix length, e.g. 172.16.1.1/24. */
export interface Cidr {
  /** The address as written (host bits may be set), as an unsigned 32-bit number. */
  ip: number;
  prefix: number;
}

/**
 * Parses a dotted-quad IPv4 address; `undefined` when it is not one.
 *
 * @example
 * ```ts
 * import { parseIpv4 } from "./cidr.ts";
 * if (parseIpv4("10.0.0.1") !== 0x0a000001) throw new Error();
 * ```
 */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

/**
 * Formats an unsigned 32-bit number as a dotted quad.
 *
 * @example
 * ```ts
 * import { formatIpv4 } from "./cidr.ts";
 * if (formatIpv4(0xac100101) !== "172.16.1.1") throw new Error();
 * ```
 */
export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/**
 * Parses `A.B.C.D/N`; `undefined` when it is not a valid IPv4 CIDR.
 *
 * @example
 * ```ts
 * import { parseCidr } from "./cidr.ts";
 * const c = parseCidr("172.16.1.1/24");
 * if (c?.prefix !== 24) throw new Error();
 * ```
 */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const ip = parseIpv4(m[1]);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32 || (m[2].length > 1 && m[2][0] === "0")) return undefined;
  return { ip, prefix };
}

/** The netmask of a prefix length as an unsigned 32-bit number. */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The network address (host bits cleared). */
export function networkOf(c: Cidr): number {
  return (c.ip & maskOf(c.prefix)) >>> 0;
}

/** The broadcast address (host bits set). */
export function broadcastOf(c: Cidr): number {
  return (networkOf(c) | ~maskOf(c.prefix)) >>> 0;
}

/**
 * The canonical network form, e.g. `172.16.1.0/24` for `172.16.1.7/24`.
 *
 * @example
 * ```ts
 * import { networkCidr, parseCidr } from "./cidr.ts";
 * if (networkCidr(parseCidr("172.16.1.7/24")!) !== "172.16.1.0/24") throw new Error();
 * ```
 */
export function networkCidr(c: Cidr): string {
  return `${formatIpv4(networkOf(c))}/${c.prefix}`;
}

/** Formats the address and prefix as written, e.g. `172.16.1.7/24`. */
export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.ip)}/${c.prefix}`;
}

/** True when the address lies inside the network of `c`. */
export function containsIp(c: Cidr, ip: number): boolean {
  return ((ip & maskOf(c.prefix)) >>> 0) === networkOf(c);
}

/** True when every address of `inner` lies inside `outer`. */
export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && containsIp(outer, inner.ip);
}

/**
 * True when the two networks share at least one address.
 *
 * @example
 * ```ts
 * import { overlaps, parseCidr } from "./cidr.ts";
 * if (!overlaps(parseCidr("10.0.0.0/8")!, parseCidr("10.1.0.0/16")!)) throw new Error();
 * ```
 */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return containsCidr(a, b) || containsCidr(b, a);
}
