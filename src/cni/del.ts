/** CNI DEL: removes what ADD made; succeeds when some or all of it is already gone. */
import { type AttachmentPlan, planAttachment, withAttachmentLock } from "./attachment.ts";
import type { NetConf } from "./config.ts";
import type { CmdArgs } from "./env.ts";
import { deleteLogicalPorts, deleteVeths, unplugFromBridge } from "./port.ts";

/** Detaches the container's interface. Needs no namespace: the veth goes by its host end. */
export async function cmdDel(conf: NetConf, args: CmdArgs): Promise<void> {
  const plan = await planAttachment(conf, args.containerId, args.ifname);
  await withAttachmentLock(conf, plan, () => deleteAttachment(conf, plan));
}

/** Removes the logical port, the OVS port and the veth pair of one attachment, all at once. */
export async function deleteAttachment(conf: NetConf, plan: AttachmentPlan): Promise<void> {
  const results = await Promise.allSettled([
    deleteLogicalPorts(conf, [plan.lsp]),
    unplugFromBridge(conf, [plan.veth]),
    deleteVeths([plan.veth]),
  ]);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}
