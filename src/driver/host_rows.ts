/**
 * The NB rows that belong to one host, found in a snapshot: what node-remove
 * removes and what a failed init undoes. Also the join-switch numbering
 * that gateway routers share.
 */
import { readPortMappings } from "../cni/port_mappings.ts";
import { DriverError } from "../errors.ts";
import * as names from "../names.ts";
import { type Cidr, formatIpv4, networkCidr, networkOf, parseCidr } from "../net/cidr.ts";
import * as lb from "../ovn/nb/load_balancer.ts";
import * as lr from "../ovn/nb/logical_router.ts";
import { portAddress } from "../ovn/nb/logical_switch_port.ts";
import * as ls from "../ovn/nb/logical_switch.ts";
import type { NbPlan, Ref } from "../ovn/nb/plan.ts";
import { type NbSnapshot, refs } from "../ovn/nb/snapshot.ts";
import {
  byUuid,
  entries,
  map,
  mutate,
  type Op,
  type Row,
  rowUuid,
  set,
  type UuidAtom,
} from "../ovsdb/ops.ts";

/** The join-switch address of router number `index` (mesos-router is 1). */
export function joinAddress(index: number): string {
  const join = parseCidr(names.JOIN_SUBNET)!;
  return `${formatIpv4(networkOf(join) + index)}/${join.prefix}`;
}

/** The lowest join index (from 2) that no other gateway router holds. */
export function pickJoinIndex(taken: Map<string, number>, router: string): number {
  const mine = taken.get(router);
  if (mine !== undefined) return mine;
  const used = new Set(taken.values());
  let i = 2;
  while (used.has(i)) i++;
  return i;
}

/** The gateway routers as read: name to join index. */
export function gatewayRouters(snap: NbSnapshot): Map<string, number> {
  return new Map(
    snap.withIds(snap.routers, { [names.Ext.role]: "gateway-router" }).map((r) => [
      String(r.name),
      Number(entries(r.external_ids)[names.Ext.joinIndex]),
    ]),
  );
}

/** Switch port names a host's removal needs to see in the snapshot. */
export function hostPortNames(host: string): string[] {
  return [names.joinToRouterPort(names.gatewayRouter(host))];
}

/** True when the snapshot holds anything of the host. */
export function hostExists(snap: NbSnapshot, host: string): boolean {
  return snap.switch(names.hostSwitch(host)) !== undefined ||
    snap.router(names.gatewayRouter(host)) !== undefined;
}

/**
 * Adds to `plan` the removal of the host's rows: its switch (with its ports),
 * its port on mesos-router, and if it is a gateway its gateway router,
 * external switch, join port and ECMP route; the join switch goes with the
 * last gateway. Returns what it removes, for the report.
 */
export function planHostRemoval(plan: NbPlan, host: string): string[] {
  return [...planSwitchRemoval(plan, host), ...planGatewayRemoval(plan, host)];
}

/** The removal of what node-init made in NB: the host switch and its router port. */
export function planSwitchRemoval(plan: NbPlan, host: string): string[] {
  const snap = plan.snap;
  const removed: string[] = [];
  for (const sw of snap.switches.filter((s) => s.name === names.hostSwitch(host))) {
    plan.ops.push(ls.deleteSwitch(rowUuid(sw)));
    removed.push(`switch ${sw.name}`);
  }
  const rtos = snap.routerPort(names.routerToSwitchPort(host));
  if (rtos) {
    plan.detach(lr.TABLE, "ports", [rowUuid(rtos)]);
    removed.push(`router port ${rtos.name}`);
  }
  planPolicyRemoval(plan, host);
  // The port mappings of its containers (their ports go with the switch).
  const mappings = snap.withIds(snap.balancers, { [names.Ext.host]: host });
  if (mappings.length) {
    plan.ops.push(...lb.deleteLoadBalancers(mappings.map(rowUuid)));
    removed.push(`${mappings.length} port-mapping load balancer(s)`);
  }
  return removed;
}

