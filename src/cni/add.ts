/** CNI ADD: a logical port, a veth in br-int and in the container, bound before we return. */
import { CniCode, CniError } from "../errors.ts";
import { OvsdbUnreachable } from "../ovsdb/errors.ts";
import * as names from "../names.ts";
import { parseCidr } from "../net/cidr.ts";
import { ensureNetnsDir, ipJson } from "../net/ip.ts";
import * as lsp from "../ovn/nb/logical_switch_port.ts";
import { atoms } from "../ovsdb/ops.ts";
import { allDone } from "./all_done.ts";
import {
  type AttachmentPlan,
  type AttachmentRows,
  planAttachment,
  withAttachmentLock,
  writeRows,
} from "./attachment.ts";
import type { NetConf } from "./config.ts";
import { closeDatabases, type Databases, openDatabases } from "./databases.ts";
import type { CmdArgs } from "./env.ts";
import { allocatePort, type PortAddress, removePorts } from "./nb_ports.ts";
import { plugIntoBridge, unplugFromBridge } from "./ovs_ports.ts";
import { waitInstalled } from "./readiness.ts";
import {
  applyMappings,
  dropRecord,
  type MappingsMade,
  removeLoadBalancers,
  removeLocalMappings,
} from "./mappings.ts";
import { completePending, dropPending, recordPending } from "./pending.ts";
import {
  configureContainer,
  createVeth,
  deleteVeths,
  hostLinkExists,
  setTxChecksumming,
} from "./port.ts";
import type { Attachment } from "./result.ts";

/** What this call made: a failed ADD undoes exactly that, and nothing another call made. */
interface Made {
  veth: boolean;
  /** The logical port: made, or perhaps (its insert went out and no answer came). */
  port: boolean | "perhaps";
  /** The OVS port, likewise. */
  plugged: boolean | "perhaps";
  mappings: MappingsMade;
  /** The rows made, recorded for DEL once ADD succeeds. */
  rows: Partial<AttachmentRows>;
}

/** Marks `key` "perhaps" made when its request got no answer (the server may still run it). */
function unsure<T>(p: Promise<T>, made: Made, key: "port" | "plugged"): Promise<T> {
  return p.catch((e) => {
    if (e instanceof OvsdbUnreachable && !e.unsent && made[key] === false) made[key] = "perhaps";
    throw e;
  });
}

/** Attaches the container; on any failure undoes what it made and rethrows. */
export async function cmdAdd(conf: NetConf, args: CmdArgs): Promise<Attachment> {
  const plan = planAttachment(conf, args.containerId, args.ifname);
  // The databases open while the lock is taken and the veth is asked for.
  const opening = openDatabases(conf);
  try {
    const att = await withAttachmentLock(conf, plan, async (lock) => {
      dropPending(conf, args.containerId, args.ifname);
      const made: Made = {
        veth: false,
        port: false,
        plugged: false,
        mappings: { record: false, nft: false, lbs: false },
        rows: {},
      };
      // The kernel's part first (off the event loop): the port is ready only
      // once ovs-vswitchd has the veth, so it is the longest way to readiness.
      const veth = createVeth(conf, plan, args.netns!, args.ifname).then(() => {
        made.veth = true;
      });
      let vethFailed = false;
      veth.catch(() => vethFailed = true); // awaited by attach, or below
      let dbs: Databases | undefined;
      try {
        dbs = await opening;
        if (vethFailed) await veth; // its error, with nothing asked of the databases
        const att = await attach(conf, args, plan, dbs, made, veth);
        const { lsp, port } = made.rows;
        try {
          if (lsp && port) writeRows(lock, { lsp, port });
        } catch {
          // Only a shortcut for DEL, which finds the rows by name without it.
        }
        return att;
      } catch (e) {
        await veth.catch(() => {});
        if (dbs && !made.veth && hostLinkExists(plan.veth)) {
          // The host end is there already: this attachment exists (a repeated ADD).
          return await answerAgain(conf, args, plan, dbs, e);
        }
        await undo(conf, plan, dbs, made);
        throw e;
      }
    }, (ok) => !ok);
    // Deferred removals of other attachments, now that NB and OVS answer (after our lock).
    const dbs = await opening;
    await completePending(conf, "nb", dbs.nb).catch(() => {});
    await completePending(conf, "ovs", dbs.ovs).catch(() => {});
    return att;
  } finally {
    closeDatabases(opening);
  }
}

