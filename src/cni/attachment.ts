/** One (network, container, interface) attachment: its names, its rows, its lock. */
import * as names from "../names.ts";
import { VERSION } from "../version.ts";
import type { NetConf } from "./config.ts";
import { formatPortMappings } from "./port_mappings.ts";

/** The names and ids of what ADD makes for one attachment. */
export interface AttachmentPlan {
  /** The logical switch port. */
  lsp: string;
  /** The host end of the veth, also the OVS port name. */
  veth: string;
  /** external_ids recorded on the logical port and the OVS interface. */
  ids: Record<string, string>;
}

/** Derives every name for an attachment; the same inputs always give the same names. */
export function planAttachment(conf: NetConf, containerId: string, ifname: string): AttachmentPlan {
  return {
    lsp: names.containerPort(conf.name, containerId, ifname),
    veth: names.hostVethName(conf.name, containerId, ifname),
    ids: {
      [names.Ext.role]: "container-port" satisfies names.Role,
      [names.Ext.host]: conf.hostId,
      [names.Ext.network]: conf.name,
      [names.Ext.containerId]: containerId,
      [names.Ext.ifname]: ifname,
      [names.Ext.version]: VERSION,
      ...(conf.portMappings?.length
        ? { [names.Ext.portMappings]: formatPortMappings(conf.portMappings) }
        : {}),
    },
  };
}

/**
 * Holds an exclusive lock for one attachment while `fn` runs, so that an ADD
 * and a DEL of the same attachment never interleave. Different attachments
 * never wait on each other. The kernel drops the lock if the process dies.
 * With `remove`, the lock file goes too (after DEL, or an ADD that failed), so
 * that files do not pile up; whoever locked the removed file locks afresh.
 */
export async function withAttachmentLock<T>(
  conf: NetConf,
  plan: AttachmentPlan,
  fn: (lock: Deno.FsFile) => Promise<T>,
  remove: (ok: boolean) => boolean = () => false,
): Promise<T> {
  const path = lockPath(conf, plan);
  ensurePrivateDir(`${conf.runDir}/locks`);
  while (true) {
    const file = Deno.openSync(path, { create: true, read: true, write: true, mode: 0o600 });
    file.lockSync(true); // sync: no thread hop (~1 ms); a wait here is for the same attachment only
    if (!sameFile(path, file)) {
      file.close();
      continue;
    }
    let ok = false;
    try {
      const result = await fn(file);
      ok = true;
      return result;
    } finally {
      if (remove(ok)) removeQuietly(path);
      file.close();
    }
  }
}

/** {@link withAttachmentLock} for several attachments at once, always locked in the same order. */
export function withAttachmentLocks<T>(
  conf: NetConf,
  plans: AttachmentPlan[],
  fn: () => Promise<T>,
  remove: (ok: boolean) => boolean = () => false,
): Promise<T> {
  const sorted = [...plans].sort((a, b) => a.veth.localeCompare(b.veth));
  const lockFrom = (i: number): Promise<T> =>
    i === sorted.length ? fn() : withAttachmentLock(conf, sorted[i], () => lockFrom(i + 1), remove);
  return lockFrom(0);
}

/**
 * The lock directory is root's alone: anyone who could open a lock file could
 * flock it and hold every ADD and DEL of that attachment (Mesos never times
 * them out).
 */
function ensurePrivateDir(dir: string): void {
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((Deno.statSync(dir).mode! & 0o777) !== 0o700) Deno.chmodSync(dir, 0o700);
}

function sameFile(path: string, file: Deno.FsFile): boolean {
  try {
    return Deno.statSync(path).ino === file.statSync().ino;
  } catch {
    return false;
  }
}

function lockPath(conf: NetConf, plan: AttachmentPlan): string {
  return `${conf.runDir}/locks/${plan.veth}.lock`;
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* never made, or already gone */ }
}

/**
 * The rows a successful ADD made, kept in the attachment's lock file for its
 * DEL: with them, DEL removes each row in one transaction (guarded on the row
 * still being the attachment's), without reading it by name first. The record
 * is a shortcut only: when it is missing or stale, DEL finds the rows by name.
 */
export interface AttachmentRows {
  /** The Logical_Switch_Port's _uuid. */
  lsp: string;
  /** The OVS Port's _uuid. */
  port: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Records `rows` in the attachment's lock file (taken by {@link withAttachmentLock}). */
export function writeRows(lock: Deno.FsFile, rows: AttachmentRows): void {
  const bytes = new TextEncoder().encode(JSON.stringify(rows));
  lock.truncateSync(0);
  lock.seekSync(0, Deno.SeekMode.Start);
  for (let n = 0; n < bytes.length;) n += lock.writeSync(bytes.subarray(n));
}

/** The rows {@link writeRows} recorded; undefined when there are none, or not as written. */
export function readRows(lock: Deno.FsFile): AttachmentRows | undefined {
  const buf = new Uint8Array(256);
  lock.seekSync(0, Deno.SeekMode.Start);
  const n = lock.readSync(buf);
  if (!n) return undefined;
  try {
    const r = JSON.parse(new TextDecoder().decode(buf.subarray(0, n)));
    return UUID.test(r?.lsp) && UUID.test(r?.port) ? { lsp: r.lsp, port: r.port } : undefined;
  } catch {
    return undefined;
  }
}