/** The removal of what gateway-init made in NB (the join switch goes with the last gateway). */
export function planGatewayRemoval(plan: NbPlan, host: string): string[] {
  const snap = plan.snap;
  const removed: string[] = [];
  const cluster = snap.router(names.CLUSTER_ROUTER);
  const grName = names.gatewayRouter(host);
  const gr = snap.router(grName);
  if (!gr) return removed;
  const gateways = gatewayRouters(snap);
  const index = gateways.get(grName);
  planPolicyRemoval(plan, host);
  // Port-mapping load balancers that only this gateway applied go with it.
  const elsewhere = new Set(
    snap.routers.filter((r) => r !== gr).flatMap((r) => refs(r.load_balancer)),
  );
  const orphans = refs(gr.load_balancer).filter((lb) => !elsewhere.has(lb));
  // Shared ones lose this gateway's addresses.
  const ext = entries(gr.external_ids)[names.Ext.externalIp];
  for (const b of snap.balancers) {
    const id = rowUuid(b);
    const mine = Object.keys(entries(b.vips)).filter((v) => v.startsWith(`${ext}:`));
    if (!ext || orphans.includes(id) || !mine.length) continue;
    plan.ops.push(mutate(lb.TABLE, byUuid(id), [["vips", "delete", set(mine)]]));
  }
  plan.ops.push(lr.deleteRouter(rowUuid(gr)));
  if (orphans.length) {
    plan.ops.push(...lb.deleteLoadBalancers(orphans));
    removed.push(`${orphans.length} port-mapping load balancer(s)`);
  }
  removed.push(`gateway router ${grName}`);
  if (cluster && index !== undefined) {
    const hop = joinAddress(index).split("/")[0];
    const routes = snap.routesOf(cluster).filter((r) => r.nexthop === hop);
    plan.detach(lr.TABLE, "static_routes", routes.map(rowUuid));
  }
  const extSwitch = snap.switch(names.externalSwitch(host));
  if (extSwitch) {
    plan.ops.push(ls.deleteSwitch(rowUuid(extSwitch)));
    removed.push(`switch ${extSwitch.name}`);
  }
  const join = snap.switch(names.JOIN_SWITCH);
  const lastGateway = [...gateways.keys()].every((g) => g === grName);
  if (join && lastGateway) {
    plan.ops.push(ls.deleteSwitch(rowUuid(join)));
    const rtoj = snap.routerPort(names.routerToJoinPort(names.CLUSTER_ROUTER));
    if (rtoj) plan.detach(lr.TABLE, "ports", [rowUuid(rtoj)]);
    removed.push(`switch ${names.JOIN_SWITCH}`);
  } else {
    const jtor = snap.port(names.joinToRouterPort(grName));
    if (jtor) plan.detach(ls.TABLE, "ports", [rowUuid(jtor)]);
  }
  return removed;
}

/** The priority of a host's reroute policy on mesos-router. */
export const GATEWAY_POLICY_PRIORITY = 1000;

/**
 * A host that is both a node and a gateway sends its containers' traffic to
 * the outside through its own gateway router: a reroute policy on
 * mesos-router for its subnet. (A policy, not a src-ip static route: a route's
 * precedence follows prefix lengths, so a /24 source route would beat another
 * host's shorter connected subnet.) Hosts without a gateway keep ECMP.
 */
export function planGatewayPolicy(
  plan: NbPlan,
  host: string,
  clusterSubnet: string,
  joinIndex?: number,
  hostSubnet?: string,
): void {
  const snap = plan.snap;
  const cluster = snap.router(names.CLUSTER_ROUTER);
  const subnet = hostSubnet ?? entries(snap.switch(names.hostSwitch(host))?.other_config).subnet;
  const index = joinIndex ?? gatewayRouters(snap).get(names.gatewayRouter(host));
  if (!cluster || !subnet || index === undefined) return;
  plan.ensurePolicy({ uuid: rowUuid(cluster) }, {
    priority: GATEWAY_POLICY_PRIORITY,
    match: `ip4.src == ${subnet} && ip4.dst != ${clusterSubnet}`,
    action: "reroute",
    nexthops: [joinAddress(index).split("/")[0]],
    externalIds: { [names.Ext.role]: "gateway-policy", [names.Ext.host]: host },
  });
}

/** Removes the host's reroute policy from mesos-router. */
function planPolicyRemoval(plan: NbPlan, host: string): void {
  const ids = { [names.Ext.role]: "gateway-policy", [names.Ext.host]: host };
  const mine = plan.snap.withIds(plan.snap.policies, ids);
  if (mine.length) plan.detach(lr.TABLE, "policies", mine.map(rowUuid));
}

/**
 * A new gateway serves the port mappings of the containers that now leave
 * through it: its own host's, and those of hosts without a gateway of their
 * own (`containers`: their logical ports as read, with their mappings in
 * external_ids). Each gets its load balancer (made if missing) with this
 * gateway's address, applied on its router; an address another container
 * holds here is left out and named.
 */
