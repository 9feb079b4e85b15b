/** CNI ADD: a logical port, a veth in br-int and in the container, bound before we return. */
import { parseCidr } from "../net/cidr.ts";
import { ensureNetnsDir } from "../net/ip.ts";
import { type AttachmentPlan, planAttachment, withAttachmentLock } from "./attachment.ts";
import type { NetConf } from "./config.ts";
import { type Databases, withDatabases } from "./databases.ts";
import { deleteAttachment } from "./del.ts";
import type { CmdArgs } from "./env.ts";
import { allocatePort, secureWhenUp } from "./nb_ports.ts";
import { plugIntoBridge } from "./ovs_ports.ts";
import { allDone } from "./all_done.ts";
import { configureContainer, createVeth, deleteVeths, setTxChecksumming } from "./port.ts";
import type { Attachment } from "./result.ts";

/** Attaches the container; on any failure undoes everything and rethrows. */
export async function cmdAdd(conf: NetConf, args: CmdArgs): Promise<Attachment> {
  const plan = planAttachment(conf, args.containerId, args.ifname);
  const netns = args.netns!;
  return await withAttachmentLock(conf, plan, async () => {
    ensureNetnsDir();
    // The veth does not need the databases: its `ip` runs while they are opened.
    const veth = createVeth(conf, plan, netns, args.ifname);
    veth.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
    let opened = false;
    try {
      return await withDatabases(conf, async (dbs) => {
        opened = true;
        try {
          return await attach(conf, args, plan, dbs, veth);
        } catch (e) {
          await veth.catch(() => {});
          await deleteAttachment(plan, dbs).catch(() => {});
          throw e;
        }
      });
    } catch (e) {
      // The databases could not be opened: only the veth may exist.
      if (!opened && await veth.then(() => true, () => false)) {
        await deleteVeths([plan.veth]).catch(() => {});
      }
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
  const prefix = parseCidr(conf.subnet)!.prefix;
  // Each step starts as soon as what it needs is there. The wait for the
  // binding (the long one) starts only once everything it depends on worked.
  const addr = allocatePort(nb, conf, plan);
  const plugged = veth.then(() => plugIntoBridge(ovs, plan));
  const offload = veth.then(() => setTxChecksumming(conf, netns, args.ifname));
  const done = allDone([
    plugged,
    offload,
    Promise.all([addr, veth]).then(([a]) =>
      configureContainer(conf, netns, args.ifname, a, prefix)
    ),
    Promise.all([addr, plugged, offload]).then(([a]) => secureWhenUp(nb, conf, plan, a)),
  ]);
  // Every step settles before anything is rolled back.
  await allDone([addr, done]);
  const { mac, ip } = await addr;
  return {
    ifname: args.ifname,
    mac,
    sandbox: netns,
    address: `${ip}/${prefix}`,
    gateway: conf.gateway,
    routes: [{ dst: "0.0.0.0/0", gw: conf.gateway }],
    mtu: conf.mtu,
    dns: conf.dns,
  };
}
