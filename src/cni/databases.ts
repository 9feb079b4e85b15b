/** The two databases an attachment lives in, opened together and always closed. */
import { Database } from "../ovsdb/client.ts";
import type { NetConf } from "./config.ts";

export const NB = "OVN_Northbound";
export const OVS = "Open_vSwitch";

/** Northbound and the local Open vSwitch. */
export interface Databases {
  nb: Database;
  ovs: Database;
}

/** Opens NB (its leader, for a cluster). */
export function openNb(conf: NetConf): Promise<Database> {
  return Database.open(conf.nb.remote, NB, { timeoutMs: dbTimeoutMs(conf), ssl: conf.nb.ssl });
}

/** Opens the local Open vSwitch database. */
export function openOvs(conf: NetConf): Promise<Database> {
  return Database.open(conf.ovsDb, OVS, { timeoutMs: dbTimeoutMs(conf) });
}

/** How long one request to either database may take. */
export function dbTimeoutMs(conf: NetConf): number {
  return Math.ceil(conf.dbTimeoutSeconds * 1000);
}

/** Opens NB and the local OVS at once; rejects when either cannot be opened (closing the other). */
export async function openDatabases(conf: NetConf): Promise<Databases> {
  const [nb, ovs] = await Promise.allSettled([openNb(conf), openOvs(conf)]);
  if (nb.status === "fulfilled" && ovs.status === "fulfilled") {
    return { nb: nb.value, ovs: ovs.value };
  }
  if (nb.status === "fulfilled") nb.value.close();
  if (ovs.status === "fulfilled") ovs.value.close();
  throw nb.status === "rejected" ? nb.reason : (ovs as PromiseRejectedResult).reason;
}

/** Closes what {@link openDatabases} opened, if it did. */
export function closeDatabases(opening: Promise<Databases>): void {
  opening.then(({ nb, ovs }) => {
    nb.close();
    ovs.close();
  }, () => {});
}

/** Opens NB and the local OVS at once, runs `fn`, and closes both. */
export async function withDatabases<T>(
  conf: NetConf,
  fn: (dbs: Databases) => Promise<T>,
): Promise<T> {
  const [nb, ovs] = await Promise.allSettled([openNb(conf), openOvs(conf)]);
  try {
    if (nb.status === "rejected") throw nb.reason;
    if (ovs.status === "rejected") throw ovs.reason;
    return await fn({ nb: nb.value, ovs: ovs.value });
  } finally {
    if (nb.status === "fulfilled") nb.value.close();
    if (ovs.status === "fulfilled") ovs.value.close();
  }
}
