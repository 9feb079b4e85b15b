/** CNI GC: removes this host's plugin-made attachments on this network that are no longer valid. */
import * as names from "../names.ts";
import { planAttachment, withAttachmentLocks } from "./attachment.ts";
import type { NetConf } from "./config.ts";
import { withDatabases } from "./databases.ts";
import { deleteAttachment } from "./del.ts";
import { findPorts } from "./nb_ports.ts";
import { findInterfaces } from "./ovs_ports.ts";
import { completePending } from "./pending.ts";
import { deleteRetiredVeths } from "./port.ts";

/** Returns the names of what it removed: logical ports, and veths DELs retired (`ovx…`). */
export function cmdGc(conf: NetConf): Promise<string[]> {
  const mine = {
    [names.Ext.role]: "container-port",
    [names.Ext.host]: conf.hostId,
    [names.Ext.network]: conf.name,
  };
  return withDatabases(conf, async (dbs) => {
    const deferred = [
      ...await completePending(conf, "nb", dbs.nb),
      ...await completePending(conf, "ovs", dbs.ovs),
    ];
    // What NB and this host's OVS hold: a half-done ADD may have left either alone.
    const [inNb, inOvs] = await Promise.all([
      findPorts(dbs.nb, mine),
      findInterfaces(dbs.ovs, mine),
    ]);
    const valid = new Set(
      (conf.validAttachments ?? []).map((a) => `${a.containerId}\n${a.ifname}`),
    );
    const stale = new Set<string>();
    for (const ids of [...inNb, ...inOvs]) {
      const key = `${ids[names.Ext.containerId]}\n${ids[names.Ext.ifname]}`;
      if (ids[names.Ext.containerId] && !valid.has(key)) stale.add(key);
    }
    const plans = [...stale].map((k) =>
      planAttachment(conf, ...(k.split("\n") as [string, string]))
    );
    // Under the attachments' locks, so that a DEL or ADD of one of them never runs underneath.
    await withAttachmentLocks(conf, plans, () => deleteAttachment(conf, plans, dbs), () => true);
    const retired = await deleteRetiredVeths();
    return [...deferred, ...plans.map((p) => p.lsp), ...retired];
  });
}
