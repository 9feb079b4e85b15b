/**
 * When ADD's port is ready: ovn-controller reports its flows installed on
 * this host (`external_ids:ovn-installed` on its OVS interface, as
 * ovn-kubernetes' CNI waits for it): local, no round trip through ovn-northd.
 * Port security is in force by then (the port was created with it). When it
 * does not come in time, the answer names the daemon that let it down.
 */
import { CniCode, CniError } from "../errors.ts";
import * as lsp from "../ovn/nb/logical_switch_port.ts";
import * as port from "../ovs/port.ts";
import type { Database } from "../ovsdb/client.ts";
import { isWaitTimeout } from "../ovsdb/errors.ts";
import { atoms, byIds, eq, type Row, waitUntil } from "../ovsdb/ops.ts";
import type { AttachmentPlan } from "./attachment.ts";
import type { Databases } from "./databases.ts";
import type { NetConf } from "./config.ts";

/** Waits (server-side) for `ovn-installed`, at most `bindTimeoutSeconds`. */
export async function waitInstalled(
  { nb, ovs }: Databases,
  conf: NetConf,
  plan: AttachmentPlan,
): Promise<void> {
  const ms = Math.ceil(conf.bindTimeoutSeconds * 1000);
  const where = [eq("name", plan.veth), ...byIds({ "ovn-installed": "true" })];
  try {
    await ovs.transact(
      [waitUntil(port.INTERFACE, where, ["name"], "==", [{ name: plan.veth }], ms)],
      ms + 2000,
    );
  } catch (e) {
    if (!isWaitTimeout(e)) throw e;
    throw await notReady(nb, ovs, conf, plan);
  }
}

/**
 * Which daemon let the port down: ovs-vswitchd never attached it (no ofport),
 * ovn-northd never handled it (its `up`, which northd sets false then true, is
 * still unset: code 11, try again once northd runs), or else ovn-controller
 * never bound it.
 */
async function notReady(
  nb: Database,
  ovs: Database,
  conf: NetConf,
  plan: AttachmentPlan,
): Promise<CniError> {
  const s = conf.bindTimeoutSeconds;
  const none: Row[][] = [[]];
  const [[[iface]], [[row]]] = await Promise.all([
    ovs.read([port.selectInterface(plan.veth, ["ofport", "error"])]).catch(() => none),
    nb.read([lsp.selectPort(plan.lsp, ["up"])]).catch(() => none),
  ]);
  const ofport = iface ? atoms(iface.ofport)[0] : undefined;
  if (iface && (ofport === undefined || ofport === -1)) {
    const why = atoms(iface.error)[0];
    return new CniError(
      CniCode.BindTimeout,
      `ovs-vswitchd did not attach ${plan.veth} within ${s} s${why ? ` (${why})` : ""}`,
      "is ovs-vswitchd running on this host?",
    );
  }
  if (row && atoms(row.up).length === 0) {
    return new CniError(
      CniCode.TryAgainLater,
      `ovn-northd did not process port ${plan.lsp} within ${s} s`,
      "is ovn-northd running and connected to NB and SB?",
    );
  }
  return new CniError(
    CniCode.BindTimeout,
    `port ${plan.lsp} was not bound by ovn-controller within ${s} s`,
    "is ovn-controller running on this host and connected to the Southbound database?",
  );
}
