/**
 * Each NB table module's builders against the exact operations they must
 * produce: one row per case (desc, the builder call, the expected operations).
 */
import assert from "node:assert/strict";
import type { Condition, Op, Row } from "../../ovsdb/ops.ts";
import * as child from "./_child.ts";
import * as lr from "./logical_router.ts";
import * as lrp from "./logical_router_port.ts";
import * as ls from "./logical_switch.ts";
import * as lsp from "./logical_switch_port.ts";
import * as nat from "./nat.ts";
import * as route from "./static_route.ts";

const SW = "3f1c2b9a-0d4e-4f5a-8b6c-7d8e9f0a1b01";
const LR = "8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c02";
const P1 = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c03";
const P2 = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d04";

const ids = { "ovn-mesos/role": "host-switch", "ovn-mesos/host": "hv1" };
const idsMap = ["map", [["ovn-mesos/role", "host-switch"], ["ovn-mesos/host", "hv1"]]];
const whereSw: Condition[] = [["_uuid", "==", ["uuid", SW]]];
const whereLr: Condition[] = [["_uuid", "==", ["uuid", LR]]];

interface Case {
  desc: string;
  ops: () => Op | Op[];
  want: unknown[];
}

function table(module: string, cases: Case[]) {
  for (const { desc, ops, want } of cases) {
    Deno.test(`${module}: ${desc}`, () => {
      const got = ops();
      assert.deepEqual(Array.isArray(got) ? got : [got], want);
    });
  }
}

// ---------------------------------------------------------------- _child.ts

table("_child", [
  {
    desc: "insertChild() inserts the row by name, then adds that name to the parent's column",
    ops: () =>
      child.insertChild("NAT", { type: "snat" }, "nat0", {
        table: "Logical_Router",
        where: whereLr,
        column: "nat",
      }),
    want: [
      { op: "insert", table: "NAT", row: { type: "snat" }, "uuid-name": "nat0" },
      {
        op: "mutate",
        table: "Logical_Router",
        where: whereLr,
        mutations: [["nat", "insert", ["named-uuid", "nat0"]]],
      },
    ],
  },
  {
    desc: "attachChildren() adds every reference in one mutation",
    ops: () =>
      child.attachChildren(ls.switchPorts({ uuid: SW }), [["uuid", P1], ["named-uuid", "lsp0"]]),
    want: [{
      op: "mutate",
      table: "Logical_Switch",
      where: whereSw,
      mutations: [["ports", "insert", ["set", [["uuid", P1], ["named-uuid", "lsp0"]]]]],
    }],
  },
  {
    desc: "attachChildren() of no references is no operation",
    ops: () => child.attachChildren(ls.switchPorts({ uuid: SW }), []),
    want: [],
  },
  {
    desc: "detachChildren() drops each child from whichever parent includes it",
    ops: () => child.detachChildren("Logical_Router", "static_routes", [P1, P2]),
    want: [
      {
        op: "mutate",
        table: "Logical_Router",
        where: [["static_routes", "includes", ["uuid", P1]]],
        mutations: [["static_routes", "delete", ["uuid", P1]]],
      },
      {
        op: "mutate",
        table: "Logical_Router",
        where: [["static_routes", "includes", ["uuid", P2]]],
        mutations: [["static_routes", "delete", ["uuid", P2]]],
      },
    ],
  },
  {
    desc: "detachChildren() of no children is no operation",
    ops: () => child.detachChildren("Logical_Switch", "ports", []),
    want: [],
  },
]);

// ---------------------------------------------------------------- logical_switch.ts

