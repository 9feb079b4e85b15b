import assert from "node:assert/strict";
import {
  isConstraintViolation,
  isGuardFailure,
  isWaitTimeout,
  OvsdbError,
  OvsdbUnreachable,
} from "./errors.ts";
import {
  type Atom,
  atoms,
  byIds,
  byUuid,
  entries,
  eq,
  guard,
  insert,
  map,
  mutate,
  named,
  optional,
  project,
  remove,
  type Row,
  rowUuid,
  sameColumns,
  select,
  set,
  update,
  uuid,
  type Value,
  waitUntil,
} from "./ops.ts";

const U1 = "6f2e2a8e-41b5-4bd8-9d6c-0d7e3b1f8a01";
const U2 = "0c8d7b1a-2f4e-4c3a-8e5d-9b6a1f2e3d02";

// ---------------------------------------------------------------- values as read

const atomRows: { desc: string; input: Value | undefined; want: Atom[] }[] = [
  { desc: "reads a missing column as no atoms", input: undefined, want: [] },
  { desc: "reads an empty set as no atoms", input: ["set", []], want: [] },
  { desc: "reads a bare string as a one-element set", input: "dynamic", want: ["dynamic"] },
  { desc: "reads a bare number as a one-element set", input: 6641, want: [6641] },
  { desc: "reads a bare boolean as a one-element set", input: false, want: [false] },
  { desc: "reads a bare uuid as one atom", input: ["uuid", U1], want: [["uuid", U1]] },
  {
    desc: "reads a set of uuids in order",
    input: ["set", [["uuid", U1], ["uuid", U2]]],
    want: [["uuid", U1], ["uuid", U2]],
  },
  { desc: "reads a set of strings in order", input: ["set", ["b", "a"]], want: ["b", "a"] },
];

for (const { desc, input, want } of atomRows) {
  Deno.test(`atoms() ${desc}`, () => assert.deepEqual(atoms(input), want));
}

const entryRows: { desc: string; input: Value | undefined; want: Record<string, string> }[] = [
  { desc: "reads a missing column as no entries", input: undefined, want: {} },
  { desc: "reads an empty map as no entries", input: ["map", []], want: {} },
  {
    desc: "reads string entries",
    input: ["map", [["subnet", "172.16.1.0/24"], ["exclude_ips", "172.16.1.1"]]],
    want: { subnet: "172.16.1.0/24", exclude_ips: "172.16.1.1" },
  },
  {
    desc: "reads uuid values as their uuid text",
    input: ["map", [["peer", ["uuid", U1]]]],
    want: { peer: U1 },
  },
  {
    desc: "reads number and boolean values as text",
    input: ["map", [[1, 2], ["up", true]]],
    want: { "1": "2", up: "true" },
  },
  { desc: "reads a set as no entries", input: ["set", ["a"]], want: {} },
  { desc: "reads a bare string as no entries", input: "a", want: {} },
];

for (const { desc, input, want } of entryRows) {
  Deno.test(`entries() ${desc}`, () => assert.deepEqual(entries(input), want));
}

const optionalRows: { desc: string; input: Value | undefined; want: string | undefined }[] = [
  { desc: "reads a missing column as undefined", input: undefined, want: undefined },
  { desc: "reads an empty set as undefined", input: ["set", []], want: undefined },
  {
    desc: "reads a bare string as itself",
    input: "0a:00:00:00:00:01 10.0.0.2",
    want: "0a:00:00:00:00:01 10.0.0.2",
  },
  { desc: "reads a one-element set as its atom", input: ["set", ["src-ip"]], want: "src-ip" },
  { desc: "reads a uuid as its uuid text", input: ["uuid", U1], want: U1 },
  { desc: "reads a number as text", input: 3, want: "3" },
  { desc: "reads an empty string as the empty string", input: "", want: "" },
];

for (const { desc, input, want } of optionalRows) {
  Deno.test(`optional() ${desc}`, () => assert.equal(optional(input), want));
}

Deno.test("rowUuid() reads the uuid of a row as read", () => {
  assert.equal(rowUuid({ _uuid: ["uuid", U1], name: "mesos-router" }), U1);
});

// ---------------------------------------------------------------- values as sent

