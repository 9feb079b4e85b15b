/** OVS `Bridge`: br-int (made by ovn-controller) and a gateway's `br-<interface>`. */
import {
  byUuid,
  eq,
  insert,
  map,
  mutate,
  named,
  type Op,
  remove,
  select,
  uuid,
} from "../ovsdb/ops.ts";
import { TABLE as ROOT } from "./open_vswitch.ts";

export const TABLE = "Bridge";
export const COLUMNS = ["_uuid", "name", "ports", "datapath_type", "external_ids"];

export function selectBridge(name: string): Op {
  return select(TABLE, [eq("name", name)], COLUMNS);
}

/**
 * A new bridge with its own internal port (as `ovs-vsctl add-br` makes it),
 * added to the root row.
 */
export function createBridge(
  name: string,
  opts: { datapathType?: string; externalIds?: Record<string, string> },
  uuidName: string,
): Op[] {
  return [
    insert("Interface", { name, type: "internal" }, `${uuidName}_if`),
    insert("Port", { name, interfaces: named(`${uuidName}_if`) }, `${uuidName}_port`),
    insert(TABLE, {
      name,
      ports: named(`${uuidName}_port`),
      datapath_type: opts.datapathType ?? "",
      external_ids: map(opts.externalIds ?? {}),
    }, uuidName),
    mutate(ROOT, [], [["bridges", "insert", named(uuidName)]]),
  ];
}

/** Deletes a bridge (its ports and interfaces go with it). */
export function deleteBridge(id: string): Op[] {
  return [
    mutate(ROOT, [], [["bridges", "delete", uuid(id)]]),
    remove(TABLE, byUuid(id)),
  ];
}

/** A bridge as a where clause, for the port builders. */
export function bridgeWhere(ref: { uuid: string } | { name: string }) {
  return "uuid" in ref ? byUuid(ref.uuid) : [eq("name", ref.name)];
}
