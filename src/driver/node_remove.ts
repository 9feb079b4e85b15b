/** node-remove: undoes node-init (and gateway-init) for a host. */
import type { Flags, FlagSpec } from "../args.ts";
import { DriverError, UsageError } from "../errors.ts";
import { ipBatch, ipTry } from "../net/ip.ts";
import { runNft } from "../net/nft.ts";
import * as names from "../names.ts";
import * as lsp from "../ovn/nb/logical_switch_port.ts";
import { NbPlan } from "../ovn/nb/plan.ts";
import { NbSnapshot } from "../ovn/nb/snapshot.ts";
import { applyToSwitch } from "../ovs/apply.ts";
import * as bridge from "../ovs/bridge.ts";
import { setExternalIds } from "../ovs/open_vswitch.ts";
import * as port from "../ovs/port.ts";
import { applyGuarded } from "../ovsdb/guarded.ts";
import { byIds, entries, type Op, rowUuid, select } from "../ovsdb/ops.ts";
import { cniConfigPath } from "./cni_config.ts";
import { localPluginConfig } from "./gc.ts";
import { hostExists, hostPortNames, planHostRemoval } from "./host_rows.ts";
import type { Context, Outcome, Subcommand } from "./subcommand.ts";

const flags: FlagSpec[] = [
  {
    name: "host",
    value: "SYSTEM-ID",
    help: "remove this host from NB (default: this host, also undone locally)",
  },
  {
    name: "force",
    help: "also remove the containers still attached (their ports, OVS ports and veths)",
  },
  {
    name: "config-dir",
    value: "DIR",
    help: "also delete the CNI configuration file written there (node-init's is always removed)",
  },
  {
    name: "network-name",
    value: "NAME",
    help: `the CNI network name (default "${names.DEFAULT_NETWORK}")`,
  },
];

/** Runs node-remove: refuses while containers are attached (unless --force). */
export async function nodeRemove(ctx: Context, flags: Flags): Promise<Outcome> {
  const configDir = flags["config-dir"] as string | undefined;
  if (configDir !== undefined && !configDir.startsWith("/")) {
    throw new UsageError(`--config_dir=${configDir} must be an absolute path`);
  }
  const given = flags.host as string | undefined;
  const localId = given === undefined
    ? (await ctx.localHost()).systemId
    : (await ctx.local().catch(() => undefined))?.systemId;
  const host = given ?? localId!;
  const isLocal = host === localId;
  const nb = await ctx.nb();
  const [containers] = await nb.read([
    select(lsp.TABLE, byIds({ [names.Ext.role]: "container-port", [names.Ext.host]: host }), [
      "name",
      "external_ids",
    ]),
  ]);
  if (containers.length && flags.force !== true) {
    const list = containers.map((c) => String(c.name)).sort();
    throw new DriverError(
      `host ${host} still has ${list.length} container(s) attached (${list.slice(0, 5).join(", ")}${
        list.length > 5 ? ", …" : ""
      }): stop them first, or pass --force to remove them too`,
    );
  }
  const removed = await applyGuarded(
    nb,
    () => NbSnapshot.read(nb, hostPortNames(host)),
    (snap) => {
      if (!hostExists(snap, host)) {
        throw new DriverError(`there is no host ${host} in the Northbound database`);
      }
      const plan = new NbPlan(snap);
      const removed = planHostRemoval(plan, host);
      return { ops: [...snap.guards(), ...plan.ops], done: () => removed };
    },
  );
  if (containers.length) removed.push(`${containers.length} container port(s)`);
  if (isLocal) removed.push(...await removeLocally(ctx, host));
  if (configDir) {
    const file = cniConfigPath(
      configDir,
      (flags["network-name"] as string) ?? names.DEFAULT_NETWORK,
    );
    if (await Deno.remove(file).then(() => true, () => false)) removed.push(file);
  }
  return { text: `removed ${removed.join(", ")}`, json: { host, removed } };
}

/**
 * This host's part: container OVS ports and veths, the host interface, the
 * files node-init placed, and a gateway's interface given back as it was.
 */
async function removeLocally(ctx: Context, host: string): Promise<string[]> {
  const ovs = await ctx.ovs();
  const local = await ctx.local();
  const [[hostIface], containerIfaces, bridges] = await ovs.read([
    port.selectInterface(names.HOST_INTERFACE),
    select(port.INTERFACE, byIds({ [names.Ext.role]: "container-port", [names.Ext.host]: host }), [
      "name",
    ]),
    select(bridge.TABLE, [], bridge.COLUMNS),
  ]);
  const removed: string[] = [];
  // Read before the host interface (which records where the configuration is) goes.
  const runDir = await localPluginConfig(ctx).then((c) => c.runDir, () => undefined);
  const portNames = [names.HOST_INTERFACE, ...containerIfaces.map((i) => String(i.name))];
  const [...found] = await ovs.read(portNames.map(port.selectPortByName));
  const ops: Op[] = port.removePorts(found.flat().map(rowUuid));
  const gateways = bridges.filter((b) => entries(b.external_ids)[names.Ext.physicalInterface]);
  for (const b of gateways) ops.push(...bridge.deleteBridge(rowUuid(b)));
  if (gateways.length) {
    const kept = (local.bridgeMappings ?? "").split(",").map((m) => m.trim())
      .filter((m) => m && !m.startsWith(`${names.PHYSICAL_NETWORK}:`)).join(",");
    ops.push(...setExternalIds({ "ovn-bridge-mappings": kept || undefined }));
  }
  if (ops.length) await applyToSwitch(ovs, ops);
  if (hostIface) {
    await runNft(`delete table ip ${names.NFT_TABLE}\n`).then(
      () => removed.push(`nftables table ${names.NFT_TABLE}`),
      () => {},
    );
  }
  for (const i of containerIfaces) await ipTry(["link", "del", String(i.name)]);
  // The plugin's files of those containers (mapping records, locks, pending removals) go too.
  for (const veth of runDir ? containerIfaces.map((i) => String(i.name)) : []) {
    for (
      const f of [
        "mappings/VETH.json",
        "locks/VETH.lock",
        "pending/nb-VETH.json",
        "pending/ovs-VETH.json",
      ]
    ) {
      await Deno.remove(`${runDir}/${f.replace("VETH", veth)}`).catch(() => {});
    }
  }
  if (containerIfaces.length) removed.push(`${containerIfaces.length} container veth(s)`);
  if (hostIface) removed.push(`OVS interface ${names.HOST_INTERFACE}`);
  for (const b of gateways) {
    const ids = entries(b.external_ids);
    const iface = ids[names.Ext.physicalInterface];
    const addresses = JSON.parse(ids[names.Ext.originalAddresses] ?? "[]") as string[];
    await ipBatch([
      ["link", "set", "dev", iface, "arp", "on", "up"],
      ...addresses.map((a) => ["addr", "replace", a, "dev", iface]),
    ]).catch((e) => {
      throw new DriverError(`cannot give ${iface} its addresses back: ${(e as Error).message}`);
    });
    removed.push(
      `OVS bridge ${b.name} (${iface} given back${
        addresses.length ? ` with ${addresses.join(", ")}` : ""
      })`,
    );
  }
  const records = entries(hostIface?.external_ids);
  for (const file of [records[names.Ext.configFile], records[names.Ext.pluginLink]]) {
    if (file && await Deno.remove(file).then(() => true, () => false)) removed.push(file);
  }
  return removed;
}

export const nodeRemoveCommand: Subcommand = {
  name: "node-remove",
  summary: "undo node-init (and gateway-init) for a host",
  flags,
  run: nodeRemove,
};
