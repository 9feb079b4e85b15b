/**
 * node-init: this host's logical switch and subnet, its link to
 * `mesos-router`, the host's own port on the overlay (the address Mesos
 * binds to), and the CNI configuration file. Safe to run again.
 */
import { type Flags, type FlagSpec, requiredFlag } from "../args.ts";
import { DriverError, UsageError } from "../errors.ts";
import {
  broadcastOf,
  type Cidr,
  containsCidr,
  containsIp,
  formatIpv4,
  networkCidr,
  networkOf,
  overlaps,
  parseCidr,
  parseIpv4,
} from "../net/cidr.ts";
import { ipBatch, ipJson } from "../net/ip.ts";
import * as names from "../names.ts";
import { findCommand, nbctl } from "../ovn/nbctl.ts";
import { externalIds, parseJsonTable, parseMap, parseString, quote } from "../ovn/ovsdb_value.ts";
import { vsctl } from "../ovn/vsctl.ts";
import { VERSION } from "../version.ts";
import type { Outcome } from "./cli.ts";
import type { ConfigFile } from "../cni/config.ts";
import { writeCniConfig } from "./cni_config.ts";
import type { Context, LocalHost } from "./context.ts";

export const nodeInitFlags: FlagSpec[] = [
  { name: "subnet", value: "CIDR", help: "this host's subnet, e.g. 172.16.1.0/24 (required)" },
  {
    name: "cluster-subnet",
    value: "CIDR",
    help: "the whole cluster's subnet, e.g. 172.16.0.0/16 (required)",
  },
  {
    name: "gateway",
    value: "IP/LEN",
    help: "this host's router port address, e.g. 172.16.1.1/24 (required)",
  },
  {
    name: "config-dir",
    value: "DIR",
    help: "absolute directory for the CNI configuration file (required)",
  },
  {
    name: "network-name",
    value: "NAME",
    help: `the CNI network name Mesos tasks use (default "${names.DEFAULT_NETWORK}")`,
  },
  { name: "plugins-dir", value: "DIR", help: "also place ovn-mesos-plugin in this directory" },
  {
    name: "master",
    help: `name the host port "${names.MASTER_PORT}" (further masters get <system-id>_master)`,
  },
  {
    name: "mtu",
    value: "BYTES",
    help: "container MTU (default: the underlay's MTU less the Geneve overhead)",
  },
  { name: "dns-nameservers", value: "IP[,IP]", help: "name servers handed to containers" },
  {
    name: "log-file",
    value: "FILE",
    help: "the plugin's log file (default /var/log/ovn-mesos-plugin.log)",
  },
  {
    name: "bind-timeout",
    value: "SECONDS",
    help: "how long ADD waits for a port to be bound (default 30)",
  },
  {
    name: "run-dir",
    value: "DIR",
    help: "where the plugin keeps its lock files (default /run/ovn-mesos)",
  },
];

/** Geneve over IPv4: outer Ethernet 14 + IPv4 20 + UDP 8 + Geneve 8 + OVN's option 8. */
export const GENEVE_OVERHEAD = 58;

/** The checked inputs of node-init. */
export interface NodeInitInput {
  subnet: Cidr;
  clusterSubnet: Cidr;
  gateway: Cidr;
  configDir: string;
  network: string;
  pluginsDir?: string;
  master: boolean;
  mtu?: number;
  dnsNameservers?: string[];
  logFile: string;
  bindTimeout: number;
  runDir?: string;
}

