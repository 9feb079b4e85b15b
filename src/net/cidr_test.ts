import { deepEqual as assertEquals } from "node:assert/strict";
import {
  broadcastOf,
  containsCidr,
  containsIp,
  formatIpv4,
  networkCidr,
  overlaps,
  parseCidr,
  parseIpv4,
} from "./cidr.ts";

Deno.test("parseIpv4() accepts dotted quads and rejects everything else", () => {
  const rows: [string, number | undefined][] = [
    ["0.0.0.0", 0],
    ["255.255.255.255", 0xffffffff],
    ["172.16.1.1", 0xac100101],
    ["256.0.0.1", undefined],
    ["1.2.3", undefined],
    ["1.2.3.4.5", undefined],
    ["01.2.3.4", undefined],
    ["a.b.c.d", undefined],
    ["", undefined],
    [" 1.2.3.4", undefined],
  ];
  for (const [text, want] of rows) assertEquals(parseIpv4(text), want, text);
});

Deno.test("formatIpv4() round-trips parseIpv4()", () => {
  for (const t of ["0.0.0.0", "10.0.0.1", "255.255.255.255", "172.16.255.254"]) {
    assertEquals(formatIpv4(parseIpv4(t)!), t);
  }
});

Deno.test("parseCidr() rows", () => {
  const rows: [string, string | undefined][] = [
    ["172.16.1.7/24", "172.16.1.0/24"],
    ["10.0.0.0/8", "10.0.0.0/8"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["1.2.3.4/32", "1.2.3.4/32"],
    ["1.2.3.4/33", undefined],
    ["1.2.3.4/024", undefined],
    ["1.2.3.4", undefined],
    ["1.2.3.4/", undefined],
    ["300.1.1.1/24", undefined],
    ["abc", undefined],
  ];
  for (const [text, want] of rows) {
    const c = parseCidr(text);
    assertEquals(c && networkCidr(c), want, text);
  }
});

Deno.test("broadcastOf() and containsIp() at the edges", () => {
  const c = parseCidr("172.16.1.1/24")!;
  assertEquals(formatIpv4(broadcastOf(c)), "172.16.1.255");
  assertEquals(containsIp(c, parseIpv4("172.16.1.255")!), true);
  assertEquals(containsIp(c, parseIpv4("172.16.2.0")!), false);
  assertEquals(formatIpv4(broadcastOf(parseCidr("0.0.0.0/0")!)), "255.255.255.255");
});

Deno.test("containsCidr() and overlaps() rows", () => {
  const rows: [string, string, boolean, boolean][] = [
    // outer, inner, contains, overlaps
    ["172.16.0.0/16", "172.16.1.0/24", true, true],
    ["172.16.1.0/24", "172.16.0.0/16", false, true],
    ["172.16.0.0/16", "172.17.1.0/24", false, false],
    ["172.16.1.0/24", "172.16.1.0/24", true, true],
    ["172.16.1.0/25", "172.16.1.128/25", false, false],
  ];
  for (const [a, b, contains, over] of rows) {
    assertEquals(containsCidr(parseCidr(a)!, parseCidr(b)!), contains, `${a} ⊇ ${b}`);
    assertEquals(overlaps(parseCidr(a)!, parseCidr(b)!), over, `${a} ∩ ${b}`);
  }
});
