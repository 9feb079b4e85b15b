/**
 * planHostRemoval and friends against hand-made snapshots, rows shaped as
 * ovsdb-server returns them (one-element sets bare, maps as `["map", ...]`).
 */
import assert from "node:assert/strict";
import { NbPlan } from "../ovn/nb/plan.ts";
import { NbSnapshot } from "../ovn/nb/snapshot.ts";
import type { Atom, Row, UuidAtom, Value } from "../ovsdb/ops.ts";
import {
  gatewayRouters,
  hostExists,
  hostPortNames,
  joinAddress,
  pickJoinIndex,
  planGatewayRemoval,
  planHostRemoval,
  planSwitchRemoval,
} from "./host_rows.ts";

const u = (id: string): UuidAtom => ["uuid", id];
const m = (o: Record<string, string>): Value => ["map", Object.entries(o)];
const s = (atoms: Atom[]): Value => atoms.length === 1 ? atoms[0] : ["set", atoms];
/** A readable, valid-looking uuid per row. */
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

const ID = {
  router: id(1),
  gr1: id(2),
  gr2: id(3),
  sw1: id(11),
  sw2: id(12),
  sw3: id(13),
  join: id(14),
  ext1: id(15),
  ext2: id(16),
  rtos1: id(21),
  rtos2: id(22),
  rtos3: id(23),
  rtojRouter: id(24),
  rtojGr1: id(25),
  rtojGr2: id(26),
  rtoe1: id(27),
  rtoe2: id(28),
  ecmp1: id(31),
  ecmp2: id(32),
  gr1Back: id(33),
  gr1Out: id(34),
  snat1: id(41),
  jtorGr1: id(51),
  jtorGr2: id(52),
};

const router = (uuid: string, name: string, ids: Record<string, string>, kids: {
  ports: string[];
  routes?: string[];
  nat?: string[];
}): Row => ({
  _uuid: u(uuid),
  name,
  ports: s(kids.ports.map(u)),
  static_routes: s((kids.routes ?? []).map(u)),
  nat: s((kids.nat ?? []).map(u)),
  options: m(ids["ovn-mesos/role"] === "gateway-router" ? { chassis: ids["ovn-mesos/host"] } : {}),
  external_ids: m(ids),
});
const gwIds = (host: string, index: number) => ({
  "ovn-mesos/role": "gateway-router",
  "ovn-mesos/host": host,
  "ovn-mesos/join-index": String(index),
});
const sw = (uuid: string, name: string, ids: Record<string, string>): Row => ({
  _uuid: u(uuid),
  name,
  ports: s([]),
  other_config: m({}),
  external_ids: m(ids),
});
const rp = (uuid: string, name: string, network: string): Row => ({
  _uuid: u(uuid),
  name,
  mac: "0a:58:00:00:00:01",
  networks: network,
  external_ids: m({}),
});
const rt = (uuid: string, prefix: string, nexthop: string): Row => ({
  _uuid: u(uuid),
  ip_prefix: prefix,
  nexthop,
  policy: s([]),
  external_ids: m({}),
});
const jtor = (uuid: string, gr: string): Row => ({
  _uuid: u(uuid),
  name: `jtor-${gr}`,
  type: "router",
  addresses: "router",
  dynamic_addresses: s([]),
  port_security: s([]),
  options: m({ "router-port": `rtoj-${gr}` }),
  up: true,
  external_ids: m({}),
});

/**
 * A cluster: hv1 and hv2 are nodes and gateways (join indexes 2 and 3), hv3
 * is a node only; with `hv2Gateway` false, hv2 is a node only too.
 */
