/**
 * Every name of an OVN/OVS object that ovn-mesos makes, and every
 * external_ids key it writes, derives from this module. Change a name here
 * and nowhere else.
 */

/** The distributed logical router every host switch hangs off. */
export const CLUSTER_ROUTER = "mesos-router";
/** The switch linking `mesos-router` to the gateway routers. */
export const JOIN_SWITCH = "mesos-join";
/** The network the join switch numbers its ports from (one address per router). */
export const JOIN_SUBNET = "100.64.0.0/16";
/** The integration bridge ovn-controller manages. */
export const INTEGRATION_BRIDGE = "br-int";
/** The OVS internal interface of a host's own port on the overlay. */
export const HOST_INTERFACE = "ovn-mesos";
/** The CNI plugin's executable name. */
export const PLUGIN_TYPE = "ovn-mesos-plugin";
/** The CNI network name when node-init is not told another. */
export const DEFAULT_NETWORK = "ovn";
/** The nftables table (family ip) that holds port mappings at the host's own addresses. */
export const NFT_TABLE = "ovn-mesos";
/** The physical network name that localnet ports and bridge mappings share. */
export const PHYSICAL_NETWORK = "mesos-external";

/** external_ids keys: who made a row and for what. */
export const Ext = {
  /** What the row is, one of {@link Role}. */
  role: "ovn-mesos/role",
  /** The OVS system-id of the host the row belongs to. */
  host: "ovn-mesos/host",
  /** The CNI network name. */
  network: "ovn-mesos/network",
  containerId: "ovn-mesos/container-id",
  ifname: "ovn-mesos/ifname",
  /** The ovn-mesos version that made the row. */
  version: "ovn-mesos/version",
  /** The join-switch address index of a gateway router. */
  joinIndex: "ovn-mesos/join-index",
  /** On a container's logical port and load balancers: its port mappings (`tcp:8080:80,…`). */
  portMappings: "ovn-mesos/port-mappings",
  /** On a gateway router: its external address (the address of its port mappings). */
  externalIp: "ovn-mesos/external-ip",
  /** On a load balancer: the logical port whose mappings it carries. */
  attachment: "ovn-mesos/attachment",
  /** On mesos-router: the cluster subnet, recorded by the first init that names it. */
  clusterSubnet: "ovn-mesos/cluster-subnet",
  /** On the host interface: the CNI configuration file node-init wrote. */
  configFile: "ovn-mesos/config-file",
  /** On the host interface: the plugin link node-init placed. */
  pluginLink: "ovn-mesos/plugin-link",
  /** On a gateway's OVS bridge: the physical interface it holds. */
  physicalInterface: "ovn-mesos/interface",
  /** On a gateway's OVS bridge: the interface's addresses before gateway-init took them (JSON). */
  originalAddresses: "ovn-mesos/original-addresses",
} as const;

/** Values of the {@link Ext.role} key. */
export type Role =
  | "cluster-router"
  | "host-switch"
  | "host-port"
  | "master-port"
  | "container-port"
  | "join-switch"
  | "gateway-router"
  | "external-switch"
  | "gateway-policy"
  | "port-mapping";

/** The logical switch of one host. */
export const hostSwitch = (systemId: string): string => `mesos-${systemId}`;
/** `mesos-router`'s port facing a host switch. */
export const routerToSwitchPort = (systemId: string): string => `rtos-${systemId}`;
/** A host switch's port facing `mesos-router`. */
export const switchToRouterPort = (systemId: string): string => `stor-${systemId}`;
/** The host's own port on the overlay, on an agent host. */
export const agentPort = (systemId: string): string => `${systemId}_agent`;
/** The first master's port name (what `ovn-nbctl list Logical-Switch-Port master` finds). */
export const MASTER_PORT = "master";
/** Further masters' port names (Mesos HA). */
export const extraMasterPort = (systemId: string): string => `${systemId}_master`;

/** The logical switch port of a container's interface on a network. */
export const containerPort = (network: string, containerId: string, ifname: string): string =>
  `${network}/${containerId}/${ifname}`;

/** Gateway router of a gateway host. */
export const gatewayRouter = (systemId: string): string => `GR_${systemId}`;
/** A router's port on the join switch. */
export const routerToJoinPort = (router: string): string => `rtoj-${router}`;
/** The join switch's port facing a router. */
export const joinToRouterPort = (router: string): string => `jtor-${router}`;
/** External switch of a gateway host. */
export const externalSwitch = (systemId: string): string => `ext_${systemId}`;
/** The gateway router's port on the external switch. */
export const routerToExternalPort = (systemId: string): string => `rtoe-GR_${systemId}`;
/** The external switch's port facing the gateway router. */
export const externalToRouterPort = (systemId: string): string => `etor-GR_${systemId}`;
/** The external switch's localnet port. */
export const localnetPort = (systemId: string): string => `ext_${systemId}_localnet`;
/** A container's load balancer on a gateway router, per protocol. */
export const mappingLoadBalancer = (lsp: string, protocol: string): string => `${lsp}/${protocol}`;

/** The OVS bridge that holds a gateway host's physical interface. */
export const externalBridge = (iface: string): string => `br-${iface}`.slice(0, 15);

/**
 * A deterministic, locally administered MAC for a router port, made from its
 * IPv4 address (dynamic MACs come from NB_Global's mac_prefix instead).
 *
 * @example
 * ```ts
 * import { routerMac } from "./names.ts";
 * if (routerMac("172.16.1.1") !== "0a:58:ac:10:01:01") throw new Error();
 * ```
 */
export function routerMac(ipv4: string): string {
  const hex = ipv4.split(".").map((o) => Number(o).toString(16).padStart(2, "0"));
  return `0a:58:${hex.join(":")}`;
}

/**
 * The host end of a container's veth: at most 15 characters, unique per
 * (network, container, interface), the same every time.
 *
 * @example
 * ```ts
 * import { hostVethName } from "./names.ts";
 * if (!/^ovm[0-9a-f]{12}$/.test(hostVethName("ovn", "c1", "eth0"))) throw new Error();
 * ```
 */
export function hostVethName(network: string, containerId: string, ifname: string): string {
  return `ovm${fnv1a64(containerPort(network, containerId, ifname)).slice(0, 12)}`;
}

/**
 * What a host veth is renamed to when DEL retires it (down, out of OVS, its
 * deletion under way in the background): the same hash, another prefix, so an
 * ADD of the same attachment meanwhile neither collides with it nor mistakes it
 * for a live one, and a sweep finds the ones whose deletion never finished.
 *
 * @example
 * ```ts
 * import { retiredVethName, RETIRED_VETH } from "./names.ts";
 * if (retiredVethName("ovm0123456789ab") !== "ovx0123456789ab") throw new Error();
 * if (!RETIRED_VETH.test("ovx0123456789ab")) throw new Error();
 * ```
 */
export function retiredVethName(hostVeth: string): string {
  return `ovx${hostVeth.slice(3)}`;
}

/** The names {@link retiredVethName} gives. */
export const RETIRED_VETH = /^ovx[0-9a-f]{12}$/;

/** FNV-1a, 64 bits, as hex: a stable, dependency-free hash for names. */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}
