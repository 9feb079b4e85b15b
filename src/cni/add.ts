/** CNI ADD: a logical port, a veth in br-int and in the container, bound before we return. */
import { parseCidr } from "../net/cidr.ts";
import { ensureNetnsDir } from "../net/ip.ts";
import { type AttachmentPlan, planAttachment, withAttachmentLock } from "./attachment.ts";
import type { NetConf } from "./config.ts";
import type { CmdArgs } from "./env.ts";
import { deleteAttachment } from "./del.ts";
import {
  configureContainer,
  createLogicalPort,
  createVeth,
  plugIntoBridge,
  readDynamicAddress,
  securePortWhenUp,
} from "./port.ts";
import type { Attachment } from "./result.ts";

/** Attaches the container; on any failure undoes everything and rethrows. */
export async function cmdAdd(conf: NetConf, args: CmdArgs): Promise<Attachment> {
  const plan = await planAttachment(conf, args.containerId, args.ifname);
  return await withAttachmentLock(conf, plan, async () => {
    try {
      return await attach(conf, args, plan);
    } catch (e) {
      await deleteAttachment(conf, plan).catch(() => {});
      throw e;
    }
  });
}

async function attach(conf: NetConf, args: CmdArgs, plan: AttachmentPlan): Promise<Attachment> {
  const netns = args.netns!;
  ensureNetnsDir();
  // The NB port and the host plumbing do not depend on each other: do both at once.
  const [addr] = await Promise.all([
    createLogicalPort(conf, plan).then(() => readDynamicAddress(conf, plan)),
    createVeth(conf, plan, netns, args.ifname).then(() => plugIntoBridge(conf, plan)),
  ]);
  const prefix = parseCidr(conf.subnet)!.prefix;
  await Promise.all([
    configureContainer(conf, netns, args.ifname, addr, prefix),
    securePortWhenUp(conf, plan, addr),
  ]);
  return {
    ifname: args.ifname,
    mac: addr.mac,
    sandbox: netns,
    address: `${addr.ip}/${prefix}`,
    gateway: conf.gateway,
    routes: [{ dst: "0.0.0.0/0", gw: conf.gateway }],
    mtu: conf.mtu,
    dns: conf.dns,
  };
}