function cluster(opts: { hv2Gateway: boolean }): NbSnapshot {
  const g2 = opts.hv2Gateway;
  const routers = [
    router(ID.router, "mesos-router", { "ovn-mesos/role": "cluster-router" }, {
      ports: [ID.rtos1, ID.rtos2, ID.rtos3, ID.rtojRouter],
      routes: g2 ? [ID.ecmp1, ID.ecmp2] : [ID.ecmp1],
    }),
    router(ID.gr1, "GR_hv1", gwIds("hv1", 2), {
      ports: [ID.rtojGr1, ID.rtoe1],
      routes: [ID.gr1Back, ID.gr1Out],
      nat: [ID.snat1],
    }),
    ...(g2 ? [router(ID.gr2, "GR_hv2", gwIds("hv2", 3), { ports: [ID.rtojGr2, ID.rtoe2] })] : []),
  ];
  const switches = [
    sw(ID.sw1, "mesos-hv1", { "ovn-mesos/role": "host-switch", "ovn-mesos/host": "hv1" }),
    sw(ID.sw2, "mesos-hv2", { "ovn-mesos/role": "host-switch", "ovn-mesos/host": "hv2" }),
    sw(ID.sw3, "mesos-hv3", { "ovn-mesos/role": "host-switch", "ovn-mesos/host": "hv3" }),
    sw(ID.join, "mesos-join", { "ovn-mesos/role": "join-switch" }),
    sw(ID.ext1, "ext_hv1", { "ovn-mesos/role": "external-switch", "ovn-mesos/host": "hv1" }),
    ...(g2
      ? [sw(ID.ext2, "ext_hv2", { "ovn-mesos/role": "external-switch", "ovn-mesos/host": "hv2" })]
      : []),
  ];
  const routerPorts = [
    rp(ID.rtos1, "rtos-hv1", "172.16.1.1/24"),
    rp(ID.rtos2, "rtos-hv2", "172.16.2.1/24"),
    rp(ID.rtos3, "rtos-hv3", "172.16.3.1/24"),
    rp(ID.rtojRouter, "rtoj-mesos-router", "100.64.0.1/16"),
    rp(ID.rtojGr1, "rtoj-GR_hv1", "100.64.0.2/16"),
    rp(ID.rtoe1, "rtoe-GR_hv1", "10.0.0.5/24"),
    ...(g2
      ? [rp(ID.rtojGr2, "rtoj-GR_hv2", "100.64.0.3/16"), rp(ID.rtoe2, "rtoe-GR_hv2", "10.0.0.6/24")]
      : []),
  ];
  const routes = [
    rt(ID.ecmp1, "0.0.0.0/0", "100.64.0.2"),
    ...(g2 ? [rt(ID.ecmp2, "0.0.0.0/0", "100.64.0.3")] : []),
    rt(ID.gr1Back, "172.16.0.0/16", "100.64.0.1"),
    rt(ID.gr1Out, "0.0.0.0/0", "10.0.0.1"),
  ];
  const nats = [{
    _uuid: u(ID.snat1),
    type: "snat",
    external_ip: "10.0.0.5",
    logical_ip: "172.16.0.0/16",
    external_ids: m({}),
  }];
  // As node-remove reads it for hv1: switch ports by hostPortNames("hv1").
  const ports = [jtor(ID.jtorGr1, "GR_hv1")];
  return new NbSnapshot(routers, switches, routerPorts, routes, nats, ports);
}

const deleteOf = (table: string, uuid: string) => ({
  op: "delete",
  table,
  where: [["_uuid", "==", ["uuid", uuid]]],
});
const detachOf = (table: string, column: string, uuid: string) => ({
  op: "mutate",
  table,
  where: [[column, "includes", ["uuid", uuid]]],
  mutations: [[column, "delete", ["uuid", uuid]]],
});

