/** The plugin's ports on this host's integration bridge. */
import { CniCode, CniError } from "../errors.ts";
import { INTEGRATION_BRIDGE } from "../names.ts";
import { bridgeWhere } from "../ovs/bridge.ts";
import * as port from "../ovs/port.ts";
import type { Database } from "../ovsdb/client.ts";
import { isConstraintViolation, isWaitTimeout } from "../ovsdb/errors.ts";
import { atoms, byIds, entries, eq, rowUuid, select, waitUntil } from "../ovsdb/ops.ts";
import type { AttachmentPlan } from "./attachment.ts";
import type { NetConf } from "./config.ts";

/**
 * Adds the host end to br-int, naming the logical port it carries (replacing a
 * stale port). It may go in before the veth exists: ovs-vswitchd attaches the
 * device when the kernel announces it.
 */
export async function plugIntoBridge(
  ovs: Database,
  plan: AttachmentPlan,
  mayReplace: () => Promise<boolean>,
): Promise<void> {
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

/**
 * Waits until ovn-controller reports the port's flows installed on this host
 * (`external_ids:ovn-installed` on its OVS interface, as ovn-kubernetes' CNI
 * waits for it): local, no round trip through ovn-northd. Port security is in
 * force by then (the port was created with it).
 */
export async function waitInstalled(
  ovs: Database,
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
    // Which daemon let it down: ovs-vswitchd never attached the port, or ovn-controller never bound it.
    const [[iface]] = await ovs.read([port.selectInterface(plan.veth, ["ofport", "error"])])
      .catch(() => [[undefined]]);
    const ofport = iface ? atoms(iface.ofport)[0] : undefined;
    if (iface && (ofport === undefined || ofport === -1)) {
      const why = atoms(iface.error)[0];
      throw new CniError(
        CniCode.BindTimeout,
        `ovs-vswitchd did not attach ${plan.veth} within ${conf.bindTimeoutSeconds} s${
          why ? ` (${why})` : ""
        }`,
        "is ovs-vswitchd running on this host?",
      );
    }
    throw new CniError(
      CniCode.BindTimeout,
      `port ${plan.lsp} was not bound by ovn-controller within ${conf.bindTimeoutSeconds} s`,
      "is ovn-controller running on this host and connected to the Southbound database?",
    );
  }
}
