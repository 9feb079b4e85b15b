/** Rows that live only inside a parent's column (ports, routes, NAT): added and dropped through it. */
import {
  type Condition,
  insert,
  mutate,
  named,
  type Op,
  type Row,
  uuid,
  type UuidAtom,
} from "../../ovsdb/ops.ts";

/** Where a child row hangs: the parent rows and their column of references. */
export interface Parent {
  table: string;
  where: Condition[];
  column: string;
}

/** Inserts a child row and adds it to its parent; `uuidName` names it for later operations. */
export function insertChild(table: string, row: Row, uuidName: string, parent: Parent): Op[] {
  return [
    insert(table, row, uuidName),
    mutate(parent.table, parent.where, [[parent.column, "insert", named(uuidName)]]),
  ];
}

/** Adds existing or just-inserted children to a parent's column. */
export function attachChildren(parent: Parent, refs: UuidAtom[]): Op[] {
  return refs.length
    ? [mutate(parent.table, parent.where, [[parent.column, "insert", ["set", refs]]])]
    : [];
}

/**
 * Drops children from whichever parent rows hold them; the server deletes
 * children that nothing references any more.
 */
export function detachChildren(parentTable: string, column: string, uuids: string[]): Op[] {
  return uuids.map((id) =>
    mutate(parentTable, [[column, "includes", uuid(id)]], [[column, "delete", uuid(id)]])
  );
}
