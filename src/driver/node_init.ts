/**
 * node-init: this host's logical switch and subnet, its link to
 * `mesos-router`, the host's own port on the overlay (the address Mesos
 * binds to), and the CNI configuration file. Safe to run again.
 */
import { type Flags, type FlagSpec, requiredFlag, requireFlags } from "../args.ts";
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
import { ipJson } from "../net/ip.ts";
import { runNft, setupBatch } from "../net/nft.ts";
import * as names from "../names.ts";
import * as lsp from "../ovn/nb/logical_switch_port.ts";
import { NbPlan } from "../ovn/nb/plan.ts";
import { NbSnapshot } from "../ovn/nb/snapshot.ts";
import { applyGuarded } from "../ovsdb/guarded.ts";
import { isWaitTimeout } from "../ovsdb/errors.ts";
import { entries, type Op, rowUuid } from "../ovsdb/ops.ts";
import { VERSION } from "../version.ts";
import { type ConfigFile, parseNetConf } from "../cni/config.ts";
import { sweepLocal } from "./gc.ts";
import { cniConfigPath, writeCniConfig } from "./cni_config.ts";
import { removeHostInterface, setUpHostInterface } from "./host_interface.ts";
import {
  checkSystemId,
  hostPortNames,
  planGatewayPolicy,
  planHostRemoval,
  recordClusterSubnet,
} from "./host_rows.ts";
import { placePlugin, pluginSource } from "./plugin_link.ts";
import type { Context, LocalHost, Outcome, Subcommand } from "./subcommand.ts";

const flags: FlagSpec[] = [
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
  requireFlags(flags, ["subnet", "cluster-subnet", "gateway", "config-dir"]);
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
  const logFile = (flags["log-file"] as string | undefined) ?? "/var/log/ovn-mesos-plugin.log";
  if (!logFile.startsWith("/")) {
    throw new UsageError(`--log_file=${logFile} must be an absolute path`);
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
    logFile,
    bindTimeout,
    runDir: flags["run-dir"] as string | undefined,
  };
}

/** What the NB part of node-init decided. */
interface NbOutcome {
  port: string;
  /** Rows this run made (empty on a re-run). */
  created: string[];
}