table("logical_switch", [
  {
    desc: "selectSwitch() reads the driver's columns by name",
    ops: () => ls.selectSwitch("mesos-hv1"),
    want: [{
      op: "select",
      table: "Logical_Switch",
      where: [["name", "==", "mesos-hv1"]],
      columns: ["_uuid", "name", "ports", "other_config", "external_ids"],
    }],
  },
  {
    desc: "createSwitch() inserts name, other_config and external_ids under the uuid-name",
    ops: () =>
      ls.createSwitch({
        name: "mesos-hv1",
        otherConfig: { subnet: "172.16.1.0/24", exclude_ips: "172.16.1.1" },
        externalIds: ids,
      }, "ls0"),
    want: [{
      op: "insert",
      table: "Logical_Switch",
      row: {
        name: "mesos-hv1",
        other_config: ["map", [["subnet", "172.16.1.0/24"], ["exclude_ips", "172.16.1.1"]]],
        external_ids: idsMap,
      },
      "uuid-name": "ls0",
    }],
  },
  {
    desc: "createSwitch() without other_config writes an empty map",
    ops: () => ls.createSwitch({ name: "mesos-join", externalIds: {} }, "ls1"),
    want: [{
      op: "insert",
      table: "Logical_Switch",
      row: { name: "mesos-join", other_config: ["map", []], external_ids: ["map", []] },
      "uuid-name": "ls1",
    }],
  },
  {
    desc: "updateSwitch() sets other_config and external_ids by uuid (not the name)",
    ops: () =>
      ls.updateSwitch(SW, {
        name: "mesos-hv1",
        otherConfig: { subnet: "172.16.2.0/24" },
        externalIds: ids,
      }),
    want: [{
      op: "update",
      table: "Logical_Switch",
      where: whereSw,
      row: { other_config: ["map", [["subnet", "172.16.2.0/24"]]], external_ids: idsMap },
    }],
  },
  {
    desc: "updateSwitch() without other_config clears it",
    ops: () => ls.updateSwitch(SW, { name: "ext_hv1", externalIds: ids }),
    want: [{
      op: "update",
      table: "Logical_Switch",
      where: whereSw,
      row: { other_config: ["map", []], external_ids: idsMap },
    }],
  },
  {
    desc: "deleteSwitch() deletes by uuid",
    ops: () => ls.deleteSwitch(SW),
    want: [{ op: "delete", table: "Logical_Switch", where: whereSw }],
  },
  {
    desc: "switchPorts() of an existing switch adds ports to it by uuid",
    ops: () =>
      lsp.addPort({ name: "p", addresses: [] }, ls.switchPorts({ uuid: SW }), "n").slice(1),
    want: [{
      op: "mutate",
      table: "Logical_Switch",
      where: whereSw,
      mutations: [["ports", "insert", ["named-uuid", "n"]]],
    }],
  },
  {
    desc: "switchPorts() of a switch inserted earlier adds ports to it by its uuid-name",
    ops: () =>
      lsp.addPort({ name: "p", addresses: [] }, ls.switchPorts({ named: "ls0" }), "n").slice(1),
    want: [{
      op: "mutate",
      table: "Logical_Switch",
      where: [["_uuid", "==", ["named-uuid", "ls0"]]],
      mutations: [["ports", "insert", ["named-uuid", "n"]]],
    }],
  },
]);

// ---------------------------------------------------------------- logical_switch_port.ts

