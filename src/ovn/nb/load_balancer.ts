/** NB `Load_Balancer`: a container's port mappings at a gateway router's external address. */
import {
  byIds,
  byUuid,
  insert,
  map,
  mutate,
  type Op,
  remove,
  select,
  uuid,
} from "../../ovsdb/ops.ts";
import { TABLE as ROUTER } from "./logical_router.ts";

export const TABLE = "Load_Balancer";
export const COLUMNS = ["_uuid", "name", "protocol", "vips", "external_ids"];

export interface LoadBalancerSpec {
  name: string;
  protocol: "tcp" | "udp";
  /** `"IP:PORT"` to `"IP:PORT[,IP:PORT…]"`. */
  vips: Record<string, string>;
  externalIds: Record<string, string>;
}

/** Load balancers whose external_ids include `ids`. */
export function selectLoadBalancers(ids: Record<string, string>): Op {
  return select(TABLE, byIds(ids), COLUMNS);
}

/** A new load balancer, applied on each of `routers` (their uuids). */
export function createLoadBalancer(
  lb: LoadBalancerSpec,
  routers: string[],
  uuidName: string,
): Op[] {
  return [
    insert(TABLE, {
      name: lb.name,
      protocol: lb.protocol,
      vips: map(lb.vips),
      external_ids: map(lb.externalIds),
    }, uuidName),
    ...routers.map((r) =>
      mutate(ROUTER, byUuid(r), [["load_balancer", "insert", ["named-uuid", uuidName]]])
    ),
  ];
}

/** Deletes load balancers (root rows): dropped from every router first, in the same transaction. */
export function deleteLoadBalancers(uuids: string[]): Op[] {
  return uuids.flatMap((id) => [
    mutate(ROUTER, [["load_balancer", "includes", uuid(id)]], [[
      "load_balancer",
      "delete",
      uuid(id),
    ]]),
    remove(TABLE, byUuid(id)),
  ]);
}
