/**
 * NbPlan against hand-made snapshots, rows shaped as ovsdb-server returns
 * them (`["uuid", ...]`, maps as `["map", ...]`, one-element sets bare,
 * empty sets `["set", []]`).
 */
import assert from "node:assert/strict";
import type { Atom, Op, Row, UuidAtom, Value } from "../../ovsdb/ops.ts";
import { type LinkSpec, NbPlan } from "./plan.ts";
import { NbSnapshot } from "./snapshot.ts";

const LR = "a0000000-0000-4000-8000-000000000001";
const GR = "a0000000-0000-4000-8000-000000000002";
const SW = "b0000000-0000-4000-8000-000000000001";
const RTOS = "c0000000-0000-4000-8000-000000000001";
const STOR = "d0000000-0000-4000-8000-000000000001";
const AGENT = "d0000000-0000-4000-8000-000000000002";
const RT = "e0000000-0000-4000-8000-000000000001";
const NAT = "f0000000-0000-4000-8000-000000000001";

const u = (id: string): UuidAtom => ["uuid", id];
const m = (o: Record<string, string>): Value => ["map", Object.entries(o)];
/** A set as the server writes it: empty, bare, or a set. */
const s = (atoms: Atom[]): Value => atoms.length === 1 ? atoms[0] : ["set", atoms];

const hostIds = { "ovn-mesos/role": "host-switch", "ovn-mesos/host": "hv1" };
const portIds = { "ovn-mesos/role": "host-port", "ovn-mesos/host": "hv1" };

// What node-init wants for host hv1 (the calls it makes, in its order).
const switchSpec = {
  name: "mesos-hv1",
  otherConfig: { subnet: "172.16.1.0/24", exclude_ips: "172.16.1.1" },
  externalIds: hostIds,
};
const linkOf = (router: LinkSpec["router"], sw: LinkSpec["switch"]): LinkSpec => ({
  router,
  switch: sw,
  routerPort: { name: "rtos-hv1", mac: "0a:58:ac:10:01:01", networks: ["172.16.1.1/24"] },
  switchPort: "stor-hv1",
  externalIds: hostIds,
});
const agentSpec = { name: "hv1_agent", addresses: ["dynamic"], externalIds: portIds };

function nodeInit(plan: NbPlan, router: LinkSpec["router"]): void {
  const sw = plan.ensureSwitch(switchSpec);
  plan.link(linkOf(router, sw));
  plan.ensureSwitchPort(sw, agentSpec);
}

// Rows as read once node-init has run for hv1.
const routerRow = (over: Row = {}): Row => ({
  _uuid: u(LR),
  name: "mesos-router",
  ports: s([u(RTOS)]),
  static_routes: s([]),
  nat: s([]),
  options: m({}),
  external_ids: m({ "ovn-mesos/role": "cluster-router" }),
  ...over,
});
const switchRow = (over: Row = {}): Row => ({
  _uuid: u(SW),
  name: "mesos-hv1",
  ports: s([u(STOR), u(AGENT)]),
  other_config: ["map", [["exclude_ips", "172.16.1.1"], ["subnet", "172.16.1.0/24"]]],
  external_ids: m(hostIds),
  ...over,
});
const rtosRow = (over: Row = {}): Row => ({
  _uuid: u(RTOS),
  name: "rtos-hv1",
  mac: "0a:58:ac:10:01:01",
  networks: "172.16.1.1/24",
  external_ids: m(hostIds),
  ...over,
});
const storRow = (over: Row = {}): Row => ({
  _uuid: u(STOR),
  name: "stor-hv1",
  type: "router",
  addresses: "router",
  dynamic_addresses: s([]),
  port_security: s([]),
  options: m({ "router-port": "rtos-hv1" }),
  up: false,
  external_ids: m(hostIds),
  ...over,
});
const agentRow = (over: Row = {}): Row => ({
  _uuid: u(AGENT),
  name: "hv1_agent",
  type: "",
  addresses: "dynamic",
  dynamic_addresses: "0a:00:00:00:00:02 172.16.1.2",
  port_security: s([]),
  options: m({}),
  up: true,
  external_ids: m(portIds),
  ...over,
});