table("logical_switch_port", [
  {
    desc: "selectPort() reads the driver's columns by name",
    ops: () => lsp.selectPort("hv1_agent"),
    want: [{
      op: "select",
      table: "Logical_Switch_Port",
      where: [["name", "==", "hv1_agent"]],
      columns: [
        "_uuid",
        "name",
        "type",
        "addresses",
        "dynamic_addresses",
        "port_security",
        "options",
        "up",
        "external_ids",
      ],
    }],
  },
  {
    desc: "selectPort() reads only the columns asked for",
    ops: () => lsp.selectPort("ovn/c1/eth0", ["name", "up"]),
    want: [{
      op: "select",
      table: "Logical_Switch_Port",
      where: [["name", "==", "ovn/c1/eth0"]],
      columns: ["name", "up"],
    }],
  },
  {
    desc: "addPort() of a VIF inserts it with defaults and adds it to the switch",
    ops: () =>
      lsp.addPort(
        { name: "hv1_agent", addresses: ["dynamic"], externalIds: ids },
        ls.switchPorts({ named: "ls0" }),
        "lsp1",
      ),
    want: [
      {
        op: "insert",
        table: "Logical_Switch_Port",
        row: {
          name: "hv1_agent",
          type: "",
          addresses: ["set", ["dynamic"]],
          port_security: ["set", []],
          options: ["map", []],
          external_ids: idsMap,
        },
        "uuid-name": "lsp1",
      },
      {
        op: "mutate",
        table: "Logical_Switch",
        where: [["_uuid", "==", ["named-uuid", "ls0"]]],
        mutations: [["ports", "insert", ["named-uuid", "lsp1"]]],
      },
    ],
  },
  {
    desc: "addPort() of a router link writes type, addresses and router-port",
    ops: () =>
      lsp.addPort(
        {
          name: "stor-hv1",
          type: "router",
          addresses: ["router"],
          options: { "router-port": "rtos-hv1" },
        },
        ls.switchPorts({ uuid: SW }),
        "lsp2",
      ),
    want: [
      {
        op: "insert",
        table: "Logical_Switch_Port",
        row: {
          name: "stor-hv1",
          type: "router",
          addresses: ["set", ["router"]],
          port_security: ["set", []],
          options: ["map", [["router-port", "rtos-hv1"]]],
          external_ids: ["map", []],
        },
        "uuid-name": "lsp2",
      },
      {
        op: "mutate",
        table: "Logical_Switch",
        where: whereSw,
        mutations: [["ports", "insert", ["named-uuid", "lsp2"]]],
      },
    ],
  },
  {
    desc: "updatePort() sets every managed column by uuid, port security included",
    ops: () =>
      lsp.updatePort(P1, {
        name: "ext_hv1_localnet",
        type: "localnet",
        addresses: ["unknown"],
        portSecurity: ["0a:00:00:00:00:01 10.0.0.2"],
        options: { network_name: "mesos-external" },
      }),
    want: [{
      op: "update",
      table: "Logical_Switch_Port",
      where: [["_uuid", "==", ["uuid", P1]]],
      row: {
        type: "localnet",
        addresses: ["set", ["unknown"]],
        port_security: ["set", ["0a:00:00:00:00:01 10.0.0.2"]],
        options: ["map", [["network_name", "mesos-external"]]],
        external_ids: ["map", []],
      },
    }],
  },
  {
    desc: "waitForDynamicAddress() waits for the port to exist, then for its address",
    ops: () => lsp.waitForDynamicAddress("ovn/c1/eth0", 30000),
    want: [
      {
        op: "wait",
        table: "Logical_Switch_Port",
        where: [["name", "==", "ovn/c1/eth0"]],
        columns: ["name"],
        until: "==",
        rows: [{ name: "ovn/c1/eth0" }],
        timeout: 30000,
      },
      {
        op: "wait",
        table: "Logical_Switch_Port",
        where: [["name", "==", "ovn/c1/eth0"]],
        columns: ["dynamic_addresses"],
        until: "!=",
        rows: [{ dynamic_addresses: ["set", []] }],
        timeout: 30000,
      },
    ],
  },
  {
    desc: "waitUp() waits until up is true",
    ops: () => lsp.waitUp("ovn/c1/eth0", 5000),
    want: [{
      op: "wait",
      table: "Logical_Switch_Port",
      where: [["name", "==", "ovn/c1/eth0"]],
      columns: ["up"],
      until: "==",
      rows: [{ up: true }],
      timeout: 5000,
    }],
  },
  {
    desc: "securePort() pins port_security to 'MAC IP' by name",
    ops: () => lsp.securePort("ovn/c1/eth0", "0a:00:00:00:00:01", "172.16.1.5"),
    want: [{
      op: "update",
      table: "Logical_Switch_Port",
      where: [["name", "==", "ovn/c1/eth0"]],
      row: { port_security: "0a:00:00:00:00:01 172.16.1.5" },
    }],
  },
]);

Deno.test("logical_switch_port: portRow() is what addPort() inserts, less the name", () => {
  const spec = { name: "p", type: "router", addresses: ["router"], options: { a: "b" } };
  const [ins] = lsp.addPort(spec, ls.switchPorts({ uuid: SW }), "n");
  assert.deepEqual(ins, {
    op: "insert",
    table: "Logical_Switch_Port",
    row: { name: "p", ...lsp.portRow(spec) },
    "uuid-name": "n",
  });
});

const addressRows: { desc: string; row: Row | undefined; want: unknown }[] = [
  {
    desc: "reads 'MAC IP'",
    row: { dynamic_addresses: "0a:00:00:00:00:01 172.16.1.5" },
    want: { mac: "0a:00:00:00:00:01", ip: "172.16.1.5" },
  },
  {
    desc: "is undefined before northd gives one",
    row: { dynamic_addresses: ["set", []] },
    want: undefined,
  },
  {
    desc: "is undefined for a MAC alone",
    row: { dynamic_addresses: "0a:00:00:00:00:01" },
    want: undefined,
  },
  { desc: "is undefined without a row", row: undefined, want: undefined },
  { desc: "is undefined for a row without the column", row: { name: "p" }, want: undefined },
];

