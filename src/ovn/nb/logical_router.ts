/** NB `Logical_Router`: `mesos-router` and the gateway routers. */
import { byUuid, eq, insert, map, type Op, remove, select, update } from "../../ovsdb/ops.ts";
import type { Parent } from "./_child.ts";

export const TABLE = "Logical_Router";
/** The columns the driver reads. */
export const COLUMNS = [
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

/** What ovn-mesos sets on a router. */
export interface RouterSpec {
  name: string;
  options?: Record<string, string>;
  externalIds: Record<string, string>;
}

/** Reads routers by name. */
export function selectRouter(name: string): Op {
  return select(TABLE, [eq("name", name)], COLUMNS);
}

export function createRouter(r: RouterSpec, uuidName: string): Op {
  return insert(TABLE, {
    name: r.name,
    options: map(r.options ?? {}),
    external_ids: map(r.externalIds),
  }, uuidName);
}

/** Sets options and external_ids to the spec's. */
export function updateRouter(id: string, r: RouterSpec): Op {
  return update(TABLE, byUuid(id), {
    options: map(r.options ?? {}),
    external_ids: map(r.externalIds),
  });
}

/** Deletes a router with its ports, routes and NAT rows. */
export function deleteRouter(id: string): Op {
  return remove(TABLE, byUuid(id));
}

/** A router's column of children (ports, static_routes, nat). */
export function routerChildren(
  ref: { uuid: string } | { named: string },
  column: "ports" | "static_routes" | "nat" | "policies" | "load_balancer",
): Parent {
  return {
    table: TABLE,
    where: "uuid" in ref ? byUuid(ref.uuid) : [["_uuid", "==", ["named-uuid", ref.named]]],
    column,
  };
}
