/** status: the cluster as NB (and, where it can be read, the Southbound database) sees it. */
import * as names from "../names.ts";
import { readPortMappings } from "../cni/port_mappings.ts";
import * as lb from "../ovn/nb/load_balancer.ts";
import * as lsp from "../ovn/nb/logical_switch_port.ts";
import { NbSnapshot } from "../ovn/nb/snapshot.ts";
import { Database } from "../ovsdb/client.ts";
import { byIds, entries, type Row, select } from "../ovsdb/ops.ts";
import { usesSsl } from "../ovsdb/remote.ts";
import { listPending } from "../cni/pending.ts";
import { localPluginConfig } from "./gc.ts";
import type { Context, Outcome, Subcommand } from "./subcommand.ts";

/** A logical port of a host: its own port or a container's. */
export interface PortStatus {
  name: string;
  address?: string;
  mac?: string;
  up: boolean;
  /** The chassis it is bound to, from the Southbound database when that can be read. */
  chassis?: string;
}

export interface ContainerStatus extends PortStatus {
  network: string;
  containerId: string;
  ifname: string;
  /** Its port mappings: at its host's addresses, and the gateway addresses that lead to it. */
  mappings: MappingStatus[];
}

export interface MappingStatus {
  protocol: string;
  /** "any" (every address of the host) or the one host address. */
  hostAddress: string;
  hostPort: number;
  /** `IP:PORT` at gateways (their external addresses). */
  gateways: string[];
  /** `IP:PORT` in the container. */
  target: string;
}

export interface GatewayStatus {
  router: string;
  chassis: string;
  /** The physical interface gateway-init moved into OVS. */
  interface?: string;
  externalAddress?: string;
  nextHop?: string;
  joinAddress?: string;
  snat: { from: string; to: string }[];
}

/** One host as NB has it. */
export interface HostStatus {
  host: string;
  /** "node" (node-init), "gateway" (gateway-init only), or "node+gateway". */
  kind: string;
  switch?: string;
  subnet?: string;
  hostPorts: (PortStatus & { role: string })[];
  containers: ContainerStatus[];
  gateway?: GatewayStatus;
}

/** The whole cluster. */
export interface ClusterStatus {
  nb: string;
  /** This host's removals deferred by DEL while a database was unreachable (see `gc`). */
  pending: { db: string; name: string; since: string }[];
  router: boolean;
  clusterSubnet?: string;
  hosts: HostStatus[];
  healthy: boolean;
  problems: string[];
}

/** Reads the cluster from NB in one transaction (and SB bindings, best effort). */
export async function clusterStatus(ctx: Context): Promise<ClusterStatus> {
  const nb = await ctx.nb();
  const snap = await NbSnapshot.read(nb);
  const cols = ["name", "addresses", "dynamic_addresses", "up", "external_ids"];
  const [hostPorts, masterPorts, containers, balancers] = await nb.read([
    select(lsp.TABLE, byIds({ [names.Ext.role]: "host-port" }), cols),
    select(lsp.TABLE, byIds({ [names.Ext.role]: "master-port" }), cols),
    select(lsp.TABLE, byIds({ [names.Ext.role]: "container-port" }), cols),
    lb.selectLoadBalancers({ [names.Ext.role]: "port-mapping" }),
  ]);
  const bound = await boundChassis(ctx);
  const router = snap.router(names.CLUSTER_ROUTER);
  const hosts = new Map<string, HostStatus>();
  const hostOf = (r: Row) => entries(r.external_ids)[names.Ext.host] ?? "";
  const entry = (host: string) => {
    let h = hosts.get(host);
    if (!h) hosts.set(host, h = { host, kind: "", hostPorts: [], containers: [] });
    return h;
  };
  const portStatus = (p: Row): PortStatus => {
    const a = lsp.portAddress(p);
    return {
      name: String(p.name),
      address: a?.ip,
      mac: a?.mac,
      up: lsp.isUp(p),
      chassis: bound.get(String(p.name)),
    };
  };
  for (const s of snap.withIds(snap.switches, { [names.Ext.role]: "host-switch" })) {
    const h = entry(hostOf(s));
    h.switch = String(s.name);
    h.subnet = entries(s.other_config).subnet;
  }
  for (const p of [...hostPorts, ...masterPorts]) {
    entry(hostOf(p)).hostPorts.push({
      ...portStatus(p),
      role: entries(p.external_ids)[names.Ext.role],
    });
  }
  for (const c of containers) {
    const ids = entries(c.external_ids);
    const status = portStatus(c);
    const vips = balancers.filter((b) => entries(b.external_ids)[names.Ext.attachment] === c.name);
    entry(hostOf(c)).containers.push({
      ...status,
      network: ids[names.Ext.network],
      containerId: ids[names.Ext.containerId],
      ifname: ids[names.Ext.ifname],
      mappings: readPortMappings(ids[names.Ext.portMappings]).map((m) => ({
        protocol: m.protocol,
        hostAddress: m.hostIp ?? "any",
        hostPort: m.hostPort,
        gateways: vips.filter((b) => b.protocol === m.protocol).flatMap((b) =>
          Object.keys(entries(b.vips)).filter((v) => v.endsWith(`:${m.hostPort}`))
        ),
        target: `${status.address ?? "?"}:${m.containerPort}`,
      })),
    });
  }
  for (const g of snap.withIds(snap.routers, { [names.Ext.role]: "gateway-router" })) {
    const host = hostOf(g);
    const ext = snap.routerPort(names.routerToExternalPort(host));
    const join = snap.routerPort(names.routerToJoinPort(String(g.name)));
    entry(host).gateway = {
      router: String(g.name),
      chassis: entries(g.options).chassis ?? "",
      interface: entries(g.external_ids)[names.Ext.physicalInterface],
      externalAddress: ext ? String(ext.networks) : undefined,
      joinAddress: join ? String(join.networks) : undefined,
      nextHop: snap.routesOf(g).find((r) => r.ip_prefix === "0.0.0.0/0")?.nexthop as
        | string
        | undefined,
      snat: snap.natsOf(g).filter((n) => n.type === "snat").map((n) => ({
        from: String(n.logical_ip),
        to: String(n.external_ip),
      })),
    };
  }
  const problems: string[] = [];
  const pending = (await localPluginConfig(ctx).then((c) => listPending(c), () => [])).map((p) => ({
    db: p.db,
    name: p.name,
    since: p.since,
  }));
  for (const p of pending) {
    problems.push(
      `removal of ${p.name} from ${p.db === "nb" ? "NB" : "OVS"} deferred since ${p.since}`,
    );
  }
  if (!router) problems.push(`router ${names.CLUSTER_ROUTER} is missing (run plugin-init)`);
  for (const h of hosts.values()) {
    h.kind = [h.switch ? "node" : "", h.gateway ? "gateway" : ""].filter(Boolean).join("+");
    if (h.switch && !h.hostPorts.length) problems.push(`host ${h.host} has no host port`);
    for (const p of [...h.hostPorts, ...h.containers]) {
      if (!p.up) problems.push(`port ${p.name} of host ${h.host} is not bound`);
    }
  }
  return {
    nb: nb.remote,
    pending,
    router: router !== undefined,
    clusterSubnet: router ? entries(router.external_ids)[names.Ext.clusterSubnet] : undefined,
    hosts: [...hosts.values()].sort((a, b) => a.host.localeCompare(b.host)),
    healthy: problems.length === 0,
    problems,
  };
}

