/**
 * gateway-init: South-North traffic through this host. A gateway router bound
 * to this chassis joins `mesos-router` over the join switch and reaches the
 * outside through an external switch that holds the physical interface;
 * containers leave SNATed to the interface's address. Safe to run again.
 */
import { type Flags, type FlagSpec, requiredFlag, requireFlags } from "../args.ts";
import { DriverError, UsageError } from "../errors.ts";
import {
  type Cidr,
  containsIp,
  formatCidr,
  formatIpv4,
  networkCidr,
  parseCidr,
  parseIpv4,
} from "../net/cidr.ts";
import { ipBatch, ipJson } from "../net/ip.ts";
import * as names from "../names.ts";
import { NbPlan } from "../ovn/nb/plan.ts";
import { NbSnapshot } from "../ovn/nb/snapshot.ts";
import { applyToSwitch } from "../ovs/apply.ts";
import * as bridge from "../ovs/bridge.ts";
import { setExternalIds } from "../ovs/open_vswitch.ts";
import * as port from "../ovs/port.ts";
import { applyGuarded } from "../ovsdb/guarded.ts";
import * as lsp from "../ovn/nb/logical_switch_port.ts";
import type { Database } from "../ovsdb/client.ts";
import { byIds, entries, type Op, type Row, rowUuid, select } from "../ovsdb/ops.ts";
import { VERSION } from "../version.ts";
import {
  checkSystemId,
  gatewayRouters,
  joinAddress,
  pickJoinIndex,
  planAdoptMappings,
  planGatewayPolicy,
  planGatewayRemoval,
  recordClusterSubnet,
} from "./host_rows.ts";
import type { Context, Outcome, Subcommand } from "./subcommand.ts";

const flags: FlagSpec[] = [
  {
    name: "cluster-subnet",
    value: "CIDR",
    help: "the whole cluster's subnet, e.g. 172.16.0.0/16 (required)",
  },
  {
    name: "eth1-ip",
    value: "IP/LEN",
    help: "the physical interface's address, which containers are SNATed to (required)",
  },
  { name: "eth1-gw-ip", value: "IP[/LEN]", help: "the next hop towards the outside (required)" },
  {
    name: "interface",
    value: "NAME",
    help: 'the physical interface to move into OVS (default "eth1")',
  },
];

/** The checked inputs of gateway-init. */
export interface GatewayInitInput {
  clusterSubnet: Cidr;
  externalIp: Cidr;
  nextHop: string;
  iface: string;
}

/** Checks the flags without touching anything. */
export function parseGatewayInit(flags: Flags): GatewayInitInput {
  requireFlags(flags, ["cluster-subnet", "eth1-ip", "eth1-gw-ip"]);
  const need = (name: string) => requiredFlag(flags, name);
  const clusterSubnet = parseCidr(need("cluster-subnet"));
  if (!clusterSubnet) {
    throw new UsageError(`--cluster_subnet=${flags["cluster-subnet"]} is not an IPv4 CIDR`);
  }
  const externalIp = parseCidr(need("eth1-ip"));
  if (!externalIp) {
    throw new UsageError(
      `--eth1_ip=${flags["eth1-ip"]} is not an IPv4 address with prefix (A.B.C.D/N)`,
    );
  }
  const gwText = need("eth1-gw-ip");
  const gw = parseIpv4(gwText.split("/")[0]);
  if (gw === undefined || (gwText.includes("/") && !parseCidr(gwText))) {
    throw new UsageError(`--eth1_gw_ip=${gwText} is not an IPv4 address`);
  }
  if (!containsIp(externalIp, gw)) {
    throw new UsageError(
      `--eth1_gw_ip=${gwText} is not on the network of --eth1_ip=${formatCidr(externalIp)}`,
    );
  }
  if (gw === externalIp.ip) throw new UsageError(`--eth1_gw_ip must differ from --eth1_ip`);
  if (containsIp(clusterSubnet, externalIp.ip)) {
    throw new UsageError(`--eth1_ip=${formatCidr(externalIp)} lies inside the cluster subnet`);
  }
  const iface = (flags.interface as string | undefined) ?? "eth1";
  if (!/^[A-Za-z0-9_.\-]{1,15}$/.test(iface)) {
    throw new UsageError(`--interface=${iface} is not an interface name`);
  }
  return { clusterSubnet, externalIp, nextHop: formatIpv4(gw), iface };
}

