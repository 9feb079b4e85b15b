/** The plugin's logical switch ports in the Northbound database. */
import { CniCode, CniError } from "../errors.ts";
import * as ls from "../ovn/nb/logical_switch.ts";
import * as lsp from "../ovn/nb/logical_switch_port.ts";
import { detachChildren } from "../ovn/nb/_child.ts";
import type { Database } from "../ovsdb/client.ts";
import * as names from "../names.ts";
import { parseCidr, parseIpv4 } from "../net/cidr.ts";
import { isConstraintViolation, isGuardFailure } from "../ovsdb/errors.ts";
import { atoms, byIds, entries, eq, guard, mutate, rowUuid, select, uuid } from "../ovsdb/ops.ts";
import { addressesIn, macFor, pickAddress } from "./allocate.ts";
import type { AttachmentPlan } from "./attachment.ts";
import { allDone } from "./all_done.ts";
import type { NetConf } from "./config.ts";
import { removeLoadBalancers } from "./mappings.ts";

/** A port's allocated addresses. */
export interface PortAddress {
  mac: string;
  ip: string;
}

/** The port {@link allocatePort} made: its addresses and its row's _uuid. */
export interface AllocatedPort extends PortAddress {
  uuid: string;
}

/**
 * Creates the port whole: an address chosen here (see allocate.ts), its MAC,
 * and port security, in one insert guarded against a concurrent ADD that
 * chose the same address. A port of the same name (an ADD that never got its
 * DEL) is replaced when `mayReplace` says the attachment is not live.
 */
export async function allocatePort(
  nb: Database,
  conf: NetConf,
  plan: AttachmentPlan,
  opts: { mayReplace: () => Promise<boolean>; onInserted: () => void },
): Promise<AllocatedPort> {
  const subnet = parseCidr(conf.subnet)!;
  const excluded = new Set([parseIpv4(conf.gateway)!]);
  // Knowing the host port's address, ADD reads nothing first: the guard is the
  // check. Without it (an older configuration), or once the subnet proves
  // crowded, it reads what this host's ports hold.
  let read = false;
  const readUsed = async () => {
    for (const a of await usedAddresses(nb, conf)) excluded.add(a);
    read = true;
  };
  if (conf.hostAddress) excluded.add(parseIpv4(conf.hostAddress)!);
  else await readUsed();
  for (let attempt = 0; attempt < 64; attempt++) {
    if (!read && attempt === 3) await readUsed();
    const ip = pickAddress(subnet, excluded);
    if (!ip && !read) {
      await readUsed();
      continue;
    }
    if (!ip) {
      throw new CniError(
        CniCode.OvnFailure,
        `no address left on switch ${conf.logicalSwitch} (subnet ${conf.subnet})`,
      );
    }
    const addr = { mac: macFor(ip), ip };
    try {
      const uuid = await insertPort(nb, conf, plan, addr);
      opts.onInserted();
      return { ...addr, uuid };
    } catch (e) {
      if (isGuardFailure(e)) {
        excluded.add(parseIpv4(ip)!); // another ADD took it first
      } else if (isConstraintViolation(e) && await opts.mayReplace()) {
        await removePorts(nb, [plan.lsp]);
      } else {
        throw e;
      }
    }
  }
  throw new CniError(
    CniCode.TryAgainLater,
    `could not claim an address on switch ${conf.logicalSwitch}: too many concurrent ADDs`,
  );
}

/** The addresses this host's ports hold (container ports, the host port). */
async function usedAddresses(nb: Database, conf: NetConf): Promise<number[]> {
  const [rows] = await nb.read([
    select(lsp.TABLE, byIds({ [names.Ext.host]: conf.hostId }), ["addresses", "dynamic_addresses"]),
  ]);
  return addressesIn(
    rows.flatMap((r) => [...atoms(r.addresses), ...atoms(r.dynamic_addresses)].map(String)),
  );
}

async function insertPort(
  nb: Database,
  conf: NetConf,
  plan: AttachmentPlan,
  addr: PortAddress,
): Promise<string> {
  const text = `${addr.mac} ${addr.ip}`;
  const sw = { table: ls.TABLE, where: [eq("name", conf.logicalSwitch)], column: "ports" };
  const port = { name: plan.lsp, addresses: [text], portSecurity: [text], externalIds: plan.ids };
  const results = await nb.transact([
    guard(lsp.TABLE, [["addresses", "includes", text]], ["name"], []),
    ...lsp.addPort(port, sw, "lsp"),
  ]);
  if (results[2].count !== 1) {
    throw new CniError(
      CniCode.OvnFailure,
      `logical switch ${conf.logicalSwitch} does not exist: run node-init on this host`,
    );
  }
  return results[1].uuid![1];
}

/**
 * Removes port `name` of switch `sw` by its row's recorded _uuid, in one
 * transaction guarded on that row still being that port: true when it did;
 * false when the record is stale (the row is gone, or is not that port), and
 * nothing changed. No other switch's port is touched whatever the uuid.
 */
export async function removePortRow(
  nb: Database,
  sw: string,
  name: string,
  id: string,
): Promise<boolean> {
  try {
    await nb.transact([
      guard(lsp.TABLE, [["_uuid", "==", uuid(id)]], ["name"], [{ name }]),
      mutate(ls.TABLE, [eq("name", sw), ["ports", "includes", uuid(id)]], [[
        "ports",
        "delete",
        uuid(id),
      ]]),
    ]);
    return true;
  } catch (e) {
    if (isGuardFailure(e)) return false;
    throw e;
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