/** Checks the flags without touching anything; every problem is a UsageError. */
export function parseNodeInit(flags: Flags): NodeInitInput {
  const need = (name: string) => requiredFlag(flags, name);
  const cidr = (k: string) => {
    const c = parseCidr(need(k));
    if (!c) {
      throw new UsageError(
        `--${k.replaceAll("-", "_")}=${flags[k]} is not an IPv4 CIDR (A.B.C.D/N)`,
      );
    }
    return c;
  };
  const subnet = cidr("subnet");
  const clusterSubnet = cidr("cluster-subnet");
  const gwText = need("gateway");
  const gwIp = parseIpv4(gwText.split("/")[0]);
  const gateway = gwText.includes("/")
    ? parseCidr(gwText)
    : gwIp === undefined
    ? undefined
    : { ip: gwIp, prefix: subnet.prefix };
  if (!gateway) throw new UsageError(`--gateway=${gwText} is not an IPv4 address (A.B.C.D/N)`);
  if (networkOf(subnet) !== subnet.ip) {
    throw new UsageError(
      `--subnet=${flags.subnet} has host bits set (did you mean ${networkCidr(subnet)}?)`,
    );
  }
  if (!containsCidr(clusterSubnet, subnet)) {
    throw new UsageError(
      `--subnet=${networkCidr(subnet)} is not inside --cluster_subnet=${
        networkCidr(clusterSubnet)
      }`,
    );
  }
  if (gateway.prefix !== subnet.prefix || !containsIp(subnet, gateway.ip)) {
    throw new UsageError(
      `--gateway=${gwText} is not an address of --subnet=${networkCidr(subnet)}`,
    );
  }
  if (subnet.prefix > 30) {
    throw new UsageError(`--subnet=${networkCidr(subnet)} is too small for containers`);
  }
  if (gateway.ip === networkOf(subnet) || gateway.ip === broadcastOf(subnet)) {
    throw new UsageError(`--gateway=${gwText} is the network or broadcast address of the subnet`);
  }
  const configDir = need("config-dir");
  if (!configDir.startsWith("/")) {
    throw new UsageError(`--config_dir=${configDir} must be an absolute path`);
  }
  const pluginsDir = flags["plugins-dir"] as string | undefined;
  if (pluginsDir !== undefined && !pluginsDir.startsWith("/")) {
    throw new UsageError(`--plugins_dir=${pluginsDir} must be an absolute path`);
  }
  const network = (flags["network-name"] as string | undefined) ?? names.DEFAULT_NETWORK;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.\-]*$/.test(network)) {
    throw new UsageError(`--network_name=${network} may only hold A-Z a-z 0-9 _ . -`);
  }
  const mtu = flags.mtu === undefined ? undefined : Number(flags.mtu);
  if (mtu !== undefined && !(Number.isInteger(mtu) && mtu >= 576 && mtu <= 65535)) {
    throw new UsageError(`--mtu=${flags.mtu} must be a whole number between 576 and 65535`);
  }
  const dns = (flags["dns-nameservers"] as string | undefined)?.split(",").map((s) => s.trim());
  for (const d of dns ?? []) {
    if (parseIpv4(d) === undefined) {
      throw new UsageError(`--dns_nameservers: "${d}" is not an IPv4 address`);
    }
  }
  const bindTimeout = flags["bind-timeout"] === undefined ? 30 : Number(flags["bind-timeout"]);
  if (!(bindTimeout > 0)) {
    throw new UsageError(`--bind_timeout must be a positive number of seconds`);
  }
  return {
    subnet,
    clusterSubnet,
    gateway,
    configDir,
    network,
    pluginsDir,
    master: flags.master === true,
    mtu,
    dnsNameservers: dns,
    logFile: (flags["log-file"] as string | undefined) ?? "/var/log/ovn-mesos-plugin.log",
    bindTimeout,
    runDir: flags["run-dir"] as string | undefined,
  };
}

/** A host switch as NB has it. */
interface HostSwitchRow {
  name: string;
  host: string;
  subnet: string;
}