/**
 * Logical port name -> chassis name, from the Southbound database the local
 * ovn-controller uses; empty when it cannot be read (status is then NB's view).
 */
async function boundChassis(ctx: Context): Promise<Map<string, string>> {
  const sb = (await ctx.local().catch(() => undefined))?.ovnRemote;
  if (!sb || usesSsl(sb)) return new Map();
  let db: Database | undefined;
  try {
    db = await Database.open(sb, "OVN_Southbound", {
      timeoutMs: Math.min(ctx.timeoutSec, 5) * 1000,
    });
    const [bindings, chassis] = await db.read([
      select("Port_Binding", [["chassis", "!=", ["set", []]]], ["logical_port", "chassis"]),
      select("Chassis", [], ["_uuid", "name"]),
    ]);
    const byUuid = new Map(chassis.map((c) => [(c._uuid as [string, string])[1], String(c.name)]));
    return new Map(
      bindings.map((
        b,
      ) => [String(b.logical_port), byUuid.get((b.chassis as [string, string])[1]) ?? ""]),
    );
  } catch {
    return new Map();
  } finally {
    db?.close();
  }
}

/** A table for people. */
export function formatStatus(s: ClusterStatus): string {
  const lines = [
    `Northbound: ${s.nb}`,
    `router ${names.CLUSTER_ROUTER}: ${s.router ? "present" : "MISSING (run plugin-init)"}`,
    `cluster subnet: ${s.clusterSubnet ?? "not recorded yet"}`,
  ];
  const port = (p: PortStatus) =>
    `${p.address ?? "-"} ${p.mac ?? "-"} ${
      p.up ? `bound${p.chassis ? ` to ${p.chassis}` : ""}` : "NOT BOUND"
    }`;
  for (const h of s.hosts) {
    lines.push(
      h.switch
        ? `host ${h.host} (${h.kind}): switch ${h.switch} ${
          h.subnet ?? ""
        }, ${h.containers.length} container(s)`
        : `host ${h.host} (${h.kind}): no switch (gateway only)`,
    );
    for (const p of h.hostPorts) lines.push(`  ${p.role} ${p.name}: ${port(p)}`);
    for (const c of h.containers) {
      lines.push(`  container ${c.containerId} ${c.ifname} (${c.network}): ${port(c)}`);
      for (const m of c.mappings) {
        const at = `${m.hostAddress === "any" ? h.host : m.hostAddress}:${m.hostPort}`;
        const gw = m.gateways.length ? `, gateway ${m.gateways.join(" ")}` : "";
        lines.push(`    mapping ${m.protocol} ${at}${gw} -> ${m.target}`);
      }
    }
    const g = h.gateway;
    if (g) {
      lines.push(
        `  gateway ${g.router} on chassis ${g.chassis}, interface ${g.interface ?? "-"}: external ${
          g.externalAddress ?? "-"
        } via ${g.nextHop ?? "-"}, join ${g.joinAddress ?? "-"}, SNAT ${
          g.snat.map((n) => `${n.from} to ${n.to}`).join(", ") || "-"
        }`,
      );
    }
  }
  lines.push(
    s.healthy ? "healthy" : `NOT HEALTHY:\n${s.problems.map((p) => `  - ${p}`).join("\n")}`,
  );
  return lines.join("\n");
}

export const statusCommand: Subcommand = {
  name: "status",
  summary: "show the cluster: hosts, their ports and containers, gateways; exit 1 unless healthy",
  flags: [],
  run: async (ctx): Promise<Outcome> => {
    const s = await clusterStatus(ctx);
    return {
      text: formatStatus(s),
      json: s as unknown as Record<string, unknown>,
      failed: !s.healthy,
    };
  },
};
