/** NB `Logical_Router_Static_Route`. */
import { map, type Op, type Row } from "../../ovsdb/ops.ts";
import { insertChild, type Parent } from "./_child.ts";

export const TABLE = "Logical_Router_Static_Route";
export const COLUMNS = ["_uuid", "ip_prefix", "nexthop", "policy", "options", "external_ids"];

export interface RouteSpec {
  prefix: string;
  nexthop: string;
  /** "dst-ip" (OVN's default) or "src-ip". */
  policy?: "dst-ip" | "src-ip";
  /** e.g. `ecmp_symmetric_reply: "true"`. */
  options?: Record<string, string>;
  externalIds?: Record<string, string>;
}

/** Adds a route to a router. */
export function addRoute(r: RouteSpec, router: Parent, uuidName: string): Op[] {
  return insertChild(
    TABLE,
    {
      ip_prefix: r.prefix,
      nexthop: r.nexthop,
      ...(r.policy ? { policy: r.policy } : {}),
      external_ids: map(r.externalIds ?? {}),
    },
    uuidName,
    router,
  );
}

/** True when a route row is this route (prefix, next hop and policy). */
export function sameRoute(row: Row, r: RouteSpec): boolean {
  const policy = Array.isArray(row.policy) ? "dst-ip" : String(row.policy);
  return row.ip_prefix === r.prefix && row.nexthop === r.nexthop &&
    policy === (r.policy ?? "dst-ip");
}