/** Runs node-init. */
export async function nodeInit(ctx: Context, flags: Flags): Promise<Outcome> {
  const input = parseNodeInit(flags);
  await checkConfigDir(input.configDir);
  const local = await ctx.localHost();
  const nb = await ctx.nb();
  const host = local.systemId;
  const sw = names.hostSwitch(host);
  const hostIdCond = `external_ids:${quote(names.Ext.host)}=${quote(host)}`;

  // Read what NB has: the router, every host switch, and who holds "master".
  const [routerOut, switchesOut, masterOut, myPortOut] = await nbctl(nb, [
    ["--if-exists", "get", "Logical_Router", names.CLUSTER_ROUTER, "_uuid"],
    findCommand("Logical_Switch", ["name", "external_ids", "other_config"], [
      `external_ids:${quote(names.Ext.role)}=${quote("host-switch")}`,
    ]),
    ["--if-exists", "get", "Logical_Switch_Port", names.MASTER_PORT, "external_ids"],
    findCommand("Logical_Switch_Port", ["name"], [
      hostIdCond,
      `external_ids:${quote(names.Ext.role)}=${quote(input.master ? "master-port" : "host-port")}`,
    ]),
  ], { timeoutSec: ctx.timeoutSec });
  if (!routerOut.trim()) {
    throw new DriverError(
      `logical router ${names.CLUSTER_ROUTER} does not exist: run plugin-init first`,
    );
  }
  const switches: HostSwitchRow[] = parseJsonTable(switchesOut).map((r) => ({
    name: String(r.name),
    host: (r.external_ids as Record<string, string>)[names.Ext.host] ?? "",
    subnet: (r.other_config as Record<string, string>).subnet ?? "",
  }));
  const subnetText = networkCidr(input.subnet);
  for (const s of switches) {
    const other = parseCidr(s.subnet);
    if (s.host === host) {
      if (s.subnet !== subnetText) {
        throw new DriverError(
          `host ${host} already has subnet ${s.subnet}; run node-remove first to change it to ${subnetText}`,
        );
      }
    } else if (other && overlaps(other, input.subnet)) {
      throw new DriverError(
        `--subnet=${subnetText} overlaps ${s.subnet} of host ${s.host} (switch ${s.name})`,
      );
    }
  }
  const myPort = parseJsonTable(myPortOut)[0]?.name as string | undefined;
  const port = hostPortName(host, input.master, myPort, parseMap(masterOut)[names.Ext.host]);

  const gatewayIp = formatIpv4(input.gateway.ip);
  const rtos = names.routerToSwitchPort(host);
  const stor = names.switchToRouterPort(host);
  const ids = (role: names.Role) =>
    externalIds({ [names.Ext.role]: role, [names.Ext.host]: host, [names.Ext.version]: VERSION });
  await nbctl(nb, [
    ["--may-exist", "ls-add", sw],
    [
      "set",
      "Logical_Switch",
      sw,
      `other_config:subnet=${quote(subnetText)}`,
      `other_config:exclude_ips=${quote(gatewayIp)}`,
      ...ids("host-switch"),
    ],
    [
      "--may-exist",
      "lrp-add",
      names.CLUSTER_ROUTER,
      rtos,
      names.routerMac(gatewayIp),
      `${gatewayIp}/${input.subnet.prefix}`,
    ],
    ["set", "Logical_Router_Port", rtos, ...ids("host-switch")],
    ["--may-exist", "lsp-add", sw, stor],
    [
      "set",
      "Logical_Switch_Port",
      stor,
      "type=router",
      "addresses=router",
      `options:router-port=${quote(rtos)}`,
      ...ids("host-switch"),
    ],
    ["--may-exist", "lsp-add", sw, port],
    [
      "set",
      "Logical_Switch_Port",
      port,
      "addresses=dynamic",
      ...ids(input.master ? "master-port" : "host-port"),
    ],
  ], { timeoutSec: ctx.timeoutSec });

  // The host's own port: allocated by northd, plugged in as an internal interface.
  const [, addrOut] = await nbctl(nb, [
    ["wait-until", "Logical_Switch_Port", port, "dynamic_addresses!=[]"],
    ["get", "Logical_Switch_Port", port, "dynamic_addresses"],
  ], { timeoutSec: ctx.timeoutSec });
  const [mac, ip] = (parseString(addrOut) ?? "").split(" ");
  if (!mac || !ip) throw new DriverError(`no address left on ${sw} for ${port}`);
  const mtu = input.mtu ?? await underlayMtu(local) - GENEVE_OVERHEAD;
  await vsctl([
    ["--may-exist", "add-port", names.INTEGRATION_BRIDGE, names.HOST_INTERFACE],
    [
      "set",
      "Interface",
      names.HOST_INTERFACE,
      "type=internal",
      ...externalIds({
        "iface-id": port,
        [names.Ext.role]: input.master ? "master-port" : "host-port",
      }),
    ],
  ], { timeoutSec: ctx.timeoutSec });
  await ipBatch([
    ["link", "set", "dev", names.HOST_INTERFACE, "address", mac, "mtu", String(mtu), "up"],
    ["addr", "replace", `${ip}/${input.subnet.prefix}`, "dev", names.HOST_INTERFACE],
    [
      "route",
      "replace",
      networkCidr(input.clusterSubnet),
      "via",
      gatewayIp,
      "dev",
      names.HOST_INTERFACE,
    ],
  ]);
  try {
    await nbctl(nb, [["wait-until", "Logical_Switch_Port", port, "up=true"]], {
      timeoutSec: ctx.timeoutSec,
    });
  } catch {
    throw new DriverError(
      `host port ${port} was not bound within ${ctx.timeoutSec} s: is ovn-controller running and connected?`,
    );
  }

  const config: ConfigFile = {
    cniVersion: "0.2.0",
    name: input.network,
    type: names.PLUGIN_TYPE,
    logicalSwitch: sw,
    subnet: subnetText,
    gateway: gatewayIp,
    clusterSubnet: networkCidr(input.clusterSubnet),
    mtu,
    hostId: host,
    nbRemote: nb.remote,
    ...(nb.remote.includes("ssl:")
      ? { nbPrivateKey: nb.privateKey, nbCertificate: nb.certificate, nbCaCert: nb.caCert }
      : {}),
    ...(local.ovsDb ? { ovsDb: local.ovsDb } : {}),
    ...(local.ovnRundir ? { ovnRundir: local.ovnRundir } : {}),
    txChecksumOffload: local.datapathType !== "netdev",
    bindTimeoutSeconds: input.bindTimeout,
    logFile: input.logFile,
    ...(input.runDir ? { runDir: input.runDir } : {}),
    ...(input.dnsNameservers ? { dns: { nameservers: input.dnsNameservers } } : {}),
  };
  const configFile = await writeCniConfig(input.configDir, config);
  const plugin = input.pluginsDir ? await placePlugin(input.pluginsDir, ctx.env) : undefined;

  const facts = {
    host,
    switch: sw,
    subnet: subnetText,
    gateway: gatewayIp,
    port,
    mac,
    address: ip,
    interface: names.HOST_INTERFACE,
    mtu,
    network: input.network,
    configFile,
    ...(plugin ? { plugin } : {}),
  };
  return {
    text: [
      `host ${host}: switch ${sw} (${subnetText}) linked to ${names.CLUSTER_ROUTER} via ${gatewayIp}`,
      `host port ${port}: ${ip} (${mac}) on interface ${names.HOST_INTERFACE}, MTU ${mtu}`,
      `CNI network "${input.network}": ${configFile}`,
      ...(plugin ? [`plugin: ${plugin}`] : []),
    ].join("\n"),
    json: facts,
  };
}

