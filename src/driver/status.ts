/** status: the cluster as the Northbound database sees it. */
import * as names from "../names.ts";
import { runCtl } from "../ovn/ctl.ts";
import { findCommand, nbctl } from "../ovn/nbctl.ts";
import { parseJsonTable, quote } from "../ovn/ovsdb_value.ts";
import type { Context } from "./context.ts";

/** One host as NB has it. */
export interface HostStatus {
  host: string;
  switch: string;
  subnet: string;
  ports: {
    name: string;
    role: string;
    address?: string;
    mac?: string;
    up: boolean;
    /** The chassis it is bound to, from the Southbound database when that can be read. */
    chassis?: string;
  }[];
  containers: number;
  gateway?: { router: string; chassis: string; externalAddress?: string };
}

/** The whole cluster. */
export interface ClusterStatus {
  nb: string;
  router: boolean;
  hosts: HostStatus[];
}

const byRole = (role: names.Role) => `external_ids:${quote(names.Ext.role)}=${quote(role)}`;

/** Reads the cluster from NB in one transaction. */
export async function clusterStatus(ctx: Context): Promise<ClusterStatus> {
  const nb = await ctx.nb();
  const portCols = ["name", "external_ids", "dynamic_addresses", "up"];
  const [router, switches, hostPorts, masterPorts, containers, gateways, grPorts] = await nbctl(
    nb,
    [
      ["--if-exists", "get", "Logical_Router", names.CLUSTER_ROUTER, "_uuid"],
      findCommand("Logical_Switch", ["name", "external_ids", "other_config"], [
        byRole("host-switch"),
      ]),
      findCommand("Logical_Switch_Port", portCols, [byRole("host-port")]),
      findCommand("Logical_Switch_Port", portCols, [byRole("master-port")]),
      findCommand("Logical_Switch_Port", ["external_ids"], [byRole("container-port")]),
      findCommand("Logical_Router", ["name", "external_ids", "options"], [
        byRole("gateway-router"),
      ]),
      findCommand("Logical_Router_Port", ["name", "networks"], []),
    ],
    { timeoutSec: ctx.timeoutSec },
  );
  const hostOf = (r: Record<string, unknown>) =>
    (r.external_ids as Record<string, string>)[names.Ext.host];
  const hosts = new Map<string, HostStatus>();
  for (const s of parseJsonTable(switches)) {
    const host = hostOf(s);
    hosts.set(host, {
      host,
      switch: String(s.name),
      subnet: (s.other_config as Record<string, string>).subnet ?? "",
      ports: [],
      containers: 0,
    });
  }
  for (const p of [...parseJsonTable(hostPorts), ...parseJsonTable(masterPorts)]) {
    const [mac, address] = (Array.isArray(p.dynamic_addresses) ? "" : String(p.dynamic_addresses))
      .split(" ");
    hosts.get(hostOf(p))?.ports.push({
      name: String(p.name),
      role: (p.external_ids as Record<string, string>)[names.Ext.role],
      address,
      mac,
      up: p.up === true,
    });
  }
  for (const c of parseJsonTable(containers)) {
    const h = hosts.get(hostOf(c));
    if (h) h.containers++;
  }
  const lrpNetworks = new Map(parseJsonTable(grPorts).map((p) => [String(p.name), p.networks]));
  for (const g of parseJsonTable(gateways)) {
    const host = hostOf(g);
    const ext = lrpNetworks.get(names.routerToExternalPort(host));
    const gw = {
      router: String(g.name),
      chassis: (g.options as Record<string, string>).chassis ?? "",
      externalAddress: Array.isArray(ext) ? ext[0] : ext === undefined ? undefined : String(ext),
    };
    const h = hosts.get(host);
    if (h) h.gateway = gw;
    else hosts.set(host, { host, switch: "", subnet: "", ports: [], containers: 0, gateway: gw });
  }
  const bound = await boundChassis(ctx);
  for (const h of hosts.values()) for (const p of h.ports) p.chassis = bound.get(p.name);
  return {
    nb: nb.remote,
    router: router.trim() !== "",
    hosts: [...hosts.values()].sort((a, b) => a.host.localeCompare(b.host)),
  };
}

/**
 * Logical port name -> chassis name, from the Southbound database the local
 * ovn-controller uses; empty when it cannot be read (status is then NB's view).
 */
async function boundChassis(ctx: Context): Promise<Map<string, string>> {
  const sb = (await ctx.local().catch(() => undefined))?.ovnRemote;
  if (!sb || sb.includes("ssl:")) return new Map();
  try {
    const [bindings, chassis] = await runCtl("ovn-sbctl", [`--db=${sb}`], [
      ["--columns=logical_port,chassis", "find", "Port_Binding", "chassis!=[]"],
      ["--columns=_uuid,name", "list", "Chassis"],
    ], Math.min(ctx.timeoutSec, 5));
    const names = new Map(parseJsonTable(chassis).map((c) => [String(c._uuid), String(c.name)]));
    return new Map(
      parseJsonTable(bindings).map((
        b,
      ) => [String(b.logical_port), names.get(String(b.chassis)) ?? ""]),
    );
  } catch {
    return new Map();
  }
}

/** A table for people. */
export function formatStatus(s: ClusterStatus): string {
  const lines = [
    `Northbound: ${s.nb}`,
    `router ${names.CLUSTER_ROUTER}: ${s.router ? "present" : "MISSING (run plugin-init)"}`,
  ];
  for (const h of s.hosts) {
    lines.push(
      `host ${h.host}: switch ${h.switch || "-"} ${h.subnet}, ${h.containers} container port(s)`,
    );
    for (const p of h.ports) {
      lines.push(
        `  ${p.role} ${p.name}: ${p.address ?? "-"} ${p.mac ?? ""} ${
          p.up ? `bound${p.chassis ? ` to chassis ${p.chassis}` : ""}` : "NOT bound"
        }`,
      );
    }
    if (h.gateway) {
      lines.push(
        `  gateway ${h.gateway.router} on chassis ${h.gateway.chassis}, external ${
          h.gateway.externalAddress ?? "-"
        }`,
      );
    }
  }
  return lines.join("\n");
}
