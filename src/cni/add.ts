/** CNI ADD: a logical port, a veth in br-int and in the container, bound before we return. */
import { parseCidr } from "../net/cidr.ts";
import { ensureNetnsDir } from "../net/ip.ts";
import { type AttachmentPlan, planAttachment, withAttachmentLock } from "./attachment.ts";
import type { NetConf } from "./config.ts";
import { type Databases, withDatabases } from "./databases.ts";
import { deleteAttachment } from "./del.ts";
import type { CmdArgs } from "./env.ts";
import { plugIntoBridge } from "./ovs_ports.ts";
import { configureContainer, createVeth, deleteVeths, setTxChecksumming } from "./port.ts";
import type { Attachment } from "./result.ts";

/** Attaches the container; on any failure undoes everything and rethrows. */
export async function cmdAdd(conf: NetConf, args: CmdArgs): Promise<Attachment> {
  const plan = await planAttachment(conf, args.containerId, args.ifname);
  const netns = args.netns!;
  return await withAttachmentLock(conf, plan, async () => {
    ensureNetnsDir();
    // The veth does not need the databases: its `ip` runs while they are opened.
    const veth = createVeth(conf, plan, netns, args.ifname);
    try {
      return await withDatabases(conf, async (dbs) => {
        try {
          return await attach(conf, args, plan, dbs, veth);
        } catch (e) {
          await veth.catch(() => {});
          await deleteAttachment(conf, plan, dbs).catch(() => {});
          throw e;
        }
      });
    } catch (e) {
      // The databases could not be opened: only the veth may exist.
      if (await veth.then(() => true, () => false)) await deleteVeths([plan.veth]).catch(() => {});
      throw e;
    }
  }, (ok) => !ok);
}

async function attach(
  conf: NetConf,
  args: CmdArgs,
  plan: AttachmentPlan,
  { nb, ovs }: Databases,
  veth: Promise<void>,
): Promise<Attachment> {
  const netns = args.netns!;
  // The logical port and the host plumbing do not depend on each other: do both at once.
  const [addr] = await Promise.all([
    nb.create(plan).then(() => nb.address(plan)),
    veth.then(() =>
      Promise.all([
        setTxChecksumming(conf, netns, args.ifname),
        plugIntoBridge(ovs, conf, plan),
      ])
    ),
  ]);
  const prefix = parseCidr(conf.subnet)!.prefix;
  await Promise.all([
    configureContainer(conf, netns, args.ifname, addr, prefix),
    nb.secureWhenUp(plan, addr),
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
