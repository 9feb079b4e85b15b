/** NB `Logical_Switch`: a host's switch, the join switch, a gateway's external switch. */
import { byUuid, eq, insert, map, type Op, remove, select, update } from "../../ovsdb/ops.ts";
import type { Parent } from "./_child.ts";

export const TABLE = "Logical_Switch";
/** The columns the driver reads. */
export const COLUMNS = ["_uuid", "name", "ports", "other_config", "external_ids"];

/** What ovn-mesos sets on a switch. */
export interface SwitchSpec {
  name: string;
  otherConfig?: Record<string, string>;
  externalIds: Record<string, string>;
}

/** Reads switches by name (OVN does not make switch names unique: there may be several). */
export function selectSwitch(name: string): Op {
  return select(TABLE, [eq("name", name)], COLUMNS);
}

/** A new switch; its ports are added by the port builders. */
export function createSwitch(s: SwitchSpec, uuidName: string): Op {
  return insert(TABLE, {
    name: s.name,
    other_config: map(s.otherConfig ?? {}),
    external_ids: map(s.externalIds),
  }, uuidName);
}

/** Sets the switch's other_config and external_ids to the spec's (other keys are dropped). */
export function updateSwitch(id: string, s: SwitchSpec): Op {
  return update(TABLE, byUuid(id), {
    other_config: map(s.otherConfig ?? {}),
    external_ids: map(s.externalIds),
  });
}

/** Deletes a switch; its ports go with it. */
export function deleteSwitch(id: string): Op {
  return remove(TABLE, byUuid(id));
}

/** A switch as the parent of its ports (by uuid, or by a name given earlier in the transaction). */
export function switchPorts(ref: { uuid: string } | { named: string }): Parent {
  return {
    table: TABLE,
    where: "uuid" in ref ? byUuid(ref.uuid) : [["_uuid", "==", ["named-uuid", ref.named]]],
    column: "ports",
  };
}