const valueRows: { desc: string; got: Value; want: Value }[] = [
  { desc: "map() writes an empty map", got: map({}), want: ["map", []] },
  {
    desc: "map() writes entries in insertion order",
    got: map({ b: "2", a: "1" }),
    want: ["map", [["b", "2"], ["a", "1"]]],
  },
  { desc: "set() writes an empty set", got: set([]), want: ["set", []] },
  { desc: "set() keeps a one-element set a set", got: set(["x"]), want: ["set", ["x"]] },
  { desc: "named() writes a named-uuid", got: named("ls0"), want: ["named-uuid", "ls0"] },
  { desc: "uuid() writes a uuid", got: uuid(U1), want: ["uuid", U1] },
];

for (const { desc, got, want } of valueRows) {
  Deno.test(desc, () => assert.deepEqual(got, want));
}

// ---------------------------------------------------------------- conditions and operations

const opRows: { desc: string; got: unknown; want: unknown }[] = [
  { desc: "eq() writes an == condition", got: eq("name", "x"), want: ["name", "==", "x"] },
  {
    desc: "byUuid() matches the row's _uuid",
    got: byUuid(U1),
    want: [["_uuid", "==", ["uuid", U1]]],
  },
  {
    desc: "byIds() matches external_ids that include every entry",
    got: byIds({ "ovn-mesos/role": "gateway-router" }),
    want: [["external_ids", "includes", ["map", [["ovn-mesos/role", "gateway-router"]]]]],
  },
  {
    desc: "insert() without a uuid-name leaves the key out",
    got: insert("Logical_Switch", { name: "s" }),
    want: { op: "insert", table: "Logical_Switch", row: { name: "s" } },
  },
  {
    desc: "insert() with a uuid-name names the row",
    got: insert("Logical_Switch", { name: "s" }, "ls0"),
    want: { op: "insert", table: "Logical_Switch", row: { name: "s" }, "uuid-name": "ls0" },
  },
  {
    desc: "insert() with an empty uuid-name leaves the key out",
    got: insert("Logical_Switch", { name: "s" }, ""),
    want: { op: "insert", table: "Logical_Switch", row: { name: "s" } },
  },
  {
    desc: "update() sets columns where the condition holds",
    got: update("Logical_Switch", byUuid(U1), { other_config: map({}) }),
    want: {
      op: "update",
      table: "Logical_Switch",
      where: [["_uuid", "==", ["uuid", U1]]],
      row: { other_config: ["map", []] },
    },
  },
  {
    desc: "mutate() carries its mutations",
    got: mutate("Open_vSwitch", [], [["next_cfg", "+=", 1]]),
    want: { op: "mutate", table: "Open_vSwitch", where: [], mutations: [["next_cfg", "+=", 1]] },
  },
  {
    desc: "remove() writes a delete",
    got: remove("Logical_Router", byUuid(U1)),
    want: { op: "delete", table: "Logical_Router", where: [["_uuid", "==", ["uuid", U1]]] },
  },
  {
    desc: "select() without columns reads every column",
    got: select("NAT", []),
    want: { op: "select", table: "NAT", where: [] },
  },
  {
    desc: "select() with columns reads only those",
    got: select("NAT", [], ["_uuid", "type"]),
    want: { op: "select", table: "NAT", where: [], columns: ["_uuid", "type"] },
  },
  {
    desc: "guard() waits with timeout 0 until the rows are exactly those read",
    got: guard("Logical_Router", [], ["name"], [{ name: "mesos-router" }]),
    want: {
      op: "wait",
      table: "Logical_Router",
      where: [],
      columns: ["name"],
      until: "==",
      rows: [{ name: "mesos-router" }],
      timeout: 0,
    },
  },
  {
    desc: "guard() on no rows requires that there still are none",
    got: guard("Logical_Switch", [eq("name", "mesos-hv1")], ["name"], []),
    want: {
      op: "wait",
      table: "Logical_Switch",
      where: [["name", "==", "mesos-hv1"]],
      columns: ["name"],
      until: "==",
      rows: [],
      timeout: 0,
    },
  },
  {
    desc: "waitUntil() carries its direction and timeout",
    got: waitUntil("Open_vSwitch", [], ["cur_cfg"], "!=", [{ cur_cfg: 3 }], 5000),
    want: {
      op: "wait",
      table: "Open_vSwitch",
      where: [],
      columns: ["cur_cfg"],
      until: "!=",
      rows: [{ cur_cfg: 3 }],
      timeout: 5000,
    },
  },
];