Deno.test("planHostRemoval() of a node and gateway, with another gateway left, keeps mesos-join", () => {
  const plan = new NbPlan(cluster({ hv2Gateway: true }));
  const removed = planHostRemoval(plan, "hv1");
  assert.deepEqual(plan.ops, [
    deleteOf("Logical_Switch", ID.sw1),
    detachOf("Logical_Router", "ports", ID.rtos1),
    deleteOf("Logical_Router", ID.gr1),
    detachOf("Logical_Router", "static_routes", ID.ecmp1),
    deleteOf("Logical_Switch", ID.ext1),
    detachOf("Logical_Switch", "ports", ID.jtorGr1),
  ]);
  assert.deepEqual(removed, [
    "switch mesos-hv1",
    "router port rtos-hv1",
    "gateway router GR_hv1",
    "switch ext_hv1",
  ]);
  assert.deepEqual(plan.created, []);
});

Deno.test("planHostRemoval() of the last gateway deletes mesos-join and detaches rtoj-mesos-router", () => {
  const plan = new NbPlan(cluster({ hv2Gateway: false }));
  const removed = planHostRemoval(plan, "hv1");
  assert.deepEqual(plan.ops, [
    deleteOf("Logical_Switch", ID.sw1),
    detachOf("Logical_Router", "ports", ID.rtos1),
    deleteOf("Logical_Router", ID.gr1),
    detachOf("Logical_Router", "static_routes", ID.ecmp1),
    deleteOf("Logical_Switch", ID.ext1),
    deleteOf("Logical_Switch", ID.join),
    detachOf("Logical_Router", "ports", ID.rtojRouter),
  ]);
  assert.deepEqual(removed, [
    "switch mesos-hv1",
    "router port rtos-hv1",
    "gateway router GR_hv1",
    "switch ext_hv1",
    "switch mesos-join",
  ]);
});

Deno.test("planHostRemoval() of a node that is no gateway touches only its switch and rtos port", () => {
  for (const hv2Gateway of [true, false]) {
    const plan = new NbPlan(cluster({ hv2Gateway }));
    assert.deepEqual(planHostRemoval(plan, "hv3"), ["switch mesos-hv3", "router port rtos-hv3"]);
    assert.deepEqual(plan.ops, [
      deleteOf("Logical_Switch", ID.sw3),
      detachOf("Logical_Router", "ports", ID.rtos3),
    ]);
  }
});

Deno.test("planHostRemoval() of a host the snapshot does not hold plans nothing", () => {
  const plan = new NbPlan(cluster({ hv2Gateway: true }));
  assert.deepEqual(planHostRemoval(plan, "hv9"), []);
  assert.deepEqual(plan.ops, []);
});

Deno.test("planHostRemoval() detaches only the ECMP route whose next hop is the host's join address", () => {
  const plan = new NbPlan(cluster({ hv2Gateway: true }));
  planHostRemoval(plan, "hv2");
  const routeOps = plan.ops.filter((o) =>
    o.op === "mutate" && o.mutations.some(([c]) => c === "static_routes")
  );
  assert.deepEqual(routeOps, [detachOf("Logical_Router", "static_routes", ID.ecmp2)]);
});

Deno.test("planHostRemoval() removes every switch of the host's name (OVN allows duplicates)", () => {
  const snap = cluster({ hv2Gateway: false });
  const dup = sw(id(99), "mesos-hv3", {});
  const plan = new NbPlan(
    new NbSnapshot(
      snap.routers,
      [...snap.switches, dup],
      snap.routerPorts,
      snap.routes,
      snap.nats,
      snap.ports,
    ),
  );
  assert.deepEqual(planSwitchRemoval(plan, "hv3"), [
    "switch mesos-hv3",
    "switch mesos-hv3",
    "router port rtos-hv3",
  ]);
  assert.deepEqual(plan.ops.slice(0, 2), [
    deleteOf("Logical_Switch", ID.sw3),
    deleteOf("Logical_Switch", id(99)),
  ]);
});

