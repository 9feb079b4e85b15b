/**
 * Recovery after a host reboot or a killed ADD whose DEL never came: this
 * host's plugin-made logical ports and OVS ports whose container interface no
 * longer exists here (its veth died with the container's namespace) are
 * removed, each under its attachment's lock. Live containers, host ports and
 * other hosts' ports are never touched. Used by the driver's `gc` and by
 * node-init.
 */
import * as names from "../names.ts";
import { withAttachmentLock } from "./attachment.ts";
import type { NetConf } from "./config.ts";
import type { Databases } from "./databases.ts";
import { removeLocalMappings } from "./mappings.ts";
import { findPorts, removeFromNb } from "./nb_ports.ts";
import { findInterfaces, unplugFromBridge } from "./ovs_ports.ts";
import { completePending } from "./pending.ts";
import { deleteRetiredVeths, hostLinkExists } from "./port.ts";

/** What a sweep removed. */
export interface SweepOutcome {
  /** Deferred removals completed. */
  deferred: string[];
  /** Logical ports of attachments whose veth is gone. */
  ports: string[];
  /** OVS ports of attachments whose veth is gone. */
  ovsPorts: string[];
  /** Veths a DEL retired whose deletion never finished (see {@link retireVeth}). */
  retired: string[];
}

/**
 * Completes deferred removals, deletes retired veths still there, then removes
 * this host's attachments whose veth is gone.
 */
export async function sweepHost(conf: NetConf, dbs: Databases): Promise<SweepOutcome> {
  const retired = await deleteRetiredVeths();
  const deferred = [
    ...await completePending(conf, "nb", dbs.nb),
    ...await completePending(conf, "ovs", dbs.ovs),
  ];
  const mine = { [names.Ext.role]: "container-port", [names.Ext.host]: conf.hostId };
  const [inNb, inOvs] = await Promise.all([findPorts(dbs.nb, mine), findInterfaces(dbs.ovs, mine)]);
  // Each attachment once, with where it was found.
  const attachments = new Map<
    string,
    { network: string; containerId: string; ifname: string; inNb: boolean; inOvs: boolean }
  >();
  for (
    const [found, ids] of [
      ...inNb.map((i) => ["nb", i] as const),
      ...inOvs.map((i) => ["ovs", i] as const),
    ]
  ) {
    const network = ids[names.Ext.network];
    const containerId = ids[names.Ext.containerId];
    const ifname = ids[names.Ext.ifname];
    if (!network || !containerId || !ifname) continue;
    const lsp = names.containerPort(network, containerId, ifname);
    const a = attachments.get(lsp) ??
      { network, containerId, ifname, inNb: false, inOvs: false };
    if (found === "nb") a.inNb = true;
    else a.inOvs = true;
    attachments.set(lsp, a);
  }
  const out: SweepOutcome = { deferred, ports: [], ovsPorts: [], retired };
  for (const [lsp, a] of attachments) {
    const veth = names.hostVethName(a.network, a.containerId, a.ifname);
    if (hostLinkExists(veth)) continue;
    const plan = { lsp, veth, ids: {} };
    await withAttachmentLock(conf, plan, async () => {
      if (hostLinkExists(veth)) return; // an ADD made it meanwhile
      await Promise.all([
        removeFromNb(dbs.nb, [lsp], true),
        unplugFromBridge(dbs.ovs, [veth]),
        removeLocalMappings(conf, plan),
      ]);
      if (a.inNb) out.ports.push(lsp);
      if (a.inOvs) out.ovsPorts.push(veth);
    }, () => true);
  }
  return out;
}
