/** NB `Logical_Router_Port`. */
import { byUuid, eq, map, type Op, type Row, select, set, update } from "../../ovsdb/ops.ts";
import { insertChild, type Parent } from "./_child.ts";

export const TABLE = "Logical_Router_Port";
export const COLUMNS = ["_uuid", "name", "mac", "networks", "external_ids"];

export interface RouterPortSpec {
  name: string;
  mac: string;
  /** e.g. `["172.16.1.1/24"]`. */
  networks: string[];
  externalIds?: Record<string, string>;
}

export function selectRouterPort(name: string): Op {
  return select(TABLE, [eq("name", name)], COLUMNS);
}

export function addRouterPort(p: RouterPortSpec, router: Parent, uuidName: string): Op[] {
  return insertChild(
    TABLE,
    {
      name: p.name,
      mac: p.mac,
      networks: set(p.networks),
      external_ids: map(p.externalIds ?? {}),
    },
    uuidName,
    router,
  );
}

/** The columns ovn-mesos manages, as the spec wants them. */
export function routerPortRow(p: RouterPortSpec): Row {
  return { mac: p.mac, networks: set(p.networks), external_ids: map(p.externalIds ?? {}) };
}

export function updateRouterPort(id: string, p: RouterPortSpec): Op {
  return update(TABLE, byUuid(id), routerPortRow(p));
}