interface Rows {
  routers: Row[];
  switches: Row[];
  routerPorts: Row[];
  routes: Row[];
  nats: Row[];
  ports: Row[];
}
const snapshot = (r: Partial<Rows> = {}) =>
  new NbSnapshot(
    r.routers ?? [],
    r.switches ?? [],
    r.routerPorts ?? [],
    r.routes ?? [],
    r.nats ?? [],
    r.ports ?? [],
  );
const complete = (over: Partial<Rows> = {}) =>
  snapshot({
    routers: [routerRow()],
    switches: [switchRow()],
    routerPorts: [rtosRow()],
    ports: [storRow(), agentRow()],
    ...over,
  });

// ---------------------------------------------------------------- (1) nothing there yet

const byName = (n: string) => [["_uuid", "==", ["named-uuid", n]]];
const byId = (id: string) => [["_uuid", "==", ["uuid", id]]];

Deno.test("NbPlan.ensureSwitch() + link() + ensureSwitchPort() on mesos-router insert everything by uuid-name", () => {
  const plan = new NbPlan(snapshot({ routers: [routerRow({ ports: s([]) })] }));
  nodeInit(plan, { uuid: LR });
  const want: unknown[] = [
    {
      op: "insert",
      table: "Logical_Switch",
      row: {
        name: "mesos-hv1",
        other_config: m(switchSpec.otherConfig),
        external_ids: m(hostIds),
      },
      "uuid-name": "ls0",
    },
    {
      op: "insert",
      table: "Logical_Router_Port",
      row: {
        name: "rtos-hv1",
        mac: "0a:58:ac:10:01:01",
        networks: ["set", ["172.16.1.1/24"]],
        external_ids: m(hostIds),
      },
      "uuid-name": "lrp1",
    },
    {
      op: "mutate",
      table: "Logical_Router",
      where: byId(LR),
      mutations: [["ports", "insert", ["named-uuid", "lrp1"]]],
    },
    {
      op: "insert",
      table: "Logical_Switch_Port",
      row: {
        name: "stor-hv1",
        type: "router",
        addresses: ["set", ["router"]],
        port_security: ["set", []],
        options: m({ "router-port": "rtos-hv1" }),
        external_ids: m(hostIds),
      },
      "uuid-name": "lsp2",
    },
    {
      op: "mutate",
      table: "Logical_Switch",
      where: byName("ls0"),
      mutations: [["ports", "insert", ["named-uuid", "lsp2"]]],
    },
    {
      op: "insert",
      table: "Logical_Switch_Port",
      row: {
        name: "hv1_agent",
        type: "",
        addresses: ["set", ["dynamic"]],
        port_security: ["set", []],
        options: m({}),
        external_ids: m(portIds),
      },
      "uuid-name": "lsp3",
    },
    {
      op: "mutate",
      table: "Logical_Switch",
      where: byName("ls0"),
      mutations: [["ports", "insert", ["named-uuid", "lsp3"]]],
    },
  ];
  assert.deepEqual(plan.ops, want);
  assert.deepEqual(plan.created, [
    "switch mesos-hv1",
    "router port rtos-hv1",
    "port stor-hv1",
    "port hv1_agent",
  ]);
});

Deno.test("NbPlan.ensureRouter() on an empty snapshot inserts the router and links to it by uuid-name", () => {
  const plan = new NbPlan(snapshot());
  const router = plan.ensureRouter({ name: "mesos-router", externalIds: {} });
  assert.deepEqual(router, { named: "lr0" });
  nodeInit(plan, router);
  const names = plan.ops.flatMap((o) => o.op === "insert" ? [o["uuid-name"]] : []);
  assert.deepEqual(names, ["lr0", "ls1", "lrp2", "lsp3", "lsp4"], "uuid-names are unique");
  assert.deepEqual(plan.ops[0], {
    op: "insert",
    table: "Logical_Router",
    row: { name: "mesos-router", options: m({}), external_ids: m({}) },
    "uuid-name": "lr0",
  });
  const toRouter = plan.ops.filter((o) => o.op === "mutate" && o.table === "Logical_Router");
  assert.deepEqual(toRouter, [{
    op: "mutate",
    table: "Logical_Router",
    where: byName("lr0"),
    mutations: [["ports", "insert", ["named-uuid", "lrp2"]]],
  }]);
  assert.equal(plan.ops.length, 8);
  assert.deepEqual(plan.created, [
    "router mesos-router",
    "switch mesos-hv1",
    "router port rtos-hv1",
    "port stor-hv1",
    "port hv1_agent",
  ]);
});

