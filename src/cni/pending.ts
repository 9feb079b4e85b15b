/**
 * Removals that DEL could not finish because a database did not answer in
 * time. DEL never fails for that (the Mesos agent never retries a DEL: the
 * container would stay in destroy for good); it records here, under the run
 * directory, what is left to remove, one file per attachment and database.
 * The next plugin command on this host that reaches the database, GC, and
 * the driver's `gc` complete them. Each is completed under the attachment's
 * lock, and an ADD of the same attachment drops its records first (under the
 * same lock), so a deferred removal never removes a newer port.
 */
import { planAttachment, withAttachmentLock } from "./attachment.ts";
import type { NetConf } from "./config.ts";
import type { Database } from "../ovsdb/client.ts";
import { removeFromNb } from "./nb_ports.ts";
import { unplugFromBridge } from "./ovs_ports.ts";

/** Which database a record waits for. */
export type PendingDb = "nb" | "ovs";

/** One deferred removal. */
export interface PendingRemoval {
  db: PendingDb;
  containerId: string;
  ifname: string;
  /** The logical port (nb) or the OVS port (ovs). */
  name: string;
  /** When DEL gave up on it (ISO time). */
  since: string;
}

function dir(conf: NetConf): string {
  return `${conf.runDir}/pending`;
}

function file(conf: NetConf, db: PendingDb, veth: string): string {
  return `${dir(conf)}/${db}-${veth}.json`;
}

/** Records a removal for later (atomically: a reader never sees half a record). */
export function recordPending(conf: NetConf, r: Omit<PendingRemoval, "since">): void {
  const plan = planAttachment(conf, r.containerId, r.ifname);
  Deno.mkdirSync(dir(conf), { recursive: true, mode: 0o700 });
  const path = file(conf, r.db, plan.veth);
  const tmp = `${path}.tmp-${Deno.pid}`;
  Deno.writeTextFileSync(tmp, JSON.stringify({ ...r, since: new Date().toISOString() }), {
    mode: 0o600,
  });
  Deno.renameSync(tmp, path);
}

/** Drops an attachment's records (an ADD of it supersedes them). Call under its lock. */
export function dropPending(conf: NetConf, containerId: string, ifname: string): void {
  const veth = planAttachment(conf, containerId, ifname).veth;
  for (const db of ["nb", "ovs"] as const) {
    try {
      Deno.removeSync(file(conf, db, veth));
    } catch { /* none */ }
  }
}

/** Every record of this host and network; one directory read when there is none. */
export function listPending(conf: NetConf, db?: PendingDb): PendingRemoval[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir(conf))];
  } catch {
    return [];
  }
  const out: PendingRemoval[] = [];
  for (const e of entries) {
    if (!e.name.endsWith(".json") || (db && !e.name.startsWith(`${db}-`))) continue;
    try {
      out.push(JSON.parse(Deno.readTextFileSync(`${dir(conf)}/${e.name}`)));
    } catch { /* removed meanwhile, or not ours */ }
  }
  return out;
}

/**
 * Completes the records of one database, each under its attachment's lock;
 * returns the names removed. Skips (and keeps) a record whose attachment is
 * being added again right now: that ADD drops it.
 */
export async function completePending(
  conf: NetConf,
  db: PendingDb,
  database: Database,
  skip?: { containerId: string; ifname: string },
): Promise<string[]> {
  const done: string[] = [];
  for (const r of listPending(conf, db)) {
    if (skip && r.containerId === skip.containerId && r.ifname === skip.ifname) continue;
    const plan = planAttachment(conf, r.containerId, r.ifname);
    await withAttachmentLock(conf, plan, async () => {
      const path = file(conf, db, plan.veth);
      try {
        Deno.statSync(path);
      } catch {
        return; // completed or superseded meanwhile
      }
      if (db === "nb") await removeFromNb(database, [r.name], true);
      else await unplugFromBridge(database, [r.name]);
      Deno.removeSync(path);
      done.push(r.name);
    }, (ok) => ok); // the attachment is gone: its lock file goes too
  }
  return done;
}
