/** The two databases an attachment lives in, opened together and always closed. */
import type { OvsdbClient } from "../ovn/ovsdb.ts";
import type { NetConf } from "./config.ts";
import { type NbPorts, openNb } from "./nb_ports.ts";
import { openOvs } from "./ovs_ports.ts";

/** Northbound and the local Open vSwitch. */
export interface Databases {
  nb: NbPorts;
  ovs: OvsdbClient;
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