// ---------------------------------------------------------------- (2) idempotence

Deno.test("NbPlan plans no operation on a snapshot that already holds what is wanted", () => {
  const plan = new NbPlan(complete());
  nodeInit(plan, { uuid: LR });
  assert.deepEqual(plan.ops, []);
  assert.deepEqual(plan.created, []);
});

Deno.test("NbPlan.ensureSwitch() and ensureRouter() return the uuids of rows that exist", () => {
  const plan = new NbPlan(complete());
  assert.deepEqual(plan.ensureSwitch(switchSpec), { uuid: SW });
  assert.deepEqual(
    plan.ensureRouter({
      name: "mesos-router",
      externalIds: { "ovn-mesos/role": "cluster-router" },
    }),
    { uuid: LR },
  );
  assert.deepEqual(plan.ops, []);
});

Deno.test("NbPlan plans no operation when set and map columns are read in another order", () => {
  const plan = new NbPlan(complete({
    switches: [switchRow({ ports: ["set", [u(AGENT), u(STOR)]] })],
    routerPorts: [
      rtosRow({
        networks: ["set", ["fd00::1/64", "172.16.1.1/24"]],
        external_ids: m({ "ovn-mesos/host": "hv1", "ovn-mesos/role": "host-switch" }),
      }),
    ],
  }));
  plan.ensureSwitch(switchSpec);
  plan.ensureRouterPort({ uuid: LR }, {
    name: "rtos-hv1",
    mac: "0a:58:ac:10:01:01",
    networks: ["172.16.1.1/24", "fd00::1/64"],
    externalIds: hostIds,
  });
  assert.deepEqual(plan.ops, []);
});

// ---------------------------------------------------------------- (3) one column differs

const differs: { desc: string; snap: NbSnapshot; want: unknown }[] = [
  {
    desc: "a switch's other_config (the subnet) differs",
    snap: complete({ switches: [switchRow({ other_config: m({ subnet: "172.16.9.0/24" }) })] }),
    want: {
      op: "update",
      table: "Logical_Switch",
      where: byId(SW),
      row: { other_config: m(switchSpec.otherConfig), external_ids: m(hostIds) },
    },
  },
  {
    desc: "a switch's external_ids (an extra key) differ",
    snap: complete({ switches: [switchRow({ external_ids: m({ ...hostIds, x: "y" }) })] }),
    want: {
      op: "update",
      table: "Logical_Switch",
      where: byId(SW),
      row: { other_config: m(switchSpec.otherConfig), external_ids: m(hostIds) },
    },
  },
  {
    desc: "a router port's mac differs",
    snap: complete({ routerPorts: [rtosRow({ mac: "0a:58:ac:10:01:02" })] }),
    want: {
      op: "update",
      table: "Logical_Router_Port",
      where: byId(RTOS),
      row: {
        mac: "0a:58:ac:10:01:01",
        networks: ["set", ["172.16.1.1/24"]],
        external_ids: m(hostIds),
      },
    },
  },
  {
    desc: "a router port's networks differ",
    snap: complete({ routerPorts: [rtosRow({ networks: "172.16.1.1/25" })] }),
    want: {
      op: "update",
      table: "Logical_Router_Port",
      where: byId(RTOS),
      row: {
        mac: "0a:58:ac:10:01:01",
        networks: ["set", ["172.16.1.1/24"]],
        external_ids: m(hostIds),
      },
    },
  },
  {
    desc: "a link port's options differ",
    snap: complete({
      ports: [storRow({ options: m({ "router-port": "rtos-hv2" }) }), agentRow()],
    }),
    want: {
      op: "update",
      table: "Logical_Switch_Port",
      where: byId(STOR),
      row: {
        type: "router",
        addresses: ["set", ["router"]],
        port_security: ["set", []],
        options: m({ "router-port": "rtos-hv1" }),
        external_ids: m(hostIds),
      },
    },
  },
  {
    desc: "a host port's addresses differ",
    snap: complete({ ports: [storRow(), agentRow({ addresses: "0a:00:00:00:00:02 172.16.1.2" })] }),
    want: {
      op: "update",
      table: "Logical_Switch_Port",
      where: byId(AGENT),
      row: {
        type: "",
        addresses: ["set", ["dynamic"]],
        port_security: ["set", []],
        options: m({}),
        external_ids: m(portIds),
      },
    },
  },
  {
    desc: "a host port's port_security differs",
    snap: complete({
      ports: [storRow(), agentRow({ port_security: "0a:00:00:00:00:02 172.16.1.2" })],
    }),
    want: {
      op: "update",
      table: "Logical_Switch_Port",
      where: byId(AGENT),
      row: {
        type: "",
        addresses: ["set", ["dynamic"]],
        port_security: ["set", []],
        options: m({}),
        external_ids: m(portIds),
      },
    },
  },
];

