/**
 * OVSDB operations and values (RFC 7047 sections 5.1 and 5.2) as plain data:
 * the builders here and in the per-table modules return them, a transaction
 * sends them. Nothing here does I/O.
 */

/** A uuid as the protocol writes it: a row's, or one named earlier in the same transaction. */
export type UuidAtom = ["uuid", string] | ["named-uuid", string];
/** One atom of a column value. */
export type Atom = string | number | boolean | UuidAtom;
/** A column value: an atom, a set or a map. */
export type Value = Atom | ["set", Atom[]] | ["map", [Atom, Atom][]];
/** One condition of a `where` clause. */
export type Condition = [string, "==" | "!=" | "includes" | "excludes" | "<" | ">", Value];
/** A row as sent or read: column name to value. */
export type Row = Record<string, Value>;

/** One operation of a transaction. */
export type Op =
  | { op: "insert"; table: string; row: Row; "uuid-name"?: string }
  | { op: "update"; table: string; where: Condition[]; row: Row }
  | { op: "mutate"; table: string; where: Condition[]; mutations: Mutation[] }
  | { op: "delete"; table: string; where: Condition[] }
  | { op: "select"; table: string; where: Condition[]; columns?: string[] }
  | {
    op: "wait";
    table: string;
    where: Condition[];
    columns: string[];
    until: "==" | "!=";
    rows: Row[];
    timeout?: number;
  }
  | { op: "comment"; comment: string };

/** One mutation of a `mutate` operation. */
export type Mutation = [string, "insert" | "delete" | "+=" | "-=", Value];

/** What one operation answered. */
export interface OpResult {
  uuid?: UuidAtom;
  count?: number;
  rows?: Row[];
  error?: string;
  details?: string;
}

// ---------------------------------------------------------------- values

/** `["map", ...]` from an object. */
export const map = (entries: Record<string, string>): Value => ["map", Object.entries(entries)];
/** `["set", ...]` from a list. */
export const set = (atoms: Atom[]): Value => ["set", atoms];
/** A reference to a row inserted earlier in the same transaction. */
export const named = (name: string): UuidAtom => ["named-uuid", name];
/** A reference to an existing row. */
export const uuid = (id: string): UuidAtom => ["uuid", id];

/**
 * The atoms of a set column as read (a one-element set comes back bare).
 *
 * @example
 * ```ts
 * import { atoms } from "./ops.ts";
 * if (atoms(["set", []]).length !== 0 || atoms("a")[0] !== "a") throw new Error();
 * ```
 */
export function atoms(v: Value | undefined): Atom[] {
  if (v === undefined) return [];
  return Array.isArray(v) && v[0] === "set" ? v[1] as Atom[] : [v as Atom];
}

/**
 * A map column as read, as an object of strings.
 *
 * @example
 * ```ts
 * import { entries } from "./ops.ts";
 * if (entries(["map", [["a", "1"]]]).a !== "1") throw new Error();
 * ```
 */
export function entries(v: Value | undefined): Record<string, string> {
  if (!Array.isArray(v) || v[0] !== "map") return {};
  return Object.fromEntries((v[1] as [Atom, Atom][]).map(([k, x]) => [String(k), atomText(x)]));
}

/** A string column that may be empty (an optional column reads as an empty set). */
export function optional(v: Value | undefined): string | undefined {
  const [a] = atoms(v);
  return a === undefined ? undefined : atomText(a);
}

/** The uuid of a row as read (`["uuid", "..."]`). */
export function rowUuid(row: Row): string {
  return (row._uuid as UuidAtom)[1];
}

function atomText(a: Atom): string {
  return Array.isArray(a) ? a[1] : String(a);
}

// ---------------------------------------------------------------- conditions

/** `column == value`. */
export const eq = (column: string, value: Value): Condition => [column, "==", value];
/** The row with this uuid. */
export const byUuid = (id: string): Condition[] => [["_uuid", "==", uuid(id)]];
/** Rows whose external_ids include every entry of `ids`. */
export const byIds = (ids: Record<string, string>): Condition[] => [[
  "external_ids",
  "includes",
  map(ids),
]];

// ---------------------------------------------------------------- operations

/** Inserts a row, nameable by `uuidName` later in the transaction. */
export function insert(table: string, row: Row, uuidName?: string): Op {
  return uuidName
    ? { op: "insert", table, row, "uuid-name": uuidName }
    : { op: "insert", table, row };
}

/** Sets columns of the rows matching `where`. */
export function update(table: string, where: Condition[], row: Row): Op {
  return { op: "update", table, where, row };
}

/** Changes set or map columns of the rows matching `where`. */
export function mutate(table: string, where: Condition[], mutations: Mutation[]): Op {
  return { op: "mutate", table, where, mutations };
}

/** Deletes the rows matching `where` (of a root table; others are dropped from their parent). */
export function remove(table: string, where: Condition[]): Op {
  return { op: "delete", table, where };
}

/** Reads rows. */
export function select(table: string, where: Condition[], columns?: string[]): Op {
  return columns ? { op: "select", table, where, columns } : { op: "select", table, where };
}

/**
 * A guard: the transaction commits only if the rows matching `where`, seen
 * through `columns`, are exactly `rows` (what an earlier read found). A
 * concurrent change makes it fail at once with "timed out"; see
 * {@link isGuardFailure}.
 */
export function guard(table: string, where: Condition[], columns: string[], rows: Row[]): Op {
  return { op: "wait", table, where, columns, until: "==", rows, timeout: 0 };
}

/** A server-side wait: blocks until the rows match (or `timeoutMs` passes, then "timed out"). */
export function waitUntil(
  table: string,
  where: Condition[],
  columns: string[],
  until: "==" | "!=",
  rows: Row[],
  timeoutMs: number,
): Op {
  return { op: "wait", table, where, columns, until, rows, timeout: timeoutMs };
}

/** Keeps of each row only `columns` (a guard compares exactly these). */
export function project(rows: Row[], columns: string[]): Row[] {
  return rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c]])));
}

/**
 * True when a row as read already has every column of `want` (sets and maps
 * compared as unordered, a one-element set as read equal to its atom).
 *
 * @example
 * ```ts
 * import { map, type Row, sameColumns, set } from "./ops.ts";
 * const read: Row = { addresses: "dynamic", external_ids: ["map", [["a", "1"]]] };
 * if (!sameColumns(read, { addresses: set(["dynamic"]), external_ids: map({ a: "1" }) })) {
 *   throw new Error();
 * }
 * ```
 */
export function sameColumns(row: Row, want: Row): boolean {
  return Object.entries(want).every(([c, w]) => canonical(row[c]) === canonical(w));
}

function canonical(v: Value | undefined): string {
  if (Array.isArray(v) && v[0] === "map") {
    return JSON.stringify((v[1] as [Atom, Atom][]).map((e) => JSON.stringify(e)).sort());
  }
  return JSON.stringify(atoms(v).map((a) => JSON.stringify(a)).sort());
}
