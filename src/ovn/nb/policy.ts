/** NB `Logical_Router_Policy`: a host's containers leave through the host's own gateway. */
import { map, type Op, type Row, set } from "../../ovsdb/ops.ts";
import { insertChild, type Parent } from "./_child.ts";

export const TABLE = "Logical_Router_Policy";
export const COLUMNS = ["_uuid", "priority", "match", "action", "nexthops", "external_ids"];

export interface PolicySpec {
  priority: number;
  match: string;
  action: "reroute" | "allow" | "drop";
  nexthops?: string[];
  externalIds?: Record<string, string>;
}

export function addPolicy(p: PolicySpec, router: Parent, uuidName: string): Op[] {
  return insertChild(
    TABLE,
    {
      priority: p.priority,
      match: p.match,
      action: p.action,
      nexthops: set(p.nexthops ?? []),
      external_ids: map(p.externalIds ?? {}),
    },
    uuidName,
    router,
  );
}

/** True when a policy row is this policy (priority, match, action, next hops). */
export function samePolicy(row: Row, p: PolicySpec): boolean {
  const hops = Array.isArray(row.nexthops) && row.nexthops[0] === "set"
    ? (row.nexthops[1] as string[])
    : [row.nexthops as string];
  return row.priority === p.priority && row.match === p.match && row.action === p.action &&
    JSON.stringify([...hops].sort()) === JSON.stringify([...(p.nexthops ?? [])].sort());
}
