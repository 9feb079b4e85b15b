/** CNI DEL: removes what ADD made; succeeds when some or all of it is already gone. */
import { type AttachmentPlan, planAttachment, withAttachmentLock } from "./attachment.ts";
import type { NetConf } from "./config.ts";
import { type Databases, withDatabases } from "./databases.ts";
import type { CmdArgs } from "./env.ts";
import { removePorts } from "./nb_ports.ts";
import { unplugFromBridge } from "./ovs_ports.ts";
import { deleteVeths } from "./port.ts";
import { allDone } from "./all_done.ts";

/** Detaches the container's interface. Needs no namespace: the veth goes by its host end. */
export async function cmdDel(conf: NetConf, args: CmdArgs): Promise<void> {
  const plan = planAttachment(conf, args.containerId, args.ifname);
  await withAttachmentLock(
    conf,
    plan,
    // The `ip` process first: it runs while the databases are opened and changed.
    () =>
      allDone([
        deleteVeths([plan.veth]),
        withDatabases(conf, (dbs) => removeFromDatabases([plan], dbs)),
      ]),
    () => true,
  );
}

/** Removes the logical ports, the OVS ports and the veth pairs of attachments, all at once. */
export function deleteAttachment(
  plans: AttachmentPlan | AttachmentPlan[],
  dbs: Databases,
): Promise<void> {
  const all = Array.isArray(plans) ? plans : [plans];
  return allDone([deleteVeths(all.map((p) => p.veth)), removeFromDatabases(all, dbs)]);
}

/** Removes the attachments' logical ports and OVS ports; absent ones are no error. */
function removeFromDatabases(plans: AttachmentPlan[], { nb, ovs }: Databases): Promise<void> {
  return allDone([
    removePorts(nb, plans.map((p) => p.lsp)),
    unplugFromBridge(ovs, plans.map((p) => p.veth)),
  ]);
}