/** Runs node-init: parse, check, then read, plan and apply NB; then this host; then the files. */
export async function nodeInit(ctx: Context, flags: Flags): Promise<Outcome> {
  const input = parseNodeInit(flags);
  await checkWritableDir(input.configDir, "config_dir");
  if (input.pluginsDir) await checkWritableDir(input.pluginsDir, "plugins_dir");
  const local = await ctx.localHost();
  const host = local.systemId;
  checkSystemId(host);
  const underlay = await underlayMtu(local);
  if (input.mtu !== undefined && input.mtu > underlay - GENEVE_OVERHEAD) {
    throw new UsageError(
      `--mtu=${input.mtu} is more than the underlay's MTU ${underlay} less ${GENEVE_OVERHEAD} bytes of Geneve (${
        underlay - GENEVE_OVERHEAD
      })`,
    );
  }
  const mtu = input.mtu ?? underlay - GENEVE_OVERHEAD;
  const plugin = input.pluginsDir ? await pluginSource(input.pluginsDir, ctx.env) : undefined;
  const nb = await ctx.nb();
  const target = await ctx.nbTarget();
  const portNames = [
    names.agentPort(host),
    names.MASTER_PORT,
    names.extraMasterPort(host),
    names.switchToRouterPort(host),
    ...hostPortNames(host),
  ];
  const applied = await applyGuarded(
    nb,
    () => NbSnapshot.read(nb, portNames),
    (snap) => planNodeInit(snap, input, host),
  );
  const configFile = cniConfigPath(input.configDir, input.network);
  try {
    const [, , [row]] = await nb.read([
      ...lsp.waitForDynamicAddress(applied.port, nb.timeoutMs),
      lsp.selectPort(applied.port),
    ], nb.timeoutMs + 2000).catch((e) => {
      if (isWaitTimeout(e)) {
        throw new DriverError(
          `no address was allocated to ${applied.port}: is ovn-northd running?`,
        );
      }
      throw e;
    });
    const addr = lsp.dynamicAddress(row);
    if (!addr) {
      throw new DriverError(`no address left on ${names.hostSwitch(host)} for ${applied.port}`);
    }
    const gatewayIp = formatIpv4(input.gateway.ip);
    await setUpHostInterface(ctx, {
      port: applied.port,
      role: input.master ? "master-port" : "host-port",
      host,
      mac: addr.mac,
      address: `${addr.ip}/${input.subnet.prefix}`,
      mtu,
      route: { dst: networkCidr(input.clusterSubnet), via: gatewayIp },
      records: {
        [names.Ext.configFile]: configFile,
        ...(plugin ? { [names.Ext.pluginLink]: plugin.link } : {}),
      },
    });
    await enablePortMappings().catch((e) => {
      throw new DriverError(
        `cannot set up port mappings (nftables table ${names.NFT_TABLE}): ${e.message}`,
      );
    });
    const config: ConfigFile = {
      cniVersion: "0.2.0",
      name: input.network,
      type: names.PLUGIN_TYPE,
      capabilities: { portMappings: true },
      logicalSwitch: names.hostSwitch(host),
      subnet: networkCidr(input.subnet),
      gateway: gatewayIp,
      hostAddress: addr.ip,
      clusterSubnet: networkCidr(input.clusterSubnet),
      mtu,
      hostId: host,
      nbRemote: target.remote,
      ...(target.ssl
        ? {
          nbPrivateKey: target.ssl.privateKey,
          nbCertificate: target.ssl.certificate,
          nbCaCert: target.ssl.caCert,
        }
        : {}),
      ...(local.ovsDb ? { ovsDb: local.ovsDb } : {}),
      ...(local.ovnRundir ? { ovnRundir: local.ovnRundir } : {}),
      txChecksumOffload: local.datapathType !== "netdev",
      bindTimeoutSeconds: input.bindTimeout,
      logFile: input.logFile,
      ...(input.runDir ? { runDir: input.runDir } : {}),
      ...(input.dnsNameservers ? { dns: { nameservers: input.dnsNameservers } } : {}),
    };
    await writeCniConfig(input.configDir, config).catch((e) => {
      throw new DriverError(
        `--config_dir=${input.configDir}: cannot write ${configFile}: ${e.message}`,
      );
    });
    if (plugin) await placePlugin(plugin);
    // The recovery step at boot: ports of containers that are gone from this host.
    const swept = await sweepLocal(parseNetConf(JSON.stringify(config), true, ctx.env));
    const outcome = report(input, host, applied.port, addr, mtu, configFile, plugin?.link);
    const recovered = [...swept.deferred, ...swept.ports, ...swept.ovsPorts, ...swept.retired];
    if (recovered.length) {
      outcome.text += `\nrecovered: removed ${recovered.join(", ")}`;
      outcome.json.recovered = swept;
    }
    return outcome;
  } catch (e) {
    // A host that was new is taken back to nothing; an existing one is left as it was.
    if (applied.created.includes(`switch ${names.hostSwitch(host)}`)) {
      await undoNewHost(ctx, host, portNames, configFile).catch(() => {});
    }
    throw e;
  }
}

