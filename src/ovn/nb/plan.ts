/**
 * A plan of NB changes built against a snapshot: `ensure*` adds what is
 * missing and updates what differs, so planning on a snapshot that already
 * holds everything yields no operation at all. The router-link logic (a
 * router port and the switch port that faces it) lives here and only here.
 */
import { byUuid, map, type Op, type Row, rowUuid, sameColumns, update } from "../../ovsdb/ops.ts";
import { attachChildren, detachChildren, type Parent } from "./_child.ts";
import * as lr from "./logical_router.ts";
import * as lrp from "./logical_router_port.ts";
import * as ls from "./logical_switch.ts";
import * as lsp from "./logical_switch_port.ts";
import * as nat from "./nat.ts";
import * as policy from "./policy.ts";
import type { NbSnapshot } from "./snapshot.ts";
import { refs } from "./snapshot.ts";
import * as route from "./static_route.ts";

/** A row that exists, or one inserted earlier in this plan. */
export type Ref = { uuid: string } | { named: string };

/** One router-to-switch link. */
export interface LinkSpec {
  router: Ref;
  switch: Ref;
  /** The router port. */
  routerPort: lrp.RouterPortSpec;
  /** The switch port facing it. */
  switchPort: string;
  externalIds?: Record<string, string>;
}

export class NbPlan {
  readonly ops: Op[] = [];
  /** Names of the rows this plan creates (for messages and undo). */
  readonly created: string[] = [];
  #n = 0;

  constructor(readonly snap: NbSnapshot) {}

  #name(prefix: string): string {
    return `${prefix}${this.#n++}`;
  }

  ensureSwitch(spec: ls.SwitchSpec): Ref {
    const row = this.snap.switch(spec.name);
    if (!row) {
      const n = this.#name("ls");
      this.ops.push(ls.createSwitch(spec, n));
      this.created.push(`switch ${spec.name}`);
      return { named: n };
    }
    const want = { other_config: map(spec.otherConfig ?? {}), external_ids: map(spec.externalIds) };
    if (!sameColumns(row, want)) {
      this.ops.push(ls.updateSwitch(rowUuid(row), spec));
    }
    return { uuid: rowUuid(row) };
  }

  ensureRouter(spec: lr.RouterSpec): Ref {
    const row = this.snap.router(spec.name);
    if (!row) {
      const n = this.#name("lr");
      this.ops.push(lr.createRouter(spec, n));
      this.created.push(`router ${spec.name}`);
      return { named: n };
    }
    if (
      !sameColumns(row, { options: map(spec.options ?? {}), external_ids: map(spec.externalIds) })
    ) {
      this.ops.push(lr.updateRouter(rowUuid(row), spec));
    }
    return { uuid: rowUuid(row) };
  }

  ensureSwitchPort(sw: Ref, spec: lsp.PortSpec): void {
    const row = this.snap.port(spec.name);
    if (!row) {
      this.ops.push(...lsp.addPort(spec, ls.switchPorts(sw), this.#name("lsp")));
      this.created.push(`port ${spec.name}`);
      return;
    }
    if (!sameColumns(row, lsp.portRow(spec))) this.ops.push(lsp.updatePort(rowUuid(row), spec));
    this.#moveTo(ls.TABLE, this.snap.switches, ls.switchPorts(sw), sw, rowUuid(row));
  }

  /** Makes `parent` (and only it) hold the child row: moved from wherever it hangs now. */
  #moveTo(table: string, rows: Row[], parent: Parent, ref: Ref, child: string): void {
    if ("uuid" in ref && this.#holds(rows, ref.uuid, parent.column, child)) return;
    // Dropped and added in one transaction: never unreferenced at commit, so never deleted.
    this.ops.push(...detachChildren(table, parent.column, [child]));
    this.ops.push(...attachChildren(parent, [["uuid", child]]));
  }

  ensureRouterPort(router: Ref, spec: lrp.RouterPortSpec): void {
    const row = this.snap.routerPort(spec.name);
    if (!row) {
      this.ops.push(
        ...lrp.addRouterPort(spec, lr.routerChildren(router, "ports"), this.#name("lrp")),
      );
      this.created.push(`router port ${spec.name}`);
      return;
    }
    if (!sameColumns(row, lrp.routerPortRow(spec))) {
      this.ops.push(lrp.updateRouterPort(rowUuid(row), spec));
    }
    this.#moveTo(
      lr.TABLE,
      this.snap.routers,
      lr.routerChildren(router, "ports"),
      router,
      rowUuid(row),
    );
  }

  /** A router port and the switch port of type "router" that faces it. */
  link(l: LinkSpec): void {
    this.ensureRouterPort(l.router, { ...l.routerPort, externalIds: l.externalIds });
    this.ensureSwitchPort(l.switch, {
      name: l.switchPort,
      type: "router",
      addresses: ["router"],
      options: { "router-port": l.routerPort.name },
      externalIds: l.externalIds,
    });
  }

  /** Adds the route unless the router (as read) has it; sets its options if they differ. */
  ensureRoute(router: Ref, spec: route.RouteSpec): void {
    const row = "uuid" in router ? this.#row(this.snap.routers, router.uuid) : undefined;
    const have = row && this.snap.routesOf(row).find((r) => route.sameRoute(r, spec));
    if (have) {
      if (spec.options && !sameColumns(have, { options: map(spec.options) })) {
        this.ops.push(update(route.TABLE, byUuid(rowUuid(have)), { options: map(spec.options) }));
      }
      return;
    }
    this.ops.push(
      ...route.addRoute(spec, lr.routerChildren(router, "static_routes"), this.#name("rt")),
    );
  }

  /** Adds the policy unless the router (as read) has it. */
  ensurePolicy(router: Ref, spec: policy.PolicySpec): void {
    const row = "uuid" in router ? this.#row(this.snap.routers, router.uuid) : undefined;
    if (row && this.snap.policiesOf(row).some((r) => policy.samePolicy(r, spec))) return;
    this.ops.push(
      ...policy.addPolicy(spec, lr.routerChildren(router, "policies"), this.#name("pol")),
    );
  }

  /** Adds the NAT rule unless the router (as read) has it. */
  ensureNat(router: Ref, spec: nat.NatSpec): void {
    const row = "uuid" in router ? this.#row(this.snap.routers, router.uuid) : undefined;
    if (row && this.snap.natsOf(row).some((r) => nat.sameNat(r, spec))) return;
    this.ops.push(...nat.addNat(spec, lr.routerChildren(router, "nat"), this.#name("nat")));
  }

  /** Removes child rows (ports, routes, NAT) by uuid from whatever parent holds them. */
  detach(parentTable: string, column: string, uuids: string[]): void {
    this.ops.push(...detachChildren(parentTable, column, uuids));
  }

  #row(rows: Row[], id: string): Row | undefined {
    return rows.find((r) => rowUuid(r) === id);
  }

  #holds(rows: Row[], parent: string, column: string, child: string): boolean {
    const row = this.#row(rows, parent);
    return row !== undefined && refs(row[column]).includes(child);
  }
}
