/** CNI DEL: removes what ADD made; succeeds when some or all of it is already gone. */
import { type AttachmentPlan, planAttachment, withAttachmentLock } from "./attachment.ts";
import type { NetConf } from "./config.ts";
import { type Databases, withDatabases } from "./databases.ts";
import type { CmdArgs } from "./env.ts";
import { unplugFromBridge } from "./ovs_ports.ts";
import { deleteVeths } from "./port.ts";

/** Detaches the container's interface. Needs no namespace: the veth goes by its host end. */
export async function cmdDel(conf: NetConf, args: CmdArgs): Promise<void> {
  const plan = await planAttachment(conf, args.containerId, args.ifname);
  await withAttachmentLock(
    conf,
    plan,
    () => withDatabases(conf, (dbs) => deleteAttachment(conf, plan, dbs)),
  );
}

/** Removes the logical port, the OVS port and the veth pair of attachments, all at once. */
export async function deleteAttachment(
  conf: NetConf,
  plans: AttachmentPlan | AttachmentPlan[],
  { nb, ovs }: Databases,
): Promise<void> {
  const all = Array.isArray(plans) ? plans : [plans];
  const results = await Promise.allSettled([
    nb.remove(all.map((p) => p.lsp)),
    unplugFromBridge(ovs, conf, all.map((p) => p.veth)),
    deleteVeths(all.map((p) => p.veth)),
  ]);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}