for (const { desc, row, want } of addressRows) {
  Deno.test(`logical_switch_port: dynamicAddress() ${desc}`, () => {
    assert.deepEqual(lsp.dynamicAddress(row), want);
  });
}

const upRows: { desc: string; row: Row | undefined; want: boolean }[] = [
  { desc: "is true for up read as true", row: { up: true }, want: true },
  { desc: "is false for up read as false", row: { up: false }, want: false },
  { desc: "is false for up not yet set", row: { up: ["set", []] }, want: false },
  { desc: "is false without a row", row: undefined, want: false },
];

for (const { desc, row, want } of upRows) {
  Deno.test(`logical_switch_port: isUp() ${desc}`, () => assert.equal(lsp.isUp(row), want));
}

// ---------------------------------------------------------------- logical_router.ts

const routerColumns = [
  "_uuid",
  "name",
  "ports",
  "static_routes",
  "policies",
  "nat",
  "load_balancer",
  "options",
  "external_ids",
];

table("logical_router", [
  {
    desc: "selectRouter() reads the driver's columns by name",
    ops: () => lr.selectRouter("mesos-router"),
    want: [{
      op: "select",
      table: "Logical_Router",
      where: [["name", "==", "mesos-router"]],
      columns: routerColumns,
    }],
  },

  {
    desc: "createRouter() inserts name, options and external_ids under the uuid-name",
    ops: () =>
      lr.createRouter({ name: "GR_hv1", options: { chassis: "hv1" }, externalIds: ids }, "lr0"),
    want: [{
      op: "insert",
      table: "Logical_Router",
      row: { name: "GR_hv1", options: ["map", [["chassis", "hv1"]]], external_ids: idsMap },
      "uuid-name": "lr0",
    }],
  },
  {
    desc: "createRouter() without options writes an empty map",
    ops: () => lr.createRouter({ name: "mesos-router", externalIds: {} }, "lr1"),
    want: [{
      op: "insert",
      table: "Logical_Router",
      row: { name: "mesos-router", options: ["map", []], external_ids: ["map", []] },
      "uuid-name": "lr1",
    }],
  },
  {
    desc: "updateRouter() sets options and external_ids by uuid",
    ops: () =>
      lr.updateRouter(LR, { name: "GR_hv1", options: { chassis: "hv2" }, externalIds: ids }),
    want: [{
      op: "update",
      table: "Logical_Router",
      where: whereLr,
      row: { options: ["map", [["chassis", "hv2"]]], external_ids: idsMap },
    }],
  },
  {
    desc: "deleteRouter() deletes by uuid",
    ops: () => lr.deleteRouter(LR),
    want: [{ op: "delete", table: "Logical_Router", where: whereLr }],
  },
]);

for (const column of ["ports", "static_routes", "nat"] as const) {
  Deno.test(`logical_router: routerChildren() names the router's ${column} column`, () => {
    assert.deepEqual(lr.routerChildren({ uuid: LR }, column), {
      table: "Logical_Router",
      where: whereLr,
      column,
    });
    assert.deepEqual(lr.routerChildren({ named: "lr0" }, column), {
      table: "Logical_Router",
      where: [["_uuid", "==", ["named-uuid", "lr0"]]],
      column,
    });
  });
}

// ---------------------------------------------------------------- logical_router_port.ts

