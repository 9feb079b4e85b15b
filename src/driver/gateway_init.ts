/**
 * gateway-init: South-North traffic through this host. A gateway router bound
 * to this chassis joins `mesos-router` over the join switch and reaches the
 * outside through an external switch that holds the physical interface;
 * containers leave SNATed to the interface's address. Safe to run again.
 */
import { type Flags, type FlagSpec, requiredFlag } from "../args.ts";
import { DriverError, UsageError } from "../errors.ts";
import {
  type Cidr,
  containsIp,
  formatCidr,
  formatIpv4,
  networkCidr,
  networkOf,
  parseCidr,
  parseIpv4,
} from "../net/cidr.ts";
import { ipBatch, ipJson } from "../net/ip.ts";
import * as names from "../names.ts";
import { findCommand, nbctl } from "../ovn/nbctl.ts";
import { externalIds, parseJsonTable, quote } from "../ovn/ovsdb_value.ts";
import { vsctl } from "../ovn/vsctl.ts";
import { VERSION } from "../version.ts";
import type { Outcome } from "./cli.ts";
import type { Context } from "./context.ts";

export const gatewayInitFlags: FlagSpec[] = [
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

/** Runs gateway-init. */
export async function gatewayInit(ctx: Context, flags: Flags): Promise<Outcome> {
  const input = parseGatewayInit(flags);
  const local = await ctx.localHost();
  const nb = await ctx.nb();
  const host = local.systemId;
  const gr = names.gatewayRouter(host);
  const bridge = names.externalBridge(input.iface);

  const [routerOut, gatewaysOut] = await nbctl(nb, [
    ["--if-exists", "get", "Logical_Router", names.CLUSTER_ROUTER, "_uuid"],
    findCommand("Logical_Router", ["name", "external_ids"], [
      `external_ids:${quote(names.Ext.role)}=${quote("gateway-router")}`,
    ]),
  ], { timeoutSec: ctx.timeoutSec });
  if (!routerOut.trim()) {
    throw new DriverError(
      `logical router ${names.CLUSTER_ROUTER} does not exist: run plugin-init first`,
    );
  }
  const taken = new Map(
    parseJsonTable(gatewaysOut).map((r) => [
      String(r.name),
      Number((r.external_ids as Record<string, string>)[names.Ext.joinIndex]),
    ]),
  );
  const index = pickJoinIndex(taken, gr);
  if (index > 65534) throw new DriverError(`no join address left in ${names.JOIN_SUBNET}`);

  // The physical interface: present as a link now, or already moved into OVS by an earlier run.
  const [inOvs] = await vsctl([["--if-exists", "get", "Interface", input.iface, "name"]], {
    timeoutSec: ctx.timeoutSec,
  });
  const alreadyMoved = inOvs.trim() !== "";
  if (!alreadyMoved) {
    const links = await ipJson<{ ifname: string }[]>(["link", "show"]);
    if (!links.some((l) => l.ifname === input.iface)) {
      throw new DriverError(
        `interface ${input.iface} does not exist on this host (see --interface)`,
      );
    }
  }

  const joinRtr = joinAddress(1);
  const joinGr = joinAddress(index);
  const extIp = formatIpv4(input.externalIp.ip);
  const ids = (role: names.Role, extra: Record<string, string> = {}) =>
    externalIds({
      [names.Ext.role]: role,
      [names.Ext.host]: host,
      [names.Ext.version]: VERSION,
      ...extra,
    });
  const routerPort = (sw: string, lsp: string, lrp: string) => [
    ["--may-exist", "lsp-add", sw, lsp],
    [
      "set",
      "Logical_Switch_Port",
      lsp,
      "type=router",
      "addresses=router",
      `options:router-port=${quote(lrp)}`,
    ],
  ];
  const rtojCluster = names.routerToJoinPort(names.CLUSTER_ROUTER);
  const rtojGr = names.routerToJoinPort(gr);
  const ext = names.externalSwitch(host);
  const rtoe = names.routerToExternalPort(host);
  const localnet = names.localnetPort(host);
  await nbctl(nb, [
    // The join switch and mesos-router's port on it (shared by every gateway).
    ["--may-exist", "ls-add", names.JOIN_SWITCH],
    [
      "set",
      "Logical_Switch",
      names.JOIN_SWITCH,
      ...externalIds({ [names.Ext.role]: "join-switch" }),
    ],
    [
      "--may-exist",
      "lrp-add",
      names.CLUSTER_ROUTER,
      rtojCluster,
      names.routerMac(joinRtr.split("/")[0]),
      joinRtr,
    ],
    ...routerPort(names.JOIN_SWITCH, names.joinToRouterPort(names.CLUSTER_ROUTER), rtojCluster),
    // This host's gateway router, pinned to its chassis.
    ["--may-exist", "lr-add", gr],
    [
      "set",
      "Logical_Router",
      gr,
      `options:chassis=${quote(host)}`,
      ...ids("gateway-router", { [names.Ext.joinIndex]: String(index) }),
    ],
    ["--may-exist", "lrp-add", gr, rtojGr, names.routerMac(joinGr.split("/")[0]), joinGr],
    ...routerPort(names.JOIN_SWITCH, names.joinToRouterPort(gr), rtojGr),
    // The external switch with the physical network behind its localnet port.
    ["--may-exist", "ls-add", ext],
    ["set", "Logical_Switch", ext, ...ids("external-switch")],
    ["--may-exist", "lrp-add", gr, rtoe, names.routerMac(extIp), formatCidr(input.externalIp)],
    ...routerPort(ext, names.externalToRouterPort(host), rtoe),
    ["--may-exist", "lsp-add", ext, localnet],
    [
      "set",
      "Logical_Switch_Port",
      localnet,
      "type=localnet",
      "addresses=unknown",
      `options:network_name=${quote(names.PHYSICAL_NETWORK)}`,
    ],
    // Routes: containers out through this gateway, replies back to mesos-router.
    ["--may-exist", "lr-route-add", gr, networkCidr(input.clusterSubnet), joinRtr.split("/")[0]],
    ["--may-exist", "lr-route-add", gr, "0.0.0.0/0", input.nextHop],
    [
      "--may-exist",
      "--ecmp",
      "lr-route-add",
      names.CLUSTER_ROUTER,
      "0.0.0.0/0",
      joinGr.split("/")[0],
    ],
    ["--may-exist", "lr-nat-add", gr, "snat", extIp, networkCidr(input.clusterSubnet)],
  ], { timeoutSec: ctx.timeoutSec });

  // Locally: the interface into its own OVS bridge, mapped to the physical network.
  const mappings = mergeBridgeMapping(local.bridgeMappings, names.PHYSICAL_NETWORK, bridge);
  await vsctl([
    ["--may-exist", "add-br", bridge],
    ...(local.datapathType
      ? [["set", "Bridge", bridge, `datapath_type=${local.datapathType}`]]
      : []),
    ["--may-exist", "add-port", bridge, input.iface],
    ["set", "Open_vSwitch", ".", `external_ids:ovn-bridge-mappings=${quote(mappings)}`],
  ], { timeoutSec: ctx.timeoutSec });
  if (!alreadyMoved) {
    // The interface's address now belongs to the gateway router (operators are warned).
    const cmds = [["addr", "flush", "dev", input.iface], ["link", "set", "dev", input.iface, "up"]];
    if (local.datapathType === "netdev") {
      cmds.push(["link", "set", "dev", input.iface, "arp", "off"]);
    }
    await ipBatch(cmds);
  }
  const facts = {
    host,
    router: gr,
    joinAddress: joinGr,
    externalAddress: formatCidr(input.externalIp),
    nextHop: input.nextHop,
    snat: `${networkCidr(input.clusterSubnet)} -> ${extIp}`,
    interface: input.iface,
    bridge,
  };
  return {
    text: [
      `gateway router ${gr} on ${host}: join ${joinGr}, external ${
        formatCidr(input.externalIp)
      } via ${input.nextHop}`,
      `SNAT ${
        networkCidr(input.clusterSubnet)
      } -> ${extIp}; ${input.iface} is in OVS bridge ${bridge}`,
    ].join("\n"),
    json: facts,
  };
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