Deno.test("planGatewayRemoval() leaves the host switch and its rtos port alone", () => {
  const plan = new NbPlan(cluster({ hv2Gateway: true }));
  assert.deepEqual(planGatewayRemoval(plan, "hv1"), ["gateway router GR_hv1", "switch ext_hv1"]);
  assert.ok(!plan.ops.some((o) => JSON.stringify(o).includes(ID.sw1)));
  assert.ok(!plan.ops.some((o) => JSON.stringify(o).includes(ID.rtos1)));
});

Deno.test("planGatewayRemoval() without the jtor port read detaches no join port", () => {
  const snap = cluster({ hv2Gateway: true });
  const plan = new NbPlan(
    new NbSnapshot(snap.routers, snap.switches, snap.routerPorts, snap.routes, snap.nats, []),
  );
  planGatewayRemoval(plan, "hv1");
  assert.deepEqual(plan.ops, [
    deleteOf("Logical_Router", ID.gr1),
    detachOf("Logical_Router", "static_routes", ID.ecmp1),
    deleteOf("Logical_Switch", ID.ext1),
  ]);
});

// ---------------------------------------------------------------- lookups

Deno.test("gatewayRouters() maps each gateway router to its join index", () => {
  assert.deepEqual(
    gatewayRouters(cluster({ hv2Gateway: true })),
    new Map([["GR_hv1", 2], ["GR_hv2", 3]]),
  );
  assert.deepEqual(gatewayRouters(cluster({ hv2Gateway: false })), new Map([["GR_hv1", 2]]));
  assert.deepEqual(gatewayRouters(new NbSnapshot([], [], [], [], [], [])), new Map());
});

const existsRows: { desc: string; host: string; want: boolean }[] = [
  { desc: "a node and gateway", host: "hv1", want: true },
  { desc: "a node", host: "hv3", want: true },
  { desc: "an unknown host", host: "hv9", want: false },
];

for (const { desc, host, want } of existsRows) {
  Deno.test(`hostExists() is ${want} for ${desc} (${host})`, () => {
    assert.equal(hostExists(cluster({ hv2Gateway: true }), host), want);
  });
}

Deno.test("hostExists() is true for a host of which only the gateway router is left", () => {
  const snap = cluster({ hv2Gateway: true });
  const noSwitch = new NbSnapshot(
    snap.routers,
    snap.switches.filter((r) => r.name !== "mesos-hv2"),
    [],
    [],
    [],
    [],
  );
  assert.equal(hostExists(noSwitch, "hv2"), true);
});

Deno.test("hostPortNames() names the join switch's port facing the host's gateway router", () => {
  assert.deepEqual(hostPortNames("hv1"), ["jtor-GR_hv1"]);
});

// ---------------------------------------------------------------- join numbering

const pickRows: { desc: string; taken: [string, number][]; router: string; want: number }[] = [
  { desc: "gives the first gateway 2 (1 is mesos-router's)", taken: [], router: "GR_a", want: 2 },
  {
    desc: "gives the next index after contiguous ones",
    taken: [["GR_a", 2], ["GR_b", 3], ["GR_c", 4]],
    router: "GR_d",
    want: 5,
  },
  {
    desc: "reuses the lowest index a removed gateway gave back",
    taken: [["GR_b", 3], ["GR_c", 4]],
    router: "GR_d",
    want: 2,
  },
  {
    desc: "keeps a router's own index even when a lower one is free",
    taken: [["GR_b", 3]],
    router: "GR_b",
    want: 3,
  },
];

for (const { desc, taken, router, want } of pickRows) {
  Deno.test(`pickJoinIndex() ${desc}`, () => {
    assert.equal(pickJoinIndex(new Map(taken), router), want);
  });
}

const addressRows: [number, string][] = [
  [2, "100.64.0.2/16"],
  [255, "100.64.0.255/16"],
  [256, "100.64.1.0/16"],
  [65534, "100.64.255.254/16"],
];

for (const [index, want] of addressRows) {
  Deno.test(`joinAddress() numbers router ${index} as ${want}`, () => {
    assert.equal(joinAddress(index), want);
  });
}
