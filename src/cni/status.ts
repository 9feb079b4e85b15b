/** CNI STATUS: ready only when NB, the local OVS and ovn-controller all answer. */
import { CniCode, CniError } from "../errors.ts";
import { Database } from "../ovsdb/client.ts";
import { select } from "../ovsdb/ops.ts";
import { SocketTransport } from "../ovsdb/transport.ts";
import type { NetConf } from "./config.ts";
import { NB, OVS } from "./databases.ts";

/** Throws code 50 naming every part that is not ready. */
export async function cmdStatus(conf: NetConf): Promise<void> {
  const timeoutMs = Math.min(conf.dbTimeoutSeconds, 5) * 1000;
  const readable = async (remote: string, name: string, table: string) => {
    const db = await Database.open(remote, name, {
      timeoutMs,
      ssl: name === NB ? conf.nb.ssl : undefined,
    });
    try {
      await db.read([select(table, [], ["_uuid"])]);
    } finally {
      db.close();
    }
  };
  const checks = await Promise.allSettled([
    readable(conf.nb.remote, NB, "NB_Global"),
    readable(conf.ovsDb, OVS, "Open_vSwitch"),
    askController(conf.ovnRundir, timeoutMs),
  ]);
  const parts = ["OVN Northbound database", "local Open vSwitch database", "ovn-controller"];
  const down = checks.flatMap((c, i) =>
    c.status === "rejected" ? [`${parts[i]}: ${(c.reason as Error).message.split("\n")[0]}`] : []
  );
  if (down.length) {
    throw new CniError(CniCode.NotAvailable, "the OVN network is not ready", down.join("; "));
  }
}

/**
 * Asks ovn-controller for its version over its control socket: the same
 * JSON-RPC that `ovn-appctl` speaks, with no process. ovn-controller has no
 * database row that proves it is alive, so this is the one place that talks
 * to a daemon rather than a database.
 */
async function askController(rundir: string, timeoutMs: number): Promise<void> {
  const pidFile = `${rundir}/ovn-controller.pid`;
  const pid = (await Deno.readTextFile(pidFile).catch(() => "")).trim();
  if (!/^\d+$/.test(pid)) throw new Error(`no pidfile ${pidFile}: is it running?`);
  const ctl = await SocketTransport.connect(
    { kind: "unix", path: `${rundir}/ovn-controller.${pid}.ctl` },
    timeoutMs,
  );
  try {
    await ctl.request("version", [], timeoutMs);
  } finally {
    ctl.close();
  }
}
