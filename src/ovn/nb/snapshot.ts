/**
 * A consistent read of the NB rows the driver plans on (one transaction),
 * and guards that make a plan commit only if those rows are unchanged.
 */
import type { Database } from "../../ovsdb/client.ts";
import { entries, guard, type Op, project, type Row, rowUuid, select } from "../../ovsdb/ops.ts";
import { Ext } from "../../names.ts";
import * as lb from "./load_balancer.ts";
import * as lr from "./logical_router.ts";
import * as lrp from "./logical_router_port.ts";
import * as ls from "./logical_switch.ts";
import * as lsp from "./logical_switch_port.ts";
import * as nat from "./nat.ts";
import * as policy from "./policy.ts";
import * as route from "./static_route.ts";

/** Routers, switches, router ports, routes and NAT whole (they grow with hosts, not containers); switch ports by name. */
export class NbSnapshot {
  constructor(
    readonly routers: Row[],
    readonly switches: Row[],
    readonly routerPorts: Row[],
    readonly routes: Row[],
    readonly nats: Row[],
    readonly ports: Row[],
    readonly policies: Row[] = [],
    /** Port-mapping load balancers (they grow with mapped containers). */
    readonly balancers: Row[] = [],
  ) {}

  static async read(db: Database, portNames: string[] = []): Promise<NbSnapshot> {
    const [routers, switches, routerPorts, routes, nats, policies, balancers, ...ports] = await db
      .read([
        select(lr.TABLE, [], lr.COLUMNS),
        select(ls.TABLE, [], ls.COLUMNS),
        select(lrp.TABLE, [], lrp.COLUMNS),
        select(route.TABLE, [], route.COLUMNS),
        select(nat.TABLE, [], nat.COLUMNS),
        select(policy.TABLE, [], policy.COLUMNS),
        lb.selectLoadBalancers({ [Ext.role]: "port-mapping" }),
        ...portNames.map((n) => lsp.selectPort(n)),
      ]);
    return new NbSnapshot(
      routers,
      switches,
      routerPorts,
      routes,
      nats,
      ports.flat(),
      policies,
      balancers,
    );
  }

  router(name: string): Row | undefined {
    return this.routers.find((r) => r.name === name);
  }
  switch(name: string): Row | undefined {
    return this.switches.find((r) => r.name === name);
  }
  routerPort(name: string): Row | undefined {
    return this.routerPorts.find((r) => r.name === name);
  }
  port(name: string): Row | undefined {
    return this.ports.find((r) => r.name === name);
  }
  /** Rows of `rows` whose external_ids include every entry of `ids`. */
  withIds<T extends Row>(rows: T[], ids: Record<string, string>): T[] {
    return rows.filter((r) => {
      const have = entries(r.external_ids);
      return Object.entries(ids).every(([k, v]) => have[k] === v);
    });
  }
  /** The route rows a router holds. */
  routesOf(router: Row): Row[] {
    const held = new Set(refs(router.static_routes));
    return this.routes.filter((r) => held.has(rowUuid(r)));
  }
  /** The policy rows a router holds. */
  policiesOf(router: Row): Row[] {
    const held = new Set(refs(router.policies));
    return this.policies.filter((r) => held.has(rowUuid(r)));
  }
  /** The NAT rows a router holds. */
  natsOf(router: Row): Row[] {
    const held = new Set(refs(router.nat));
    return this.nats.filter((r) => held.has(rowUuid(r)));
  }

  /**
   * Guards on every router and switch as read (name, external_ids, and the
   * switches' subnets): a concurrent init, gateway or removal makes the plan
   * fail and be made again.
   */
  guards(): Op[] {
    const rc = ["name", "external_ids", "ports", "static_routes", "policies", "nat"];
    const sc = ["name", "other_config", "external_ids"];
    return [
      guard(lr.TABLE, [], rc, project(this.routers, rc)),
      guard(ls.TABLE, [], sc, project(this.switches, sc)),
    ];
  }
}

/** The uuids of a set-of-references column. */
export function refs(v: Row[string] | undefined): string[] {
  if (v === undefined) return [];
  const list = Array.isArray(v) && v[0] === "set" ? v[1] : [v];
  return (list as unknown[]).map((a) => (a as [string, string])[1]);
}
