import assert from "node:assert/strict";
import { containerPort, hostVethName, routerMac } from "./names.ts";

Deno.test("hostVethName() fits IFNAMSIZ, is stable, and differs per attachment", () => {
  const a = hostVethName("ovn", "0123456789abcdef".repeat(4), "eth0");
  assert.equal(a.length, 15);
  assert.equal(a, hostVethName("ovn", "0123456789abcdef".repeat(4), "eth0"));
  const others = [
    hostVethName("ovn", "0123456789abcdef".repeat(4), "eth1"),
    hostVethName("ovn2", "0123456789abcdef".repeat(4), "eth0"),
    hostVethName("ovn", "other", "eth0"),
  ];
  assert.equal(new Set([a, ...others]).size, 4);
});

Deno.test("containerPort() and routerMac() rows", () => {
  assert.equal(containerPort("ovn", "parent.child", "eth1"), "ovn/parent.child/eth1");
  assert.equal(routerMac("100.64.0.1"), "0a:58:64:40:00:01");
});
