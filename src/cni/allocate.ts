/**
 * Choosing a container's address in the plugin, so that its logical port is
 * created whole — address, MAC and port security in one insert, one pass of
 * ovn-northd — instead of asking northd to allocate one and writing again.
 *
 * Correct under concurrency: the choice is random among the addresses this
 * host's ports do not use, and the insert goes out with a guard that no port
 * holds that exact `"MAC IP"` (the MAC derives from the address, so the same
 * address always gives the same text). OVSDB runs transactions one after
 * another, so of two ADDs that chose the same address one commits and the
 * other's guard fails; it takes another address and tries again.
 */
import { broadcastOf, type Cidr, formatIpv4, networkOf, parseIpv4 } from "../net/cidr.ts";

/**
 * The MAC of a container's address: locally administered, from the address.
 *
 * @example
 * ```ts
 * import { macFor } from "./allocate.ts";
 * if (macFor("172.16.1.5") !== "0a:58:ac:10:01:05") throw new Error();
 * ```
 */
export function macFor(ip: string): string {
  const hex = ip.split(".").map((o) => Number(o).toString(16).padStart(2, "0"));
  return `0a:58:${hex.join(":")}`;
}

/** The IPv4 addresses in `"MAC IP…"` texts (addresses, dynamic_addresses). */
export function addressesIn(texts: string[]): number[] {
  const out: number[] = [];
  for (const t of texts) {
    for (const word of t.split(/\s+/)) {
      const n = parseIpv4(word.split("/")[0]);
      if (n !== undefined && word.includes(".")) out.push(n);
    }
  }
  return out;
}

/**
 * A free host address of `subnet`, at random; undefined when none is left.
 * Never the network, broadcast or any of `excluded`.
 *
 * @example
 * ```ts
 * import { pickAddress } from "./allocate.ts";
 * import { parseCidr, parseIpv4 } from "../net/cidr.ts";
 * const s = parseCidr("10.0.0.0/30")!;
 * const gw = parseIpv4("10.0.0.1")!;
 * if (pickAddress(s, new Set([gw])) !== "10.0.0.2") throw new Error();
 * if (pickAddress(s, new Set([gw, parseIpv4("10.0.0.2")!])) !== undefined) throw new Error();
 * ```
 */
export function pickAddress(
  subnet: Cidr,
  excluded: Set<number>,
  random: () => number = Math.random,
): string | undefined {
  const first = networkOf(subnet) + 1;
  const last = broadcastOf(subnet) - 1;
  const size = last - first + 1;
  if (size <= 0) return undefined;
  // Random probes first (cheap while the subnet is far from full), then a scan from a random start.
  for (let i = 0; i < 32; i++) {
    const n = first + Math.floor(random() * size);
    if (!excluded.has(n)) return formatIpv4(n);
  }
  const start = Math.floor(random() * size);
  for (let i = 0; i < size; i++) {
    const n = first + ((start + i) % size);
    if (!excluded.has(n)) return formatIpv4(n);
  }
  return undefined;
}