/**
 * The host port's name: `<system-id>_agent`, or for a master `master` when no
 * other host holds it (Mesos HA: further masters get `<system-id>_master`).
 */
export function hostPortName(
  host: string,
  master: boolean,
  existing: string | undefined,
  masterHolder: string | undefined,
): string {
  if (!master) return names.agentPort(host);
  if (existing) return existing;
  return masterHolder === undefined || masterHolder === host
    ? names.MASTER_PORT
    : names.extraMasterPort(host);
}

/** The MTU of the interface holding the tunnel endpoint address (1500 when unknown). */
async function underlayMtu(local: LocalHost): Promise<number> {
  if (!local.encapIp) return 1500;
  const links = await ipJson<{ ifname: string; mtu: number; addr_info: { local: string }[] }[]>([
    "addr",
    "show",
  ]);
  return links.find((l) => l.addr_info.some((a) => a.local === local.encapIp))?.mtu ?? 1500;
}

/** Makes the config directory if needed and proves it is writable, before anything changes. */
async function checkConfigDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
    const probe = `${dir}/.ovn-mesos-probe-${Deno.pid}`;
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (e) {
    throw new DriverError(
      `--config_dir=${dir} is not a writable directory: ${(e as Error).message}`,
    );
  }
}

/** Links `ovn-mesos-plugin` in `dir` to this executable. */
async function placePlugin(dir: string, env: Record<string, string | undefined>): Promise<string> {
  const self = env.OVN_MESOS_NAME ? await Deno.realPath(env.OVN_MESOS_NAME) : Deno.execPath();
  if (self.endsWith("/deno")) {
    throw new DriverError(
      "--plugins_dir needs the built executable (dist/ovn-mesos), not `deno run`",
    );
  }
  await Deno.mkdir(dir, { recursive: true });
  const target = `${dir}/${names.PLUGIN_TYPE}`;
  const current = await Deno.readLink(target).catch(() => undefined);
  if (current !== self) {
    const tmp = `${target}.tmp-${Deno.pid}`;
    await Deno.symlink(self, tmp);
    await Deno.rename(tmp, target);
  }
  return `${target} -> ${self}`;
}