/** The NB plan: checks against what other hosts have, then the switch, its router link, the host port. */
export function planNodeInit(snap: NbSnapshot, input: NodeInitInput, host: string) {
  const router = snap.router(names.CLUSTER_ROUTER);
  if (!router) {
    throw new DriverError(
      `logical router ${names.CLUSTER_ROUTER} does not exist: run plugin-init first`,
    );
  }
  const ops: Op[] = [...snap.guards(), ...recordClusterSubnet(router, input.clusterSubnet)];
  const subnetText = networkCidr(input.subnet);
  for (const s of snap.withIds(snap.switches, { [names.Ext.role]: "host-switch" })) {
    const ids = entries(s.external_ids);
    const other = entries(s.other_config).subnet ?? "";
    if (ids[names.Ext.host] === host) {
      if (other !== subnetText) {
        throw new DriverError(
          `host ${host} already has subnet ${other}; run node-remove first to change it to ${subnetText}`,
        );
      }
    } else if (parseCidr(other) && overlaps(parseCidr(other)!, input.subnet)) {
      throw new DriverError(
        `--subnet=${subnetText} overlaps ${other} of host ${
          ids[names.Ext.host]
        } (switch ${s.name})`,
      );
    }
  }
  const gatewayCidr = `${formatIpv4(input.gateway.ip)}/${input.subnet.prefix}`;
  const rtos = snap.routerPort(names.routerToSwitchPort(host));
  const rtosNetworks = rtos ? String(rtos.networks) : undefined;
  if (rtos && rtosNetworks !== gatewayCidr) {
    throw new DriverError(
      `host ${host} already has gateway ${rtosNetworks}; run node-remove first to change it to ${gatewayCidr}`,
    );
  }
  const mine = snap.ports.filter((p) => {
    const ids = entries(p.external_ids);
    return ids[names.Ext.host] === host &&
      (ids[names.Ext.role] === "host-port" || ids[names.Ext.role] === "master-port");
  });
  const role: names.Role = input.master ? "master-port" : "host-port";
  const other = mine.find((p) => entries(p.external_ids)[names.Ext.role] !== role);
  if (other) {
    const was = role === "master-port" ? "an agent" : "a master";
    throw new DriverError(
      `host ${host} was initialised as ${was} (port ${other.name}); run node-remove first to change its role`,
    );
  }
  const masterHolder = entries(snap.port(names.MASTER_PORT)?.external_ids)[names.Ext.host];
  const port = hostPortName(host, input.master, mine[0]?.name as string | undefined, masterHolder);
  const ids = (r: names.Role) => ({
    [names.Ext.role]: r,
    [names.Ext.host]: host,
    [names.Ext.version]: VERSION,
  });
  const plan = new NbPlan(snap);
  const sw = plan.ensureSwitch({
    name: names.hostSwitch(host),
    otherConfig: { subnet: subnetText, exclude_ips: formatIpv4(input.gateway.ip) },
    externalIds: ids("host-switch"),
  });
  plan.link({
    router: { uuid: rowUuid(router) },
    switch: sw,
    routerPort: {
      name: names.routerToSwitchPort(host),
      mac: names.routerMac(formatIpv4(input.gateway.ip)),
      networks: [gatewayCidr],
    },
    switchPort: names.switchToRouterPort(host),
    externalIds: ids("host-switch"),
  });
  plan.ensureSwitchPort(sw, { name: port, addresses: ["dynamic"], externalIds: ids(role) });
  // A host that became a gateway first: its containers leave through it.
  planGatewayPolicy(plan, host, networkCidr(input.clusterSubnet), undefined, subnetText);
  return {
    ops: [...ops, ...plan.ops],
    done: (): NbOutcome => ({ port, created: plan.created }),
  };
}

/** Takes a host that this run made back to nothing (NB rows, the interface, the config file). */
async function undoNewHost(ctx: Context, host: string, portNames: string[], configFile: string) {
  const nb = await ctx.nb();
  await applyGuarded(nb, () => NbSnapshot.read(nb, portNames), (snap) => {
    const plan = new NbPlan(snap);
    planHostRemoval(plan, host);
    return { ops: plan.ops, done: () => undefined };
  });
  await removeHostInterface(ctx);
  await Deno.remove(configFile).catch(() => {});
}

function report(
  input: NodeInitInput,
  host: string,
  port: string,
  addr: { mac: string; ip: string },
  mtu: number,
  configFile: string,
  plugin: string | undefined,
): Outcome {
  const subnet = networkCidr(input.subnet);
  const gateway = formatIpv4(input.gateway.ip);
  const sw = names.hostSwitch(host);
  return {
    text: [
      `host ${host}: switch ${sw} (${subnet}) linked to ${names.CLUSTER_ROUTER} via ${gateway}`,
      `host port ${port}: ${addr.ip} (${addr.mac}) on interface ${names.HOST_INTERFACE}, MTU ${mtu}`,
      `CNI network "${input.network}": ${configFile}`,
      ...(plugin ? [`plugin: ${plugin}`] : []),
    ].join("\n"),
    json: {
      host,
      switch: sw,
      subnet,
      gateway,
      port,
      mac: addr.mac,
      address: addr.ip,
      interface: names.HOST_INTERFACE,
      mtu,
      network: input.network,
      configFile,
      ...(plugin ? { plugin } : {}),
    },
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

/**
 * Port mappings at this host's addresses: the nftables table (rules made
 * anew, mappings kept) and IPv4 forwarding, which DNAT into the overlay needs.
 */
async function enablePortMappings(): Promise<void> {
  await runNft(setupBatch(names.NFT_TABLE, names.HOST_INTERFACE));
  const forward = "/proc/sys/net/ipv4/ip_forward";
  if ((await Deno.readTextFile(forward)).trim() !== "1") await Deno.writeTextFile(forward, "1\n");
}

/** Makes a directory if needed and proves it is writable, before anything changes. */
async function checkWritableDir(dir: string, flag: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
    const probe = `${dir}/.ovn-mesos-probe-${Deno.pid}`;
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (e) {
    throw new DriverError(`--${flag}=${dir} is not a writable directory: ${(e as Error).message}`);
  }
}

export const nodeInitCommand: Subcommand = {
  name: "node-init",
  summary: "join this host to the overlay and write its CNI configuration",
  flags,
  run: nodeInit,
};
