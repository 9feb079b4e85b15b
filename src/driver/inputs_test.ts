import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { formatIpv4, networkCidr } from "../net/cidr.ts";
import { mergeBridgeMapping, parseGatewayInit } from "./gateway_init.ts";
import { joinAddress, pickJoinIndex } from "./host_rows.ts";
import { hostPortName, parseNodeInit } from "./node_init.ts";

const node = {
  subnet: "172.16.1.0/24",
  "cluster-subnet": "172.16.0.0/16",
  gateway: "172.16.1.1/24",
  "config-dir": "/etc/cni/net.d",
};

Deno.test("parseNodeInit() accepts the how-to's command line", () => {
  const i = parseNodeInit(node);
  assert.equal(networkCidr(i.subnet), "172.16.1.0/24");
  assert.equal(formatIpv4(i.gateway.ip), "172.16.1.1");
  assert.equal(i.network, "ovn");
  assert.equal(parseNodeInit({ ...node, gateway: "172.16.1.1" }).gateway.prefix, 24);
});

Deno.test("parseNodeInit() rejects bad input, naming the flag", () => {
  const rows: [Record<string, string | true>, RegExp][] = [
    [{ ...node, subnet: "nope" }, /--subnet=nope is not an IPv4 CIDR/],
    [{ ...node, "cluster-subnet": "172.16.0.0/40" }, /--cluster_subnet/],
    [{ ...node, subnet: "172.17.1.0/24", gateway: "172.17.1.1/24" }, /not inside --cluster_subnet/],
    [{ ...node, gateway: "172.16.1.1/25" }, /not an address of --subnet/],
    [{ ...node, gateway: "172.16.1.255/24" }, /network or broadcast/],
    [{ ...node, gateway: "x" }, /--gateway=x/],
    [{ ...node, "config-dir": "etc" }, /absolute/],
    [{ ...node, "plugins-dir": "bin" }, /--plugins_dir=bin must be an absolute path/],
    [{ ...node, mtu: "70000" }, /--mtu/],
    [{ ...node, "network-name": "a/b" }, /--network_name/],
    [{ ...node, "dns-nameservers": "1.1.1.1,x" }, /"x" is not an IPv4 address/],
    [{ ...node, subnet: "172.16.1.0/31", gateway: "172.16.1.1/31" }, /too small/],
  ];
  for (const [flags, msg] of rows) {
    assert.throws(
      () => parseNodeInit(flags),
      (e: Error) => e instanceof UsageError && msg.test(e.message),
      msg.source,
    );
  }
});

Deno.test("hostPortName() gives the first master 'master' and later ones their own", () => {
  assert.equal(hostPortName("hv1", false, undefined, undefined), "hv1_agent");
  assert.equal(hostPortName("hv1", true, undefined, undefined), "master");
  assert.equal(hostPortName("hv1", true, undefined, "hv1"), "master");
  assert.equal(hostPortName("hv2", true, undefined, "hv1"), "hv2_master");
  assert.equal(hostPortName("hv2", true, "master", "hv2"), "master");
});

Deno.test("parseGatewayInit() checks addresses against each other", () => {
  const ok = {
    "cluster-subnet": "172.16.0.0/16",
    "eth1-ip": "10.0.0.5/24",
    "eth1-gw-ip": "10.0.0.1",
  };
  assert.equal(parseGatewayInit(ok).nextHop, "10.0.0.1");
  assert.equal(parseGatewayInit({ ...ok, "eth1-gw-ip": "10.0.0.1/24" }).iface, "eth1");
  for (
    const [flags, msg] of [
      [{ ...ok, "eth1-ip": "10.0.0.5" }, /--eth1_ip=10.0.0.5/],
      [{ ...ok, "eth1-gw-ip": "10.0.1.1" }, /not on the network/],
      [{ ...ok, "eth1-gw-ip": "10.0.0.5" }, /must differ/],
      [{ ...ok, interface: "a b" }, /--interface/],
    ] as [Record<string, string>, RegExp][]
  ) {
    assert.throws(
      () => parseGatewayInit(flags),
      (e: Error) => e instanceof UsageError && msg.test(e.message),
    );
  }
});

Deno.test("pickJoinIndex() keeps a router's index and fills gaps for new ones", () => {
  const taken = new Map([["GR_a", 2], ["GR_b", 4]]);
  assert.equal(pickJoinIndex(taken, "GR_b"), 4);
  assert.equal(pickJoinIndex(taken, "GR_c"), 3);
  assert.equal(joinAddress(1), "100.64.0.1/16");
  assert.equal(joinAddress(300), "100.64.1.44/16");
});

Deno.test("mergeBridgeMapping() replaces only its own network's mapping", () => {
  assert.equal(mergeBridgeMapping(undefined, "n", "br-n"), "n:br-n");
  assert.equal(mergeBridgeMapping("n:br-old,p:br-p", "n", "br-n"), "p:br-p,n:br-n");
});