for (const { desc, snap, want } of differs) {
  Deno.test(`NbPlan plans exactly one operation when only ${desc}`, () => {
    const plan = new NbPlan(snap);
    nodeInit(plan, { uuid: LR });
    assert.deepEqual(plan.ops, [want]);
    assert.deepEqual(plan.created, []);
  });
}

Deno.test("NbPlan moves a port the switch misses: dropped from any holder, attached, not updated", () => {
  const plan = new NbPlan(complete({ switches: [switchRow({ ports: s([u(STOR)]) })] }));
  nodeInit(plan, { uuid: LR });
  assert.deepEqual(plan.ops, [
    {
      op: "mutate",
      table: "Logical_Switch",
      where: [["ports", "includes", ["uuid", AGENT]]],
      mutations: [["ports", "delete", ["uuid", AGENT]]],
    },
    {
      op: "mutate",
      table: "Logical_Switch",
      where: byId(SW),
      mutations: [["ports", "insert", ["set", [["uuid", AGENT]]]]],
    },
  ]);
  assert.deepEqual(plan.created, []);
});

Deno.test("NbPlan.ensureRouter() updates a router whose options differ", () => {
  const gr = {
    _uuid: u(GR),
    name: "GR_hv1",
    ports: s([]),
    static_routes: s([]),
    nat: s([]),
    options: m({ chassis: "hv2" }),
    external_ids: m({ "ovn-mesos/role": "gateway-router" }),
  };
  const spec = {
    name: "GR_hv1",
    options: { chassis: "hv1" },
    externalIds: { "ovn-mesos/role": "gateway-router" },
  };
  const plan = new NbPlan(snapshot({ routers: [gr] }));
  assert.deepEqual(plan.ensureRouter(spec), { uuid: GR });
  assert.deepEqual(plan.ops, [{
    op: "update",
    table: "Logical_Router",
    where: byId(GR),
    row: { options: m({ chassis: "hv1" }), external_ids: m(spec.externalIds) },
  }]);
  const again = new NbPlan(snapshot({ routers: [{ ...gr, options: m({ chassis: "hv1" }) }] }));
  again.ensureRouter(spec);
  assert.deepEqual(again.ops, []);
});

// ---------------------------------------------------------------- (4) routes and NAT

const defaultRoute = { prefix: "0.0.0.0/0", nexthop: "100.64.0.2" };
const routeRow = (over: Row = {}): Row => ({
  _uuid: u(RT),
  ip_prefix: "0.0.0.0/0",
  nexthop: "100.64.0.2",
  policy: s([]),
  external_ids: m({}),
  ...over,
});
const addDefaultRoute = (router: Value): Op[] => [
  {
    op: "insert",
    table: "Logical_Router_Static_Route",
    row: { ip_prefix: "0.0.0.0/0", nexthop: "100.64.0.2", external_ids: m({}) },
    "uuid-name": "rt0",
  },
  {
    op: "mutate",
    table: "Logical_Router",
    where: [["_uuid", "==", router]],
    mutations: [["static_routes", "insert", ["named-uuid", "rt0"]]],
  },
];

