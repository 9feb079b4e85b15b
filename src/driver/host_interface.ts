/**
 * The host's own port on the overlay, on this host: the OVS internal
 * interface `ovn-mesos` in br-int that carries the logical port, its address,
 * MTU and route in the kernel, and the wait for ovn-controller to install it.
 */
import { DriverError } from "../errors.ts";
import { ipBatch, ipJson } from "../net/ip.ts";
import * as names from "../names.ts";
import { applyToSwitch } from "../ovs/apply.ts";
import { bridgeWhere, selectBridge } from "../ovs/bridge.ts";
import * as port from "../ovs/port.ts";
import { isWaitTimeout } from "../ovsdb/errors.ts";
import {
  byIds,
  entries,
  eq,
  map,
  mutate,
  rowUuid,
  sameColumns,
  set,
  update,
  waitUntil,
} from "../ovsdb/ops.ts";
import type { Context } from "./subcommand.ts";

/** What the host interface should be. */
export interface HostInterfaceSpec {
  /** The logical port it carries. */
  port: string;
  role: names.Role;
  host: string;
  mac: string;
  /** `IP/LEN`. */
  address: string;
  mtu: number;
  route: { dst: string; via: string };
  /** Extra external_ids: what node-init placed, so that node-remove finds it. */
  records: Record<string, string>;
}

/** Creates or updates the interface, configures it, and waits until ovn-controller installed it. */
export async function setUpHostInterface(ctx: Context, spec: HostInterfaceSpec): Promise<void> {
  const ovs = await ctx.ovs();
  const [[brInt], [iface]] = await ovs.read([
    selectBridge(names.INTEGRATION_BRIDGE),
    port.selectInterface(names.HOST_INTERFACE),
  ]);
  if (!brInt) {
    throw new DriverError(
      `bridge ${names.INTEGRATION_BRIDGE} does not exist on this host: is ovn-controller running?`,
    );
  }
  const ids = {
    "iface-id": spec.port,
    [names.Ext.role]: spec.role,
    [names.Ext.host]: spec.host,
    ...spec.records,
  };
  // mtu_request pins the MTU: without it OVS sizes an internal port to its bridge.
  const have = entries(iface?.external_ids);
  const same = iface && Object.entries(ids).every(([k, v]) => have[k] === v) &&
    sameColumns(iface, { type: "internal", mtu_request: spec.mtu });
  if (!iface) {
    await applyToSwitch(
      ovs,
      port.addPort(
        { name: names.HOST_INTERFACE, type: "internal", externalIds: ids, mtuRequest: spec.mtu },
        bridgeWhere({ uuid: rowUuid(brInt) }),
        "host",
      ),
    );
  } else if (!same) {
    // Only our keys change: ovn-controller's own (ovn-installed) stay.
    const where = [eq("name", names.HOST_INTERFACE)];
    await applyToSwitch(ovs, [
      update(port.INTERFACE, where, { type: "internal", mtu_request: spec.mtu }),
      mutate(port.INTERFACE, where, [["external_ids", "delete", set(Object.keys(ids))]]),
      mutate(port.INTERFACE, where, [["external_ids", "insert", map(ids)]]),
    ]);
  }
  const dev = names.HOST_INTERFACE;
  const [link] = await ipJson<
    { addr_info: { family: string; local: string; prefixlen: number }[] }[]
  >(
    ["addr", "show", "dev", dev],
  );
  const stale = (link?.addr_info ?? []).filter((a) =>
    a.family === "inet" && `${a.local}/${a.prefixlen}` !== spec.address
  );
  await ipBatch([
    ["link", "set", "dev", dev, "address", spec.mac, "mtu", String(spec.mtu), "up"],
    ...stale.map((a) => ["addr", "del", `${a.local}/${a.prefixlen}`, "dev", dev]),
    ["addr", "replace", spec.address, "dev", dev],
    ["route", "replace", spec.route.dst, "via", spec.route.via, "dev", dev],
  ]);
  try {
    const where = [eq("name", dev), ...byIds({ "ovn-installed": "true" })];
    await ovs.transact(
      [waitUntil(port.INTERFACE, where, ["name"], "==", [{ name: dev }], ctx.timeoutSec * 1000)],
      ctx.timeoutSec * 1000 + 2000,
    );
  } catch (e) {
    if (!isWaitTimeout(e)) throw e;
    throw new DriverError(
      `host port ${spec.port} was not bound within ${ctx.timeoutSec} s: is ovn-controller running and connected?`,
    );
  }
}

/** Removes the interface from whichever bridge holds it; absent is no error. */
export async function removeHostInterface(ctx: Context): Promise<void> {
  const ovs = await ctx.ovs();
  const [ports] = await ovs.read([port.selectPortByName(names.HOST_INTERFACE)]);
  if (ports.length) await applyToSwitch(ovs, port.removePorts(ports.map(rowUuid)));
}
