/** CNI STATUS: ready only when NB, the local OVS and ovn-controller all answer. */
import { CniCode, CniError } from "../errors.ts";
import { Database } from "../ovsdb/client.ts";
import { isWaitTimeout } from "../ovsdb/errors.ts";
import { mutate, select, waitUntil } from "../ovsdb/ops.ts";
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
    northdProcesses(conf, timeoutMs),
    readable(conf.ovsDb, OVS, "Open_vSwitch"),
    askController(conf.ovnRundir, timeoutMs),
  ]);
  const parts = [
    "OVN Northbound database and ovn-northd",
    "local Open vSwitch database",
    "ovn-controller",
  ];
  const down = checks.flatMap((c, i) =>
    c.status === "rejected" ? [`${parts[i]}: ${(c.reason as Error).message.split("\n")[0]}`] : []
  );
  if (down.length) {
    throw new CniError(CniCode.NotAvailable, "the OVN network is not ready", down.join("; "));
  }
}

/**
 * NB answers and ovn-northd is processing it: one round of `nb_cfg` (bumped)
 * to `sb_cfg` (northd copies it once it has handled everything before), as
 * `ovn-nbctl --wait=sb sync` does. Without it, STATUS would say ready while
 * every ADD waits in vain for an address. It costs NB one small write, SB one,
 * and each chassis one write of its own `nb_cfg` when it catches up.
 */
async function northdProcesses(conf: NetConf, timeoutMs: number): Promise<void> {
  const nb = await Database.open(conf.nb.remote, NB, { timeoutMs, ssl: conf.nb.ssl });
  try {
    const [, [row]] = await nb.read([
      mutate("NB_Global", [], [["nb_cfg", "+=", 1]]),
      select("NB_Global", [], ["sb_cfg"]),
    ]);
    const before = row?.sb_cfg as number;
    try {
      await nb.transact(
        [waitUntil("NB_Global", [], ["sb_cfg"], "!=", [{ sb_cfg: before }], timeoutMs)],
        timeoutMs + 2000,
      );
    } catch (e) {
      if (!isWaitTimeout(e)) throw e;
      throw new Error(`ovn-northd did not process NB within ${timeoutMs} ms: is it running?`);
    }
  } finally {
    nb.close();
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