const routeCases: {
  desc: string;
  rows: Partial<Rows>;
  router: LinkSpec["router"];
  want: Op[];
}[] = [
  {
    desc: "adds nothing when the router holds an equal route",
    rows: { routers: [routerRow({ static_routes: u(RT) })], routes: [routeRow()] },
    router: { uuid: LR },
    want: [],
  },
  {
    desc: "adds nothing when the router holds it among others",
    rows: {
      routers: [routerRow({ static_routes: ["set", [u(GR), u(RT)]] })],
      routes: [routeRow({ _uuid: u(GR), nexthop: "100.64.0.3" }), routeRow()],
    },
    router: { uuid: LR },
    want: [],
  },
  {
    desc: "adds the route when the router holds none",
    rows: { routers: [routerRow()] },
    router: { uuid: LR },
    want: addDefaultRoute(["uuid", LR]),
  },
  {
    desc: "adds the route when the router holds one with another next hop",
    rows: {
      routers: [routerRow({ static_routes: u(RT) })],
      routes: [routeRow({ nexthop: "100.64.0.3" })],
    },
    router: { uuid: LR },
    want: addDefaultRoute(["uuid", LR]),
  },
  {
    desc: "adds the route when the router holds one with another policy",
    rows: {
      routers: [routerRow({ static_routes: u(RT) })],
      routes: [routeRow({ policy: "src-ip" })],
    },
    router: { uuid: LR },
    want: addDefaultRoute(["uuid", LR]),
  },
  {
    desc: "adds the route when only another router holds an equal one",
    rows: {
      routers: [
        routerRow(),
        routerRow({ _uuid: u(GR), name: "GR_hv1", static_routes: u(RT) }),
      ],
      routes: [routeRow()],
    },
    router: { uuid: LR },
    want: addDefaultRoute(["uuid", LR]),
  },
  {
    desc: "adds the route to a router inserted earlier in the plan",
    rows: { routes: [routeRow()] },
    router: { named: "lr9" },
    want: addDefaultRoute(["named-uuid", "lr9"]),
  },
];

for (const { desc, rows, router, want } of routeCases) {
  Deno.test(`NbPlan.ensureRoute() ${desc}`, () => {
    const plan = new NbPlan(snapshot(rows));
    plan.ensureRoute(router, defaultRoute);
    assert.deepEqual(plan.ops, want);
    assert.deepEqual(plan.created, []);
  });
}

const snat = { type: "snat" as const, externalIp: "10.0.0.5", logicalIp: "172.16.0.0/16" };
const natRow = (over: Row = {}): Row => ({
  _uuid: u(NAT),
  type: "snat",
  external_ip: "10.0.0.5",
  logical_ip: "172.16.0.0/16",
  external_ids: m({}),
  ...over,
});
const addSnat = (router: Value): Op[] => [
  {
    op: "insert",
    table: "NAT",
    row: {
      type: "snat",
      external_ip: "10.0.0.5",
      logical_ip: "172.16.0.0/16",
      external_ids: m({}),
    },
    "uuid-name": "nat0",
  },
  {
    op: "mutate",
    table: "Logical_Router",
    where: [["_uuid", "==", router]],
    mutations: [["nat", "insert", ["named-uuid", "nat0"]]],
  },
];
const grRow = (over: Row = {}): Row =>
  routerRow({ _uuid: u(GR), name: "GR_hv1", ports: s([]), ...over });

const natCases: {
  desc: string;
  rows: Partial<Rows>;
  router: LinkSpec["router"];
  want: Op[];
}[] = [
  {
    desc: "adds nothing when the router holds an equal rule",
    rows: { routers: [grRow({ nat: u(NAT) })], nats: [natRow()] },
    router: { uuid: GR },
    want: [],
  },
  {
    desc: "adds nothing when the equal rule differs only in external_ids",
    rows: { routers: [grRow({ nat: u(NAT) })], nats: [natRow({ external_ids: m({ a: "b" }) })] },
    router: { uuid: GR },
    want: [],
  },
  {
    desc: "adds the rule when the router holds none",
    rows: { routers: [grRow()], nats: [natRow()] },
    router: { uuid: GR },
    want: addSnat(["uuid", GR]),
  },
  {
    desc: "adds the rule when the router holds one with another external address",
    rows: { routers: [grRow({ nat: u(NAT) })], nats: [natRow({ external_ip: "10.0.0.6" })] },
    router: { uuid: GR },
    want: addSnat(["uuid", GR]),
  },
  {
    desc: "adds the rule when the router holds a dnat_and_snat of the same addresses",
    rows: { routers: [grRow({ nat: u(NAT) })], nats: [natRow({ type: "dnat_and_snat" })] },
    router: { uuid: GR },
    want: addSnat(["uuid", GR]),
  },
  {
    desc: "adds the rule to a router inserted earlier in the plan",
    rows: {},
    router: { named: "lr0" },
    want: addSnat(["named-uuid", "lr0"]),
  },
];