for (const { desc, got, want } of opRows) {
  Deno.test(desc, () => assert.deepEqual(got, want));
}

// ---------------------------------------------------------------- project

const read: Row[] = [
  {
    _uuid: ["uuid", U1],
    name: "mesos-router",
    ports: ["set", [["uuid", U2]]],
    external_ids: ["map", []],
  },
  { _uuid: ["uuid", U2], name: "GR_hv1", ports: ["set", []], external_ids: ["map", [["a", "1"]]] },
];

const projectRows: { desc: string; rows: Row[]; columns: string[]; want: Row[] }[] = [
  { desc: "keeps nothing of no rows", rows: [], columns: ["name"], want: [] },
  {
    desc: "keeps only the named columns, in row order",
    rows: read,
    columns: ["name", "external_ids"],
    want: [
      { name: "mesos-router", external_ids: ["map", []] },
      { name: "GR_hv1", external_ids: ["map", [["a", "1"]]] },
    ],
  },
  {
    desc: "keeps values as read (sets, maps, uuids)",
    rows: read.slice(0, 1),
    columns: ["ports"],
    want: [{ ports: ["set", [["uuid", U2]]] }],
  },
  {
    desc: "with no columns keeps empty rows (one per row)",
    rows: read,
    columns: [],
    want: [{}, {}],
  },
];

for (const { desc, rows, columns, want } of projectRows) {
  Deno.test(`project() ${desc}`, () => assert.deepEqual(project(rows, columns), want));
}

Deno.test("project() does not change the rows it reads", () => {
  const copy = structuredClone(read);
  project(read, ["name"]);
  assert.deepEqual(read, copy);
});

// ---------------------------------------------------------------- sameColumns

const sameRows: { desc: string; row: Row; want: Row; same: boolean }[] = [
  { desc: "is true when nothing is wanted", row: { name: "a" }, want: {}, same: true },
  {
    desc: "is true for an equal string",
    row: { type: "router" },
    want: { type: "router" },
    same: true,
  },
  {
    desc: "is false for a different string",
    row: { type: "" },
    want: { type: "router" },
    same: false,
  },
  {
    desc: "is true for a one-element set read bare",
    row: { addresses: "dynamic" },
    want: { addresses: set(["dynamic"]) },
    same: true,
  },
  {
    desc: "is true for sets in another order",
    row: { networks: ["set", ["10.0.0.1/24", "fd00::1/64"]] },
    want: { networks: set(["fd00::1/64", "10.0.0.1/24"]) },
    same: true,
  },
  {
    desc: "is false for a set with one more element",
    row: { networks: ["set", ["10.0.0.1/24", "fd00::1/64"]] },
    want: { networks: set(["10.0.0.1/24"]) },
    same: false,
  },
  {
    desc: "is true for an empty set read as such",
    row: { port_security: ["set", []] },
    want: { port_security: set([]) },
    same: true,
  },
  {
    desc: "is true for an empty set wanted of a column not read",
    row: {},
    want: { port_security: set([]) },
    same: true,
  },
  {
    desc: "is false for a value wanted of a column not read",
    row: {},
    want: { type: "router" },
    same: false,
  },
  {
    desc: "is true for maps in another order",
    row: { external_ids: ["map", [["b", "2"], ["a", "1"]]] },
    want: { external_ids: map({ a: "1", b: "2" }) },
    same: true,
  },
  {
    desc: "is false for a map with an extra key (an update would drop it)",
    row: { external_ids: ["map", [["a", "1"], ["b", "2"]]] },
    want: { external_ids: map({ a: "1" }) },
    same: false,
  },
  {
    desc: "is false for a map with a different value",
    row: { other_config: ["map", [["subnet", "172.16.1.0/24"]]] },
    want: { other_config: map({ subnet: "172.16.2.0/24" }) },
    same: false,
  },
  {
    desc: "is true for empty maps",
    row: { options: ["map", []] },
    want: { options: map({}) },
    same: true,
  },
  {
    desc: "is false for a string and the number it spells",
    row: { cur_cfg: 1 },
    want: { cur_cfg: "1" },
    same: false,
  },
  {
    desc: "is true for equal uuids",
    row: { ports: ["uuid", U1] },
    want: { ports: ["set", [["uuid", U1]]] },
    same: true,
  },
  {
    desc: "ignores columns it is not asked about",
    row: { name: "x", type: "router", up: true },
    want: { type: "router" },
    same: true,
  },
  {
    desc: "is false when one of several columns differs",
    row: { type: "router", addresses: "router" },
    want: { type: "router", addresses: set(["dynamic"]) },
    same: false,
  },
];