export function planAdoptMappings(
  plan: NbPlan,
  gr: Ref,
  host: string,
  externalIp: string,
  containers: Row[],
): string[] {
  const snap = plan.snap;
  const withGateway = new Set(
    snap.withIds(snap.routers, { [names.Ext.role]: "gateway-router" })
      .map((r) => entries(r.external_ids)[names.Ext.host]),
  );
  const taken = new Map<string, string>();
  for (const b of snap.balancers) {
    for (const v of Object.keys(entries(b.vips))) {
      taken.set(`${b.protocol}/${v}`, entries(b.external_ids)[names.Ext.attachment]);
    }
  }
  const held = "uuid" in gr
    ? new Set(refs(snap.routers.find((r) => rowUuid(r) === gr.uuid)?.load_balancer))
    : new Set<string>();
  const onRouter = (id: UuidAtom) =>
    plan.ops.push(
      mutate(lr.TABLE, lr.routerChildren(gr, "load_balancer").where, [[
        "load_balancer",
        "insert",
        id,
      ]]),
    );
  const skipped: string[] = [];
  let n = 0;
  for (const c of containers) {
    const ids = entries(c.external_ids);
    const owner = ids[names.Ext.host];
    const ip = portAddress(c)?.ip;
    const mappings = readPortMappings(ids[names.Ext.portMappings]);
    if (!ip || !mappings.length || (owner !== host && withGateway.has(owner))) continue;
    const lsp = String(c.name);
    for (const protocol of ["tcp", "udp"] as const) {
      const vips: Record<string, string> = {};
      for (const m of mappings.filter((m) => m.protocol === protocol)) {
        if (m.hostIp && m.hostIp !== externalIp) continue;
        const vip = `${externalIp}:${m.hostPort}`;
        const holder = taken.get(`${protocol}/${vip}`);
        if (holder === lsp) continue;
        if (holder) {
          skipped.push(`${vip}/${protocol} of ${lsp} (held by ${holder})`);
          continue;
        }
        taken.set(`${protocol}/${vip}`, lsp);
        vips[vip] = `${ip}:${m.containerPort}`;
      }
      const name = names.mappingLoadBalancer(lsp, protocol);
      const existing = snap.balancers.find((b) => b.name === name);
      if (existing) {
        const id = rowUuid(existing);
        if (Object.keys(vips).length) {
          plan.ops.push(mutate(lb.TABLE, byUuid(id), [["vips", "insert", map(vips)]]));
        }
        if (!held.has(id)) onRouter(["uuid", id]);
      } else if (Object.keys(vips).length) {
        const uuidName = `adopt${n++}`;
        plan.ops.push(...lb.createLoadBalancer(
          {
            name,
            protocol,
            vips,
            externalIds: {
              [names.Ext.role]: "port-mapping",
              [names.Ext.host]: owner,
              [names.Ext.attachment]: lsp,
            },
          },
          [],
          uuidName,
        ));
        onRouter(["named-uuid", uuidName]);
      }
    }
  }
  return skipped;
}

/**
 * The cluster subnet is one fact, recorded on mesos-router by the first init
 * that names it; a different one later is refused.
 */
export function recordClusterSubnet(router: Row, subnet: Cidr): Op[] {
  const want = networkCidr(subnet);
  const recorded = entries(router.external_ids)[names.Ext.clusterSubnet];
  if (recorded === want) return [];
  if (recorded !== undefined) {
    throw new DriverError(
      `--cluster_subnet=${want} disagrees with the cluster subnet ${recorded} recorded on ${names.CLUSTER_ROUTER}`,
    );
  }
  return [
    mutate(lr.TABLE, [["_uuid", "==", ["uuid", rowUuid(router)]]], [[
      "external_ids",
      "insert",
      map({ [names.Ext.clusterSubnet]: want }),
    ]]),
  ];
}

/**
 * A system-id names OVN objects (`mesos-<id>`, `<id>_agent`, `GR_<id>`): it
 * must be a plain name, and not one that collides with the cluster's own.
 */
export function checkSystemId(id: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}$/.test(id)) {
    throw new DriverError(
      `this host's system-id "${id}" may only hold A-Z a-z 0-9 _ . - (it names OVN objects)`,
    );
  }
  if (names.hostSwitch(id) === names.JOIN_SWITCH || names.hostSwitch(id) === names.CLUSTER_ROUTER) {
    throw new DriverError(
      `this host's system-id "${id}" would name its switch like the cluster's own ${
        names.hostSwitch(id)
      }`,
    );
  }
}
