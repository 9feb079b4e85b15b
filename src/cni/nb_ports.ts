/** The plugin's logical switch ports in the Northbound database. */
import { CniCode, CniError } from "../errors.ts";
import * as ls from "../ovn/nb/logical_switch.ts";
import * as lsp from "../ovn/nb/logical_switch_port.ts";
import { detachChildren } from "../ovn/nb/_child.ts";
import type { Database } from "../ovsdb/client.ts";
import { isConstraintViolation, isWaitTimeout } from "../ovsdb/errors.ts";
import { byIds, entries, eq, rowUuid, select } from "../ovsdb/ops.ts";
import type { AttachmentPlan } from "./attachment.ts";
import { allDone } from "./all_done.ts";
import type { NetConf } from "./config.ts";
import { removeLoadBalancers } from "./mappings.ts";

/** A port's allocated addresses. */
export interface PortAddress {
  mac: string;
  ip: string;
}

/**
 * Creates the port with a dynamic address (replacing a stale one of the same
 * name) and waits for northd to allocate it.
 */
export async function allocatePort(
  nb: Database,
  conf: NetConf,
  plan: AttachmentPlan,
  opts: { mayReplace: () => Promise<boolean>; onInserted: () => void },
): Promise<PortAddress> {
  // Both requests go out at once: the server runs them in order, so the
  // wait sees the new port. Only a stale port of the same name (an ADD that
  // never got its DEL) needs a second round: remove it, then again.
  const inserted = insertPort(nb, conf, plan);
  const address = readAddress(nb, conf, plan);
  address.catch(() => {});
  try {
    await inserted;
  } catch (e) {
    if (!isConstraintViolation(e) || !await opts.mayReplace()) throw e;
    await removePorts(nb, [plan.lsp]);
    await insertPort(nb, conf, plan);
    opts.onInserted();
    return await readAddress(nb, conf, plan);
  }
  opts.onInserted();
  return await address;
}

async function insertPort(nb: Database, conf: NetConf, plan: AttachmentPlan): Promise<void> {
  const sw = { table: ls.TABLE, where: [eq("name", conf.logicalSwitch)], column: "ports" };
  const port = { name: plan.lsp, addresses: ["dynamic"], externalIds: plan.ids };
  const results = await nb.transact(lsp.addPort(port, sw, "lsp"));
  if (results[1].count !== 1) {
    throw new CniError(
      CniCode.OvnFailure,
      `logical switch ${conf.logicalSwitch} does not exist: run node-init on this host`,
    );
  }
}

async function readAddress(
  nb: Database,
  conf: NetConf,
  plan: AttachmentPlan,
): Promise<PortAddress> {
  const ms = nb.timeoutMs;
  let rows;
  try {
    [, , rows] = await nb.read(
      [...lsp.waitForDynamicAddress(plan.lsp, ms), lsp.selectPort(plan.lsp, ["dynamic_addresses"])],
      ms + 2000,
    );
  } catch (e) {
    if (!isWaitTimeout(e)) throw e;
    throw new CniError(
      CniCode.TryAgainLater,
      `no address was allocated to ${plan.lsp} within ${conf.dbTimeoutSeconds} s`,
      `is ovn-northd running, and has switch ${conf.logicalSwitch} addresses left?`,
    );
  }
  const addr = lsp.dynamicAddress(rows[0]);
  if (!addr) {
    throw new CniError(
      CniCode.OvnFailure,
      `no address left on switch ${conf.logicalSwitch}`,
      `dynamic_addresses of ${plan.lsp} is "${String(rows[0]?.dynamic_addresses ?? "")}"`,
    );
  }
  return addr;
}

/** Pins port security to the address once ovn-controller has bound the port (`up`). */
export async function secureWhenUp(
  nb: Database,
  conf: NetConf,
  plan: AttachmentPlan,
  addr: PortAddress,
): Promise<void> {
  const ms = Math.ceil(conf.bindTimeoutSeconds * 1000);
  try {
    await nb.transact(
      [lsp.waitUp(plan.lsp, ms), lsp.securePort(plan.lsp, addr.mac, addr.ip)],
      ms + 2000,
    );
  } catch (e) {
    if (!isWaitTimeout(e)) throw e;
    throw new CniError(
      CniCode.BindTimeout,
      `port ${plan.lsp} was not bound by ovn-controller within ${conf.bindTimeoutSeconds} s`,
      "is ovn-controller running on this host and connected to the Southbound database?",
    );
  }
}

/** Removes ports by name; absent ones are no error. */
export async function removePorts(nb: Database, names: string[]): Promise<void> {
  if (!names.length) return;
  const found = await nb.read(names.map((n) => lsp.selectPort(n, ["_uuid"])));
  const uuids = found.flat().map(rowUuid);
  await nb.transact(detachChildren(ls.TABLE, "ports", uuids));
}

/** external_ids of the ports whose external_ids include all of `ids`. */
export async function findPorts(
  nb: Database,
  ids: Record<string, string>,
): Promise<Record<string, string>[]> {
  const [rows] = await nb.read([select(lsp.TABLE, byIds(ids), ["external_ids"])]);
  return rows.map((r) => entries(r.external_ids));
}

/** Removes logical ports and, when the attachments had mappings, their load balancers. */
export async function removeFromNb(nb: Database, lsps: string[], mapped: boolean): Promise<void> {
  await allDone([
    removePorts(nb, lsps),
    mapped ? removeLoadBalancers(nb, lsps) : Promise.resolve(),
  ]);
}
