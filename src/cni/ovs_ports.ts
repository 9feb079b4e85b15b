/** The plugin's ports on this host's integration bridge. */
import { CniCode, CniError } from "../errors.ts";
import { INTEGRATION_BRIDGE } from "../names.ts";
import { bridgeWhere } from "../ovs/bridge.ts";
import * as port from "../ovs/port.ts";
import type { Database } from "../ovsdb/client.ts";
import { isConstraintViolation, isGuardFailure } from "../ovsdb/errors.ts";
import { byIds, entries, guard, rowUuid, select, uuid } from "../ovsdb/ops.ts";
import type { AttachmentPlan } from "./attachment.ts";

/**
 * Adds the host end to br-int, naming the logical port it carries (replacing a
 * stale port). It may go in before the veth exists: ovs-vswitchd attaches the
 * device when the kernel announces it. Answers the Port row's _uuid.
 */
export async function plugIntoBridge(
  ovs: Database,
  plan: AttachmentPlan,
  mayReplace: () => Promise<boolean>,
): Promise<string> {
  const ops = port.addPort(
    { name: plan.veth, externalIds: { "iface-id": plan.lsp, ...plan.ids } },
    bridgeWhere({ name: INTEGRATION_BRIDGE }),
    "port",
  );
  let results;
  try {
    results = await ovs.transact(ops);
  } catch (e) {
    // A port of that name: stale (replace it) unless this attachment is live (a repeated ADD).
    if (!isConstraintViolation(e) || !await mayReplace()) throw e;
    await unplugFromBridge(ovs, [plan.veth]);
    results = await ovs.transact(ops);
  }
  if (results[2].count !== 1) {
    throw new CniError(
      CniCode.OvnFailure,
      `bridge ${INTEGRATION_BRIDGE} does not exist on this host`,
    );
  }
  return results[1].uuid![1];
}

/**
 * Removes OVS port `name` from br-int by its row's recorded _uuid, in one
 * transaction guarded on that row still being that port: true when it did;
 * false when the record is stale, and nothing changed.
 */
export async function unplugPortRow(ovs: Database, name: string, id: string): Promise<boolean> {
  try {
    await ovs.transact([
      guard(port.PORT, [["_uuid", "==", uuid(id)]], ["name"], [{ name }]),
      ...port.removePorts([id], bridgeWhere({ name: INTEGRATION_BRIDGE })),
    ]);
    return true;
  } catch (e) {
    if (isGuardFailure(e)) return false;
    throw e;
  }
}

/** Removes ports from whichever bridge holds them; absent ones are no error. */
export async function unplugFromBridge(ovs: Database, names: string[]): Promise<void> {
  if (!names.length) return;
  const found = await ovs.read(names.map(port.selectPortByName));
  await ovs.transact(port.removePorts(found.flat().map(rowUuid)));
}

/** external_ids of the interfaces whose external_ids include all of `ids`. */
export async function findInterfaces(
  ovs: Database,
  ids: Record<string, string>,
): Promise<Record<string, string>[]> {
  const [rows] = await ovs.read([select(port.INTERFACE, byIds(ids), ["external_ids"])]);
  return rows.map((r) => entries(r.external_ids));
}
