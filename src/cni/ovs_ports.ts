/** The plugin's ports on this host's integration bridge, over a direct OVSDB connection. */
import { CniCode, CniError } from "../errors.ts";
import { INTEGRATION_BRIDGE } from "../names.ts";
import {
  detachByName,
  OvsdbClient,
  OvsdbError,
  ovsMap,
  selectByExternalIds,
} from "../ovn/ovsdb.ts";
import type { AttachmentPlan } from "./attachment.ts";
import type { NetConf } from "./config.ts";

const DB = "Open_vSwitch";

/** The local Open vSwitch database: the configured socket, else where ovs-vsctl would look. */
export function ovsRemote(conf: NetConf): string {
  const rundir = Deno.env.get("OVS_RUNDIR") ?? "/var/run/openvswitch";
  return conf.ovsDb ?? `unix:${rundir}/db.sock`;
}

/** Connects to the local Open vSwitch database. */
export function openOvs(conf: NetConf): Promise<OvsdbClient> {
  return OvsdbClient.connect(ovsRemote(conf), conf.nbTimeoutSeconds * 1000);
}

/** Adds the host end to br-int, naming the logical port it carries (replacing a stale port). */
export async function plugIntoBridge(
  ovs: OvsdbClient,
  conf: NetConf,
  plan: AttachmentPlan,
): Promise<void> {
  const ms = conf.nbTimeoutSeconds * 1000;
  const ops = [
    {
      op: "insert",
      table: "Interface",
      "uuid-name": "iface",
      row: { name: plan.veth, external_ids: ovsMap({ "iface-id": plan.lsp, ...plan.ids }) },
    },
    {
      op: "insert",
      table: "Port",
      "uuid-name": "port",
      row: { name: plan.veth, interfaces: ["named-uuid", "iface"] },
    },
    {
      op: "mutate",
      table: "Bridge",
      where: [["name", "==", INTEGRATION_BRIDGE]],
      mutations: [["ports", "insert", ["named-uuid", "port"]]],
    },
  ];
  let results;
  try {
    results = await ovs.transact(DB, ops, ms);
  } catch (e) {
    if (!(e instanceof OvsdbError && e.error === "constraint violation")) throw e;
    await unplugFromBridge(ovs, conf, [plan.veth]);
    results = await ovs.transact(DB, ops, ms);
  }
  if (results[2].count !== 1) {
    throw new CniError(
      CniCode.OvnFailure,
      `bridge ${INTEGRATION_BRIDGE} does not exist on this host`,
    );
  }
}

/** Removes ports from whichever bridge holds them; absent ones are no error. */
export function unplugFromBridge(ovs: OvsdbClient, conf: NetConf, veths: string[]): Promise<void> {
  const parent = { table: "Bridge", column: "ports" };
  return detachByName(
    ovs,
    DB,
    { table: "Port", names: veths },
    parent,
    conf.nbTimeoutSeconds * 1000,
  );
}

/** external_ids of the interfaces whose external_ids include all of `ids`. */
export function findInterfaces(
  ovs: OvsdbClient,
  conf: NetConf,
  ids: Record<string, string>,
): Promise<Record<string, string>[]> {
  return selectByExternalIds(ovs, DB, "Interface", ids, conf.nbTimeoutSeconds * 1000);
}
