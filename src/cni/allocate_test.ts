import assert from "node:assert/strict";
import { parseCidr, parseIpv4 } from "../net/cidr.ts";
import { addressesIn, macFor, pickAddress } from "./allocate.ts";

Deno.test("pickAddress() never gives the network, broadcast or an excluded address", () => {
  const s = parseCidr("172.16.1.0/28")!;
  const excluded = new Set([parseIpv4("172.16.1.1")!]);
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const a = pickAddress(s, excluded)!;
    assert.ok(!["172.16.1.0", "172.16.1.1", "172.16.1.15"].includes(a), a);
    seen.add(a);
  }
  assert.equal(seen.size, 13, "every free address is reachable");
});

Deno.test("pickAddress() finds the last free address and answers undefined when full", () => {
  const s = parseCidr("10.0.0.0/24")!;
  const used = new Set<number>();
  for (let i = 1; i < 255; i++) if (i !== 77) used.add(parseIpv4(`10.0.0.${i}`)!);
  assert.equal(pickAddress(s, used, () => 0.5), "10.0.0.77");
  used.add(parseIpv4("10.0.0.77")!);
  assert.equal(pickAddress(s, used), undefined);
});

Deno.test("addressesIn() reads the addresses of addresses and dynamic_addresses texts", () => {
  const rows: [string[], string[]][] = [
    [["0a:58:ac:10:01:05 172.16.1.5"], ["172.16.1.5"]],
    [["0a:00:00:00:00:01 10.0.0.2 10.0.0.3"], ["10.0.0.2", "10.0.0.3"]],
    [["router", "dynamic", "unknown"], []],
  ];
  for (const [texts, want] of rows) {
    assert.deepEqual(addressesIn(texts), want.map((w) => parseIpv4(w)));
  }
});

Deno.test("macFor() derives a locally administered MAC from the address", () => {
  assert.equal(macFor("10.0.0.2"), "0a:58:0a:00:00:02");
});
