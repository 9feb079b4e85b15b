import assert from "node:assert/strict";
import { CNI_VERSIONS } from "../version.ts";
import { type Attachment, formatResult } from "./result.ts";

const att: Attachment = {
  ifname: "eth0",
  mac: "0a:58:00:00:00:05",
  sandbox: "/var/run/mesos/isolators/network/cni/c1/ns",
  address: "172.16.1.5/24",
  gateway: "172.16.1.1",
  routes: [{ dst: "0.0.0.0/0", gw: "172.16.1.1" }],
  mtu: 1400,
};
const iface = { name: "eth0", mac: att.mac, sandbox: att.sandbox };
const ip = { address: att.address, gateway: att.gateway, interface: 0 };

Deno.test("formatResult() gives every CNI version its own shape", () => {
  const legacy = (v: string) => ({
    cniVersion: v,
    ip4: { ip: att.address, gateway: att.gateway, routes: att.routes },
  });
  const v03 = (v: string) => ({
    cniVersion: v,
    interfaces: [iface],
    ips: [{ version: "4", ...ip }],
    routes: att.routes,
  });
  const want: Record<string, unknown> = {
    "0.1.0": legacy("0.1.0"),
    "0.2.0": legacy("0.2.0"),
    "0.3.0": v03("0.3.0"),
    "0.3.1": v03("0.3.1"),
    "0.4.0": v03("0.4.0"),
    "1.0.0": { cniVersion: "1.0.0", interfaces: [iface], ips: [ip], routes: att.routes },
    "1.1.0": {
      cniVersion: "1.1.0",
      interfaces: [{ ...iface, mtu: 1400 }],
      ips: [ip],
      routes: att.routes,
    },
  };
  for (const v of CNI_VERSIONS) assert.deepEqual(formatResult(v, att), want[v], v);
});

Deno.test("formatResult() passes dns on when configured, in every shape", () => {
  const dns = { nameservers: ["10.0.0.2"], search: ["mesos"] };
  for (const v of CNI_VERSIONS) assert.deepEqual(formatResult(v, { ...att, dns }).dns, dns, v);
  assert.equal(formatResult("0.2.0", { ...att, dns: {} }).dns, undefined);
});
