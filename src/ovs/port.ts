/** OVS `Port` and `Interface`: one port with one interface each, the way ovn-mesos plugs things. */
import {
  type Condition,
  eq,
  insert,
  map,
  mutate,
  named,
  type Op,
  select,
  uuid,
} from "../ovsdb/ops.ts";
import { TABLE as BRIDGE } from "./bridge.ts";

export const PORT = "Port";
export const INTERFACE = "Interface";
export const INTERFACE_COLUMNS = ["_uuid", "name", "type", "external_ids", "mtu_request", "ofport"];

/** What ovn-mesos sets on an interface. */
export interface InterfaceSpec {
  name: string;
  /** "" (a system device such as a veth end) or "internal". */
  type?: "" | "internal";
  externalIds?: Record<string, string>;
  mtuRequest?: number;
}

/** Adds a port with one interface to the bridge matching `bridge`. */
export function addPort(spec: InterfaceSpec, bridge: Condition[], uuidName: string): Op[] {
  return [
    insert(INTERFACE, {
      name: spec.name,
      type: spec.type ?? "",
      external_ids: map(spec.externalIds ?? {}),
      ...(spec.mtuRequest ? { mtu_request: spec.mtuRequest } : {}),
    }, `${uuidName}_if`),
    insert(PORT, { name: spec.name, interfaces: named(`${uuidName}_if`) }, uuidName),
    mutate(BRIDGE, bridge, [["ports", "insert", named(uuidName)]]),
  ];
}

/**
 * Drops ports (by uuid) from whichever bridge holds them, or only from the
 * bridges `bridge` selects; their interfaces go with them.
 */
export function removePorts(portUuids: string[], bridge: Condition[] = []): Op[] {
  return portUuids.map((id) =>
    mutate(BRIDGE, [...bridge, ["ports", "includes", uuid(id)]], [["ports", "delete", uuid(id)]])
  );
}

export function selectPortByName(name: string): Op {
  return select(PORT, [eq("name", name)], ["_uuid", "name", "interfaces"]);
}

export function selectInterface(name: string, columns = INTERFACE_COLUMNS): Op {
  return select(INTERFACE, [eq("name", name)], columns);
}