/** An interface as `ip -json addr` shows it. */
interface IpLink {
  ifname: string;
  operstate?: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** Where the physical interface is now. */
interface InterfaceState {
  /** Already in our bridge (an earlier run moved it). */
  moved: boolean;
  /** Its IPv4 addresses now, to give back on node-remove. */
  addresses: string[];
}

/** Runs gateway-init: checks, NB in one guarded transaction, then this host's OVS and kernel. */
export async function gatewayInit(ctx: Context, flags: Flags): Promise<Outcome> {
  const input = parseGatewayInit(flags);
  const local = await ctx.localHost();
  const host = local.systemId;
  checkSystemId(host);
  const mapped = (local.bridgeMappings ?? "").split(",").map((m) => m.trim())
    .find((m) => m.startsWith(`${names.PHYSICAL_NETWORK}:`))?.split(":")[1];
  if (mapped && mapped !== names.externalBridge(input.iface)) {
    throw new DriverError(
      `host ${host} already reaches the outside through OVS bridge ${mapped}; run node-remove first to use --interface=${input.iface}`,
    );
  }
  const state = await checkInterface(ctx, input.iface);
  const nb = await ctx.nb();
  const portNames = [
    names.joinToRouterPort(names.CLUSTER_ROUTER),
    names.joinToRouterPort(names.gatewayRouter(host)),
    names.externalToRouterPort(host),
    names.localnetPort(host),
  ];
  const applied = await applyGuarded(
    nb,
    async () => ({
      snap: await NbSnapshot.read(nb, portNames),
      containers: await mappedContainers(nb),
    }),
    ({ snap, containers }) => planGatewayInit(snap, input, host, containers),
  );
  const br = names.externalBridge(input.iface);
  try {
    await moveInterface(ctx, input.iface, br, state, local);
  } catch (e) {
    if (applied.created.includes(`router ${names.gatewayRouter(host)}`)) {
      await applyGuarded(nb, () => NbSnapshot.read(nb, portNames), (snap) => {
        const plan = new NbPlan(snap);
        planGatewayRemoval(plan, host);
        return { ops: plan.ops, done: () => undefined };
      }).catch(() => {});
    }
    throw e;
  }
  const extIp = formatIpv4(input.externalIp.ip);
  const snat = { from: networkCidr(input.clusterSubnet), to: extIp };
  return {
    text: [
      `gateway router ${applied.router} on ${host}: join ${applied.join}, external ${
        formatCidr(input.externalIp)
      } via ${input.nextHop}`,
      `SNAT ${snat.from} -> ${snat.to}; ${input.iface} is in OVS bridge ${br}`,
      ...(applied.skipped.length
        ? [`port mappings not served here (their address is taken): ${applied.skipped.join(", ")}`]
        : []),
    ].join("\n"),
    json: {
      host,
      router: applied.router,
      joinAddress: applied.join,
      externalAddress: formatCidr(input.externalIp),
      nextHop: input.nextHop,
      snat,
      interface: input.iface,
      bridge: br,
      ...(applied.skipped.length ? { skippedMappings: applied.skipped } : {}),
    },
  };
}

/** Containers' logical ports (role container-port): their addresses and mappings. */
async function mappedContainers(nb: Database): Promise<Row[]> {
  const [rows] = await nb.read([
    select(lsp.TABLE, byIds({ [names.Ext.role]: "container-port" }), [
      "name",
      "addresses",
      "dynamic_addresses",
      "external_ids",
    ]),
  ]);
  return rows.filter((r) => entries(r.external_ids)[names.Ext.portMappings]);
}

/** The interface must exist, and be in no OVS bridge but ours. */
async function checkInterface(ctx: Context, iface: string): Promise<InterfaceState> {
  const ovs = await ctx.ovs();
  const br = names.externalBridge(iface);
  const [[p], bridges] = await ovs.read([port.selectPortByName(iface), bridge.selectBridge(br)]);
  if (p) {
    const [[holder]] = await ovs.read([{
      op: "select",
      table: bridge.TABLE,
      where: [["ports", "includes", ["uuid", rowUuid(p)]]],
      columns: ["name"],
    }]);
    if (holder?.name !== br || !bridges.length) {
      throw new UsageError(
        `--interface=${iface} is already a port of OVS bridge ${
          holder?.name ?? "?"
        }: name a physical interface`,
      );
    }
    return { moved: true, addresses: [] };
  }
  const links = await ipJson<IpLink[]>(["addr", "show"]);
  const link = links.find((l) => l.ifname === iface);
  if (!link) throw new UsageError(`--interface=${iface}: no such interface on this host`);
  return {
    moved: false,
    addresses: (link.addr_info ?? []).filter((a) => a.family === "inet").map((a) =>
      `${a.local}/${a.prefixlen}`
    ),
  };
}

/** The NB plan: the join switch, this host's gateway router and external switch, routes, SNAT. */
export function planGatewayInit(
  snap: NbSnapshot,
  input: GatewayInitInput,
  host: string,
  containers: Row[] = [],
) {
  const cluster = snap.router(names.CLUSTER_ROUTER);
  if (!cluster) {
    throw new DriverError(
      `logical router ${names.CLUSTER_ROUTER} does not exist: run plugin-init first`,
    );
  }
  const grName = names.gatewayRouter(host);
  const extCidr = formatCidr(input.externalIp);
  const extIp = formatIpv4(input.externalIp.ip);
  const existing = snap.router(grName);
  if (existing) {
    const rtoe = snap.routerPort(names.routerToExternalPort(host));
    const hop = snap.routesOf(existing).find((r) => r.ip_prefix === "0.0.0.0/0")?.nexthop;
    const have = `--eth1_ip=${rtoe ? String(rtoe.networks) : "?"} --eth1_gw_ip=${hop ?? "?"}`;
    if (have !== `--eth1_ip=${extCidr} --eth1_gw_ip=${input.nextHop}`) {
      throw new DriverError(
        `host ${host} is already a gateway with ${have}; run node-remove first to change it`,
      );
    }
  }
  const ops: Op[] = [...snap.guards(), ...recordClusterSubnet(cluster, input.clusterSubnet)];
  const index = pickJoinIndex(gatewayRouters(snap), grName);
  if (index > 65534) throw new DriverError(`no join address left in ${names.JOIN_SUBNET}`);
  const joinRtr = joinAddress(1);
  const joinGr = joinAddress(index);
  const ids = (role: names.Role, extra: Record<string, string> = {}) => ({
    [names.Ext.role]: role,
    [names.Ext.host]: host,
    [names.Ext.version]: VERSION,
    ...extra,
  });
  const plan = new NbPlan(snap);
  const clusterRef = { uuid: rowUuid(cluster) };
  // The join switch and mesos-router's port on it (shared by every gateway).
  const join = plan.ensureSwitch({
    name: names.JOIN_SWITCH,
    externalIds: { [names.Ext.role]: "join-switch", [names.Ext.version]: VERSION },
  });
  plan.link({
    router: clusterRef,
    switch: join,
    routerPort: {
      name: names.routerToJoinPort(names.CLUSTER_ROUTER),
      mac: names.routerMac(joinRtr.split("/")[0]),
      networks: [joinRtr],
    },
    switchPort: names.joinToRouterPort(names.CLUSTER_ROUTER),
  });
  // This host's gateway router, pinned to its chassis, on the join switch.
  // lb_force_snat_ip: a port mapping's traffic reaches the container from the
  // gateway router's own join address, so the reply returns through the same
  // gateway even when mesos-router spreads traffic over several (ECMP).
  const gr = plan.ensureRouter({
    name: grName,
    options: { chassis: host, lb_force_snat_ip: "router_ip" },
    externalIds: ids("gateway-router", {
      [names.Ext.joinIndex]: String(index),
      [names.Ext.physicalInterface]: input.iface,
      [names.Ext.externalIp]: extIp,
    }),
  });
  plan.link({
    router: gr,
    switch: join,
    routerPort: {
      name: names.routerToJoinPort(grName),
      mac: names.routerMac(joinGr.split("/")[0]),
      networks: [joinGr],
    },
    switchPort: names.joinToRouterPort(grName),
  });
  // The external switch, with the physical network behind its localnet port.
  const ext = plan.ensureSwitch({
    name: names.externalSwitch(host),
    externalIds: ids("external-switch"),
  });
  plan.link({
    router: gr,
    switch: ext,
    routerPort: {
      name: names.routerToExternalPort(host),
      mac: names.routerMac(extIp),
      networks: [extCidr],
    },
    switchPort: names.externalToRouterPort(host),
  });
  plan.ensureSwitchPort(ext, {
    name: names.localnetPort(host),
    type: "localnet",
    addresses: ["unknown"],
    options: { network_name: names.PHYSICAL_NETWORK },
  });
  // Routes: containers out through the gateways (ECMP), replies back to mesos-router.
  plan.ensureRoute(gr, {
    prefix: networkCidr(input.clusterSubnet),
    nexthop: joinRtr.split("/")[0],
  });
  plan.ensureRoute(gr, { prefix: "0.0.0.0/0", nexthop: input.nextHop });
  plan.ensureRoute(clusterRef, { prefix: "0.0.0.0/0", nexthop: joinGr.split("/")[0] });
  plan.ensureNat(gr, {
    type: "snat",
    externalIp: extIp,
    logicalIp: networkCidr(input.clusterSubnet),
  });
  planGatewayPolicy(plan, host, networkCidr(input.clusterSubnet), index);
  const skipped = planAdoptMappings(plan, gr, host, extIp, containers);
  return {
    ops: [...ops, ...plan.ops],
    done: () => ({ router: grName, join: joinGr, created: plan.created, skipped }),
  };
}

/**
 * The interface into its own OVS bridge, mapped to the physical network;
 * its addresses (recorded on the bridge, to give back) now belong to the
 * gateway router.
 */
async function moveInterface(
  ctx: Context,
  iface: string,
  br: string,
  state: InterfaceState,
  local: { bridgeMappings?: string; datapathType?: string },
): Promise<void> {
  const ovs = await ctx.ovs();
  const mappings = mergeBridgeMapping(local.bridgeMappings, names.PHYSICAL_NETWORK, br);
  const ops: Op[] = [];
  if (!state.moved) {
    const [[existing]] = await ovs.read([bridge.selectBridge(br)]);
    const record = {
      [names.Ext.physicalInterface]: iface,
      [names.Ext.originalAddresses]: JSON.stringify(state.addresses),
    };
    if (!existing) {
      ops.push(
        ...bridge.createBridge(br, { datapathType: local.datapathType, externalIds: record }, "br"),
      );
      ops.push(...port.addPort({ name: iface }, [["_uuid", "==", ["named-uuid", "br"]]], "phys"));
    } else {
      ops.push(
        ...port.addPort({ name: iface }, bridge.bridgeWhere({ uuid: rowUuid(existing) }), "phys"),
      );
    }
  }
  if (mappings !== local.bridgeMappings) {
    ops.push(...setExternalIds({ "ovn-bridge-mappings": mappings }));
  }
  if (ops.length) {
    try {
      await applyToSwitch(ovs, ops);
    } catch (e) {
      throw new DriverError(
        `cannot move --interface=${iface} into OVS bridge ${br}: ${(e as Error).message}`,
      );
    }
  }
  if (!state.moved) {
    const cmds = [["addr", "flush", "dev", iface], ["link", "set", "dev", iface, "up"]];
    if (local.datapathType === "netdev") cmds.push(["link", "set", "dev", iface, "arp", "off"]);
    try {
      await ipBatch(cmds);
    } catch (e) {
      // Nothing half-made: the interface goes back out of OVS, the mapping back as it was.
      const [[made], [held]] = await ovs.read([
        bridge.selectBridge(br),
        port.selectPortByName(iface),
      ]);
      await applyToSwitch(ovs, [
        ...(held ? port.removePorts([rowUuid(held)]) : []),
        ...(made && entries(made.external_ids)[names.Ext.physicalInterface] === iface
          ? bridge.deleteBridge(rowUuid(made))
          : []),
        ...setExternalIds({ "ovn-bridge-mappings": local.bridgeMappings || undefined }),
      ]).catch(() => {});
      throw new DriverError(`cannot take over --interface=${iface}: ${(e as Error).message}`);
    }
  }
}

/**
 * Adds `network:bridge` to an `ovn-bridge-mappings` value, keeping the others.
 *
 * @example
 * ```ts
 * import { mergeBridgeMapping } from "./gateway_init.ts";
 * if (mergeBridgeMapping("a:br-a", "x", "br-x") !== "a:br-a,x:br-x") throw new Error();
 * ```
 */
export function mergeBridgeMapping(
  current: string | undefined,
  network: string,
  bridge: string,
): string {
  const kept = (current ?? "").split(",").map((m) => m.trim()).filter((m) =>
    m && !m.startsWith(`${network}:`)
  );
  return [...kept, `${network}:${bridge}`].join(",");
}

export const gatewayInitCommand: Subcommand = {
  name: "gateway-init",
  summary: "make this host a gateway for South-North traffic",
  flags,
  run: gatewayInit,
};