table("logical_router_port", [
  {
    desc: "selectRouterPort() reads the driver's columns by name",
    ops: () => lrp.selectRouterPort("rtos-hv1"),
    want: [{
      op: "select",
      table: "Logical_Router_Port",
      where: [["name", "==", "rtos-hv1"]],
      columns: ["_uuid", "name", "mac", "networks", "external_ids"],
    }],
  },
  {
    desc: "addRouterPort() inserts the port and adds it to the router's ports",
    ops: () =>
      lrp.addRouterPort(
        {
          name: "rtos-hv1",
          mac: "0a:58:ac:10:01:01",
          networks: ["172.16.1.1/24"],
          externalIds: ids,
        },
        lr.routerChildren({ uuid: LR }, "ports"),
        "lrp0",
      ),
    want: [
      {
        op: "insert",
        table: "Logical_Router_Port",
        row: {
          name: "rtos-hv1",
          mac: "0a:58:ac:10:01:01",
          networks: ["set", ["172.16.1.1/24"]],
          external_ids: idsMap,
        },
        "uuid-name": "lrp0",
      },
      {
        op: "mutate",
        table: "Logical_Router",
        where: whereLr,
        mutations: [["ports", "insert", ["named-uuid", "lrp0"]]],
      },
    ],
  },
  {
    desc: "addRouterPort() on a router inserted earlier refers to it by uuid-name",
    ops: () =>
      lrp.addRouterPort(
        { name: "rtoj-GR_hv1", mac: "0a:58:64:40:00:02", networks: ["100.64.0.2/16"] },
        lr.routerChildren({ named: "lr0" }, "ports"),
        "lrp1",
      ),
    want: [
      {
        op: "insert",
        table: "Logical_Router_Port",
        row: {
          name: "rtoj-GR_hv1",
          mac: "0a:58:64:40:00:02",
          networks: ["set", ["100.64.0.2/16"]],
          external_ids: ["map", []],
        },
        "uuid-name": "lrp1",
      },
      {
        op: "mutate",
        table: "Logical_Router",
        where: [["_uuid", "==", ["named-uuid", "lr0"]]],
        mutations: [["ports", "insert", ["named-uuid", "lrp1"]]],
      },
    ],
  },
  {
    desc: "updateRouterPort() sets mac, networks and external_ids by uuid",
    ops: () =>
      lrp.updateRouterPort(P1, {
        name: "rtos-hv1",
        mac: "0a:58:ac:10:01:01",
        networks: ["172.16.1.1/24", "fd00::1/64"],
      }),
    want: [{
      op: "update",
      table: "Logical_Router_Port",
      where: [["_uuid", "==", ["uuid", P1]]],
      row: {
        mac: "0a:58:ac:10:01:01",
        networks: ["set", ["172.16.1.1/24", "fd00::1/64"]],
        external_ids: ["map", []],
      },
    }],
  },
]);

// ---------------------------------------------------------------- static_route.ts

table("static_route", [
  {
    desc: "addRoute() without a policy leaves it to OVN's default",
    ops: () =>
      route.addRoute(
        { prefix: "0.0.0.0/0", nexthop: "100.64.0.2" },
        lr.routerChildren({ uuid: LR }, "static_routes"),
        "rt0",
      ),
    want: [
      {
        op: "insert",
        table: "Logical_Router_Static_Route",
        row: { ip_prefix: "0.0.0.0/0", nexthop: "100.64.0.2", external_ids: ["map", []] },
        "uuid-name": "rt0",
      },
      {
        op: "mutate",
        table: "Logical_Router",
        where: whereLr,
        mutations: [["static_routes", "insert", ["named-uuid", "rt0"]]],
      },
    ],
  },
  {
    desc: "addRoute() with a policy and external_ids writes both",
    ops: () =>
      route.addRoute(
        { prefix: "172.16.0.0/16", nexthop: "100.64.0.1", policy: "src-ip", externalIds: ids },
        lr.routerChildren({ named: "lr0" }, "static_routes"),
        "rt1",
      ),
    want: [
      {
        op: "insert",
        table: "Logical_Router_Static_Route",
        row: {
          ip_prefix: "172.16.0.0/16",
          nexthop: "100.64.0.1",
          policy: "src-ip",
          external_ids: idsMap,
        },
        "uuid-name": "rt1",
      },
      {
        op: "mutate",
        table: "Logical_Router",
        where: [["_uuid", "==", ["named-uuid", "lr0"]]],
        mutations: [["static_routes", "insert", ["named-uuid", "rt1"]]],
      },
    ],
  },
]);

const routeRow = (policy: Row[string]): Row => ({
  _uuid: ["uuid", P1],
  ip_prefix: "0.0.0.0/0",
  nexthop: "100.64.0.2",
  policy,
  external_ids: ["map", []],
});