async function attach(
  conf: NetConf,
  args: CmdArgs,
  plan: AttachmentPlan,
  { nb, ovs }: Databases,
  made: Made,
  veth: Promise<void>,
): Promise<Attachment> {
  const netns = args.netns!;
  const prefix = parseCidr(conf.subnet)!.prefix;
  // The NB insert and the OVS port go out at once, while the kernel makes the
  // veth; each later step starts as soon as what it needs is there. A port of
  // the same name (NB or OVS) is replaced only when the veth was new (a stale
  // port of a container that is gone), never under a live one.
  const vethIsNew = () => veth.then(() => true, () => false);
  const addr = unsure(
    allocatePort(nb, conf, plan, { mayReplace: vethIsNew, onInserted: () => made.port = true }),
    made,
    "port",
  ).then((a) => {
    made.rows.lsp = a.uuid;
    return a;
  });
  // Plugged at once, veth or not: ovs-vswitchd attaches it when the kernel announces it.
  const plugged = unsure(plugIntoBridge(ovs, plan, vethIsNew), made, "plugged").then((uuid) => {
    made.plugged = true;
    made.rows.port = uuid;
  });
  // Ready when ovn-controller has installed the port on this host: asked first,
  // once the three exist (the container's own set-up below, which holds the event
  // loop, goes after it).
  const installed = Promise.all([addr, plugged, veth]).then(() =>
    waitInstalled({ nb, ovs }, conf, plan)
  );
  const done = allDone([
    plugged,
    installed,
    Promise.all([addr, veth, plugged]).then(([a]) =>
      configureContainer(conf, netns, args.ifname, a, prefix)
    ),
    veth.then(() => setTxChecksumming(conf, netns, args.ifname)),
    addr.then((a) => applyMappings(conf, plan, nb, a, made.mappings)),
  ]);
  // Every step settles before anything is rolled back.
  await allDone([addr, done]);
  return result(conf, args, await addr, prefix);
}

function result(conf: NetConf, args: CmdArgs, a: PortAddress, prefix: number): Attachment {
  return {
    ifname: args.ifname,
    mac: a.mac,
    sandbox: args.netns!,
    address: `${a.ip}/${prefix}`,
    gateway: conf.gateway,
    routes: [{ dst: "0.0.0.0/0", gw: conf.gateway }],
    mtu: conf.mtu,
    dns: conf.dns,
  };
}

/** Undoes what this call made, and only that. */
async function undo(
  conf: NetConf,
  plan: AttachmentPlan,
  dbs: Databases | undefined,
  made: Made,
): Promise<void> {
  const m = made.mappings;
  // Without the databases, nothing but the veth can have been made.
  const { nb, ovs } = dbs ?? {} as Partial<Databases>;
  // What a database may still hold (a request it never answered, or a removal
  // it does not answer now) is recorded, as DEL does, and removed once it answers.
  // A database that has just failed us is not asked again (that would be another timeout).
  const removeOr = (db: "nb" | "ovs", name: string, remove: () => Promise<void>) =>
    (made[db === "nb" ? "port" : "plugged"] === "perhaps" ? Promise.reject() : remove()).catch(() =>
      recordPending(conf, {
        db,
        containerId: plan.ids[names.Ext.containerId],
        ifname: plan.ids[names.Ext.ifname],
        name,
      })
    );
  await allDone([
    made.veth ? deleteVeths([plan.veth]) : Promise.resolve(),
    made.port ? removeOr("nb", plan.lsp, () => removePorts(nb!, [plan.lsp])) : Promise.resolve(),
    made.plugged
      ? removeOr("ovs", plan.veth, () => unplugFromBridge(ovs!, [plan.veth]))
      : Promise.resolve(),
    m.nft ? removeLocalMappings(conf, plan) : Promise.resolve(m.record && dropRecord(conf, plan)),
    m.lbs ? removeLoadBalancers(nb!, [plan.lsp]) : Promise.resolve(),
  ]).catch(() => {});
}

/**
 * A repeated ADD of an attachment that exists: its result again when it is
 * healthy (its port bound and secured, the container's interface holding the
 * address); else an error that changes nothing.
 */
async function answerAgain(
  conf: NetConf,
  args: CmdArgs,
  plan: AttachmentPlan,
  { nb }: Databases,
  cause: unknown,
): Promise<Attachment> {
  const prefix = parseCidr(conf.subnet)!.prefix;
  const [[row]] = await nb.read([lsp.selectPort(plan.lsp)]);
  const addr = lsp.portAddress(row);
  ensureNetnsDir();
  const links = await ipJson<{ ifname: string; address: string; addr_info: { local: string }[] }[]>(
    ["addr", "show"],
    { netns: args.netns! },
  ).catch(() => []);
  const link = links.find((l) => l.ifname === args.ifname);
  const healthy = addr && lsp.isUp(row) &&
    atoms(row.port_security).includes(`${addr.mac} ${addr.ip}`) &&
    link?.address === addr.mac && link.addr_info.some((a) => a.local === addr.ip);
  if (healthy) return result(conf, args, addr, prefix);
  throw new CniError(
    CniCode.InvalidEnvironment,
    `${plan.lsp} is already attached (host end ${plan.veth}) but not as ADD leaves it: DEL it first`,
    (cause as Error).message,
  );
}
