/** NB `NAT`: a gateway router's SNAT of the cluster subnet. */
import { map, type Op, type Row } from "../../ovsdb/ops.ts";
import { insertChild, type Parent } from "./_child.ts";

export const TABLE = "NAT";
export const COLUMNS = ["_uuid", "type", "external_ip", "logical_ip", "external_ids"];

export interface NatSpec {
  type: "snat" | "dnat" | "dnat_and_snat";
  externalIp: string;
  logicalIp: string;
  externalIds?: Record<string, string>;
}

export function addNat(n: NatSpec, router: Parent, uuidName: string): Op[] {
  return insertChild(
    TABLE,
    {
      type: n.type,
      external_ip: n.externalIp,
      logical_ip: n.logicalIp,
      external_ids: map(n.externalIds ?? {}),
    },
    uuidName,
    router,
  );
}

/** True when a NAT row is this rule. */
export function sameNat(row: Row, n: NatSpec): boolean {
  return row.type === n.type && row.external_ip === n.externalIp && row.logical_ip === n.logicalIp;
}
