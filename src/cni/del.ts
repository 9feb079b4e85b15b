/**
 * CNI DEL: removes what ADD made. It never fails for the state of OVN or OVS
 * (the Mesos agent never retries a DEL): what a database could not remove in
 * time is recorded and removed later (see pending.ts). Only bad input fails.
 */
import type { Database } from "../ovsdb/client.ts";
import { allDone } from "./all_done.ts";
import { type AttachmentPlan, planAttachment, readRows, withAttachmentLock } from "./attachment.ts";
import type { NetConf } from "./config.ts";
import type { Databases } from "./databases.ts";
import { openNb, openOvs } from "./databases.ts";
import type { CmdArgs } from "./env.ts";
import { logLine } from "./log.ts";
import { removeFromNb, removePortRow, removePorts } from "./nb_ports.ts";
import { unplugFromBridge, unplugPortRow } from "./ovs_ports.ts";
import { hasMappings, removeLoadBalancers, removeLocalMappings } from "./mappings.ts";
import { completePending, recordPending } from "./pending.ts";
import { deleteVeths, retireVeth } from "./port.ts";

/** Detaches the container's interface. Needs no namespace: the veth goes by its host end. */
export async function cmdDel(conf: NetConf, args: CmdArgs): Promise<void> {
  const plan = planAttachment(conf, args.containerId, args.ifname);
  // Each database on its own: one being down never keeps the other's part from happening.
  const nb = openNb(conf);
  const ovs = openOvs(conf);
  nb.catch(() => {});
  ovs.catch(() => {});
  try {
    await withAttachmentLock(conf, plan, async (lock) => {
      // The databases' requests first (each as soon as it is connected: at once
      // for a local socket), then, while they travel, the veth: down and retired
      // (the kernel's ~20 ms of deleting it go on without us). Each database's
      // part is one transaction by the rows ADD recorded, guarded on their still
      // being this attachment's (and, with mappings, the load balancers' removal
      // beside it); without a record, or with a stale one, they are found by name.
      const mapped = hasMappings(conf, plan);
      const rows = readRows(lock);
      const removed = Promise.all([
        nb.then(async (db) => {
          const byRow = rows && await removePortRow(db, conf.logicalSwitch, plan.lsp, rows.lsp);
          await allDone([
            byRow ? Promise.resolve() : removePorts(db, [plan.lsp]),
            mapped ? removeLoadBalancers(db, [plan.lsp]) : Promise.resolve(),
          ]);
        }).then(() => undefined, (e: Error) => e),
        ovs.then(async (db) => {
          const byRow = rows && await unplugPortRow(db, plan.veth, rows.port);
          if (!byRow) await unplugFromBridge(db, [plan.veth]);
        }).then(() => undefined, (e: Error) => e),
      ]);
      await settledOrAfter(Promise.all([nb, ovs]), CONNECT_WAIT_MS);
      const kernel = allDone([
        retireVeth(plan.veth),
        mapped ? removeLocalMappings(conf, plan) : Promise.resolve(),
      ]);
      const [nbDone, ovsDone] = await removed;
      await kernel.catch(() => {});
      const defer = (db: "nb" | "ovs", name: string, why: Error) => {
        recordPending(conf, { db, containerId: args.containerId, ifname: args.ifname, name });
        logLine(conf.logFile, `DEL ${plan.lsp}: ${db} removal deferred: ${why.message}`);
      };
      if (nbDone) defer("nb", plan.lsp, nbDone);
      if (ovsDone) defer("ovs", plan.veth, ovsDone);
    }, () => true);
    // Other attachments' deferred removals, on whichever database answered (after our lock).
    // Not our own: a database that just failed us would only cost a second timeout.
    const skip = { containerId: args.containerId, ifname: args.ifname };
    await Promise.all([
      nb.then((db) => completePending(conf, "nb", db, skip)).catch(() => {}),
      ovs.then((db) => completePending(conf, "ovs", db, skip)).catch(() => {}),
    ]);
  } finally {
    for (const db of [nb, ovs]) db.then((d: Database) => d.close(), () => {});
  }
}

/** How long DEL lets the databases connect before the veth's part, which holds the event loop. */
const CONNECT_WAIT_MS = 2;

/** Resolves once `p` has settled or `ms` have passed, whichever is first. */
function settledOrAfter(p: Promise<unknown>, ms: number): Promise<void> {
  // AbortSignal.timeout, not setTimeout: Deno's first setTimeout costs ~10 ms.
  const signal = AbortSignal.timeout(ms);
  return new Promise((resolve) => {
    p.then(() => resolve(), () => resolve());
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** Removes the logical ports, the OVS ports and the veth pairs of attachments, all at once. */
export function deleteAttachment(
  conf: NetConf,
  plans: AttachmentPlan | AttachmentPlan[],
  dbs: Databases,
): Promise<void> {
  const all = Array.isArray(plans) ? plans : [plans];
  return allDone([
    deleteVeths(all.map((p) => p.veth)),
    ...all.map((p) => removeLocalMappings(conf, p)),
    removeFromNb(dbs.nb, all.map((p) => p.lsp), true),
    unplugFromBridge(dbs.ovs, all.map((p) => p.veth)),
  ]);
}