for (const { desc, rows, router, want } of natCases) {
  Deno.test(`NbPlan.ensureNat() ${desc}`, () => {
    const plan = new NbPlan(snapshot(rows));
    plan.ensureNat(router, snat);
    assert.deepEqual(plan.ops, want);
  });
}

Deno.test("NbPlan.detach() drops each child from whichever parent includes it", () => {
  const plan = new NbPlan(snapshot());
  plan.detach("Logical_Router", "ports", [RTOS]);
  assert.deepEqual(plan.ops, [{
    op: "mutate",
    table: "Logical_Router",
    where: [["ports", "includes", ["uuid", RTOS]]],
    mutations: [["ports", "delete", ["uuid", RTOS]]],
  }]);
});

// ---------------------------------------------------------------- (5) guards

Deno.test("NbSnapshot.guards() wait, with timeout 0, for routers and switches exactly as read", () => {
  const snap = complete({
    routers: [routerRow(), grRow({ static_routes: u(RT), nat: u(NAT) })],
    routes: [routeRow()],
    nats: [natRow()],
  });
  assert.deepEqual(snap.guards(), [
    {
      op: "wait",
      table: "Logical_Router",
      where: [],
      columns: ["name", "external_ids", "ports", "static_routes", "policies", "nat"],
      until: "==",
      rows: [
        {
          name: "mesos-router",
          external_ids: m({ "ovn-mesos/role": "cluster-router" }),
          ports: u(RTOS),
          static_routes: ["set", []],
          policies: undefined,
          nat: ["set", []],
        },
        {
          name: "GR_hv1",
          external_ids: m({ "ovn-mesos/role": "cluster-router" }),
          ports: ["set", []],
          static_routes: u(RT),
          policies: undefined,
          nat: u(NAT),
        },
      ],
      timeout: 0,
    },
    {
      op: "wait",
      table: "Logical_Switch",
      where: [],
      columns: ["name", "other_config", "external_ids"],
      until: "==",
      rows: [{
        name: "mesos-hv1",
        other_config: ["map", [["exclude_ips", "172.16.1.1"], ["subnet", "172.16.1.0/24"]]],
        external_ids: m(hostIds),
      }],
      timeout: 0,
    },
  ]);
});

Deno.test("NbSnapshot.guards() of an empty snapshot require the tables to stay empty", () => {
  const guards = snapshot().guards();
  assert.deepEqual(guards.map((g) => g.op === "wait" && [g.table, g.rows, g.timeout]), [
    ["Logical_Router", [], 0],
    ["Logical_Switch", [], 0],
  ]);
});

// ---------------------------------------------------------------- snapshot lookups

Deno.test("NbSnapshot.routesOf() and natsOf() give only the rows the router holds", () => {
  const other = routeRow({ _uuid: u("e0000000-0000-4000-8000-000000000002") });
  const snap = snapshot({
    routers: [grRow({ static_routes: u(RT), nat: s([]) })],
    routes: [routeRow(), other],
    nats: [natRow()],
  });
  assert.deepEqual(snap.routesOf(snap.router("GR_hv1")!), [routeRow()]);
  assert.deepEqual(snap.natsOf(snap.router("GR_hv1")!), []);
});

Deno.test("NbSnapshot.withIds() keeps rows whose external_ids include every entry", () => {
  const snap = complete();
  assert.deepEqual(snap.withIds(snap.ports, portIds), [agentRow()]);
  assert.deepEqual(snap.withIds(snap.ports, { "ovn-mesos/host": "hv1" }), [storRow(), agentRow()]);
  assert.deepEqual(snap.withIds(snap.ports, { "ovn-mesos/host": "hv2" }), []);
});