for (const { desc, row, want, same } of sameRows) {
  Deno.test(`sameColumns() ${desc}`, () => assert.equal(sameColumns(row, want), same));
}

// ---------------------------------------------------------------- errors

const aGuard = guard("Logical_Router", [], ["name"], []);
const aWait = waitUntil("Logical_Switch_Port", [eq("name", "p")], ["up"], "==", [{ up: true }], 30);
const anInsert = insert("Logical_Switch_Port", { name: "p" });

const errorRows: {
  desc: string;
  error: unknown;
  guardFailure: boolean;
  waitTimeout: boolean;
  constraint: boolean;
}[] = [
  {
    desc: "a guard that timed out",
    error: new OvsdbError("wait on Logical_Router: timed out", "timed out", "", aGuard),
    guardFailure: true,
    waitTimeout: false,
    constraint: false,
  },
  {
    desc: "a server-side wait with a timeout that ran out",
    error: new OvsdbError("wait on Logical_Switch_Port: timed out", "timed out", "", aWait),
    guardFailure: false,
    waitTimeout: true,
    constraint: false,
  },
  {
    desc: "a timeout that names no operation",
    error: new OvsdbError("timed out", "timed out"),
    guardFailure: false,
    waitTimeout: true,
    constraint: false,
  },
  {
    desc: "a timeout of an operation that is not a wait",
    error: new OvsdbError("insert: timed out", "timed out", "", anInsert),
    guardFailure: false,
    waitTimeout: true,
    constraint: false,
  },
  {
    desc: "a constraint violation on an insert",
    error: new OvsdbError(
      "insert on Logical_Switch_Port: constraint violation",
      "constraint violation",
      'Transaction causes multiple rows in "Logical_Switch_Port" table to have identical values',
      anInsert,
    ),
    guardFailure: false,
    waitTimeout: false,
    constraint: true,
  },
  {
    desc: "another error on a guard",
    error: new OvsdbError("wait: syntax error", "syntax error", "", aGuard),
    guardFailure: false,
    waitTimeout: false,
    constraint: false,
  },
  {
    desc: "an unreachable database",
    error: new OvsdbUnreachable("cannot reach OVN_Northbound"),
    guardFailure: false,
    waitTimeout: false,
    constraint: false,
  },
  {
    desc: "a plain Error saying timed out",
    error: Object.assign(new Error("timed out"), { error: "timed out", op: aGuard }),
    guardFailure: false,
    waitTimeout: false,
    constraint: false,
  },
  {
    desc: "something that is not an error",
    error: "timed out",
    guardFailure: false,
    waitTimeout: false,
    constraint: false,
  },
  {
    desc: "undefined",
    error: undefined,
    guardFailure: false,
    waitTimeout: false,
    constraint: false,
  },
];

for (const { desc, error, guardFailure, waitTimeout, constraint } of errorRows) {
  Deno.test(`isGuardFailure() is ${guardFailure} for ${desc}`, () => {
    assert.equal(isGuardFailure(error), guardFailure);
  });
  Deno.test(`isWaitTimeout() is ${waitTimeout} for ${desc}`, () => {
    assert.equal(isWaitTimeout(error), waitTimeout);
  });
  Deno.test(`isConstraintViolation() is ${constraint} for ${desc}`, () => {
    assert.equal(isConstraintViolation(error), constraint);
  });
}

Deno.test("OvsdbError keeps the server's error, details and operation", () => {
  const e = new OvsdbError("m", "timed out", "d", aGuard);
  assert.equal(e.name, "OvsdbError");
  assert.equal(e.message, "m");
  assert.equal(e.error, "timed out");
  assert.equal(e.details, "d");
  assert.deepEqual(e.op, aGuard);
  assert.equal(new OvsdbUnreachable("x").name, "OvsdbUnreachable");
});