const sameRouteRows: { desc: string; row: Row; spec: route.RouteSpec; want: boolean }[] = [
  {
    desc: "is true for a route without a policy and a spec without one",
    row: routeRow(["set", []]),
    spec: { prefix: "0.0.0.0/0", nexthop: "100.64.0.2" },
    want: true,
  },
  {
    desc: "takes an unset policy as dst-ip",
    row: routeRow(["set", []]),
    spec: { prefix: "0.0.0.0/0", nexthop: "100.64.0.2", policy: "dst-ip" },
    want: true,
  },
  {
    desc: "matches a row set to dst-ip with a spec without a policy",
    row: routeRow("dst-ip"),
    spec: { prefix: "0.0.0.0/0", nexthop: "100.64.0.2" },
    want: true,
  },
  {
    desc: "is false for another policy",
    row: routeRow("src-ip"),
    spec: { prefix: "0.0.0.0/0", nexthop: "100.64.0.2" },
    want: false,
  },
  {
    desc: "is true for the same src-ip route",
    row: routeRow("src-ip"),
    spec: { prefix: "0.0.0.0/0", nexthop: "100.64.0.2", policy: "src-ip" },
    want: true,
  },
  {
    desc: "is false for another next hop",
    row: routeRow(["set", []]),
    spec: { prefix: "0.0.0.0/0", nexthop: "100.64.0.3" },
    want: false,
  },
  {
    desc: "is false for another prefix",
    row: routeRow(["set", []]),
    spec: { prefix: "172.16.0.0/16", nexthop: "100.64.0.2" },
    want: false,
  },
  {
    desc: "ignores external_ids",
    row: routeRow(["set", []]),
    spec: { prefix: "0.0.0.0/0", nexthop: "100.64.0.2", externalIds: ids },
    want: true,
  },
];

for (const { desc, row, spec, want } of sameRouteRows) {
  Deno.test(`static_route: sameRoute() ${desc}`, () => {
    assert.equal(route.sameRoute(row, spec), want);
  });
}

// ---------------------------------------------------------------- nat.ts

table("nat", [
  {
    desc: "addNat() inserts the rule and adds it to the router's nat",
    ops: () =>
      nat.addNat(
        { type: "snat", externalIp: "10.0.0.5", logicalIp: "172.16.0.0/16" },
        lr.routerChildren({ uuid: LR }, "nat"),
        "nat0",
      ),
    want: [
      {
        op: "insert",
        table: "NAT",
        row: {
          type: "snat",
          external_ip: "10.0.0.5",
          logical_ip: "172.16.0.0/16",
          external_ids: ["map", []],
        },
        "uuid-name": "nat0",
      },
      {
        op: "mutate",
        table: "Logical_Router",
        where: whereLr,
        mutations: [["nat", "insert", ["named-uuid", "nat0"]]],
      },
    ],
  },
  {
    desc: "addNat() on a router inserted earlier, with external_ids",
    ops: () =>
      nat.addNat(
        {
          type: "dnat_and_snat",
          externalIp: "10.0.0.6",
          logicalIp: "172.16.1.5",
          externalIds: ids,
        },
        lr.routerChildren({ named: "lr0" }, "nat"),
        "nat1",
      ),
    want: [
      {
        op: "insert",
        table: "NAT",
        row: {
          type: "dnat_and_snat",
          external_ip: "10.0.0.6",
          logical_ip: "172.16.1.5",
          external_ids: idsMap,
        },
        "uuid-name": "nat1",
      },
      {
        op: "mutate",
        table: "Logical_Router",
        where: [["_uuid", "==", ["named-uuid", "lr0"]]],
        mutations: [["nat", "insert", ["named-uuid", "nat1"]]],
      },
    ],
  },
]);

const natRow: Row = {
  _uuid: ["uuid", P2],
  type: "snat",
  external_ip: "10.0.0.5",
  logical_ip: "172.16.0.0/16",
  external_ids: ["map", []],
};
const snat: nat.NatSpec = { type: "snat", externalIp: "10.0.0.5", logicalIp: "172.16.0.0/16" };

const sameNatRows: { desc: string; spec: nat.NatSpec; want: boolean }[] = [
  { desc: "is true for the same rule", spec: snat, want: true },
  { desc: "ignores external_ids", spec: { ...snat, externalIds: ids }, want: true },
  { desc: "is false for another type", spec: { ...snat, type: "dnat_and_snat" }, want: false },
  {
    desc: "is false for another external address",
    spec: { ...snat, externalIp: "10.0.0.6" },
    want: false,
  },
  {
    desc: "is false for another logical address",
    spec: { ...snat, logicalIp: "172.17.0.0/16" },
    want: false,
  },
];

for (const { desc, spec, want } of sameNatRows) {
  Deno.test(`nat: sameNat() ${desc}`, () => assert.equal(nat.sameNat(natRow, spec), want));
}
