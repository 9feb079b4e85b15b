/**
 * A container's port mappings, made by ADD and removed by DEL, GC and gc:
 * at this host's own addresses (nftables, see net/nft.ts), and at the
 * external address of the gateways its traffic leaves through (an OVN load
 * balancer on each gateway router). A record under the run directory says
 * what an attachment mapped, so DEL needs neither the input nor NB to undo
 * the kernel part, and spawns nothing for containers without mappings.
 */
import { CniCode, CniError } from "../errors.ts";
import * as names from "../names.ts";
import { addBatch, deleteBatch, holderOf, NftError, type NftMapping, runNft } from "../net/nft.ts";
import * as lb from "../ovn/nb/load_balancer.ts";
import * as lr from "../ovn/nb/logical_router.ts";
import type { Database } from "../ovsdb/client.ts";
import { applyGuarded } from "../ovsdb/guarded.ts";
import {
  byIds,
  entries,
  guard,
  type Op,
  project,
  type Row,
  rowUuid,
  select,
} from "../ovsdb/ops.ts";
import type { AttachmentPlan } from "./attachment.ts";
import type { NetConf } from "./config.ts";
import type { PortAddress } from "./nb_ports.ts";
import type { PortMapping } from "./port_mappings.ts";

/** What an attachment mapped (the record). */
interface MappingRecord {
  lsp: string;
  ip: string;
  mappings: PortMapping[];
}

function recordPath(conf: NetConf, plan: AttachmentPlan): string {
  return `${conf.runDir}/mappings/${plan.veth}.json`;
}

function nftMappings(r: MappingRecord): NftMapping[] {
  return r.mappings.map((m) => ({
    protocol: m.protocol,
    hostPort: m.hostPort,
    hostIp: m.hostIp,
    target: r.ip,
    targetPort: m.containerPort,
  }));
}

/** What of the mappings this call made (for its rollback). */
export interface MappingsMade {
  record: boolean;
  nft: boolean;
  lbs: boolean;
}

/**
 * Makes the attachment's mappings; a host port taken on this host or a
 * gateway address taken on a gateway is code 100 naming the holder, and
 * nothing of this call's mappings is left (the caller undoes `made`).
 */
export async function applyMappings(
  conf: NetConf,
  plan: AttachmentPlan,
  nb: Database,
  addr: PortAddress,
  made: MappingsMade,
): Promise<void> {
  if (!conf.portMappings.length) return;
  const record: MappingRecord = { lsp: plan.lsp, ip: addr.ip, mappings: conf.portMappings };
  Deno.mkdirSync(`${conf.runDir}/mappings`, { recursive: true, mode: 0o700 });
  Deno.writeTextFileSync(recordPath(conf, plan), JSON.stringify(record), { mode: 0o600 });
  made.record = true;
  const local = nftMappings(record);
  const gateways = applyGuarded(
    nb,
    () => readGateways(nb),
    (s) => planLoadBalancers(conf, plan, addr, s),
  )
    .then(() => {
      made.lbs = true;
    });
  gateways.catch(() => {});
  try {
    await runNft(addBatch(names.NFT_TABLE, plan.lsp, local));
    made.nft = true;
  } catch (e) {
    throw await explainNftFailure(e, local);
  } finally {
    await gateways.catch(() => {});
  }
  await gateways;
}

async function explainNftFailure(e: unknown, ms: NftMapping[]): Promise<unknown> {
  const stderr = e instanceof NftError ? e.text : "";
  if (/File exists/.test(stderr)) {
    for (const m of ms) {
      const holder = await holderOf(names.NFT_TABLE, m).catch(() => undefined);
      if (holder) {
        return new CniError(
          CniCode.OvnFailure,
          `host port ${m.hostPort}/${m.protocol}${
            m.hostIp ? ` on ${m.hostIp}` : ""
          } is held by ${holder}`,
        );
      }
    }
  }
  if (/No such file or directory|does not exist/.test(stderr)) {
    return new CniError(
      CniCode.OvnFailure,
      `the nftables table ${names.NFT_TABLE} is missing: run node-init on this host`,
      stderr.trim(),
    );
  }
  return e;
}

/** Gateway routers and the port-mapping load balancers, as read. */
interface GatewaySnapshot {
  routers: Row[];
  balancers: Row[];
}

async function readGateways(nb: Database): Promise<GatewaySnapshot> {
  const [routers, balancers] = await nb.read([
    select(lr.TABLE, byIds({ [names.Ext.role]: "gateway-router" }), [
      "_uuid",
      "name",
      "external_ids",
    ]),
    lb.selectLoadBalancers({ [names.Ext.role]: "port-mapping" }),
  ]);
  return { routers, balancers };
}

/**
 * One load balancer per protocol on the gateways this host's containers
 * leave through: its own gateway router when it has one, else every one.
 */
function planLoadBalancers(
  conf: NetConf,
  plan: AttachmentPlan,
  addr: PortAddress,
  s: GatewaySnapshot,
) {
  const own = s.routers.find((r) => r.name === names.gatewayRouter(conf.hostId));
  const targets = own ? [own] : s.routers;
  const ops: Op[] = [
    guard(
      lr.TABLE,
      byIds({ [names.Ext.role]: "gateway-router" }),
      ["name", "external_ids"],
      project(s.routers, ["name", "external_ids"]),
    ),
    guard(
      lb.TABLE,
      byIds({ [names.Ext.role]: "port-mapping" }),
      ["name", "vips"],
      project(s.balancers, ["name", "vips"]),
    ),
  ];
  // A balancer of this attachment from before (a stale one) is replaced.
  const mine = s.balancers.filter((b) =>
    entries(b.external_ids)[names.Ext.attachment] === plan.lsp
  );
  ops.push(...lb.deleteLoadBalancers(mine.map(rowUuid)));
  const taken = new Map<string, string>();
  for (const b of s.balancers) {
    if (mine.includes(b)) continue;
    const holder = entries(b.external_ids)[names.Ext.attachment];
    for (const vip of Object.keys(entries(b.vips))) taken.set(`${b.protocol}/${vip}`, holder);
  }
  for (const protocol of ["tcp", "udp"] as const) {
    const vips: Record<string, string> = {};
    for (const m of conf.portMappings.filter((m) => m.protocol === protocol)) {
      for (const gr of targets) {
        const ext = entries(gr.external_ids)[names.Ext.externalIp];
        if (!ext || (m.hostIp && m.hostIp !== ext)) continue;
        const vip = `${ext}:${m.hostPort}`;
        const holder = taken.get(`${protocol}/${vip}`);
        if (holder) {
          throw new CniError(
            CniCode.OvnFailure,
            `gateway address ${vip}/${protocol} (${gr.name}) is held by ${holder}`,
          );
        }
        vips[vip] = `${addr.ip}:${m.containerPort}`;
      }
    }
    if (!Object.keys(vips).length) continue;
    ops.push(...lb.createLoadBalancer(
      {
        name: names.mappingLoadBalancer(plan.lsp, protocol),
        protocol,
        vips,
        externalIds: {
          [names.Ext.role]: "port-mapping",
          [names.Ext.host]: conf.hostId,
          [names.Ext.attachment]: plan.lsp,
        },
      },
      targets.map(rowUuid),
      `lb_${protocol}`,
    ));
  }
  // Nothing to create or replace (no gateway): no transaction at all.
  return { ops: ops.length > 2 ? ops : [], done: () => undefined };
}

/** Removes the attachment's load balancers from NB (any gateway); absent ones are no error. */
export async function removeLoadBalancers(nb: Database, lsps: string[]): Promise<void> {
  if (!lsps.length) return;
  const found = await nb.read(
    lsps.map((l) => lb.selectLoadBalancers({ [names.Ext.attachment]: l })),
  );
  const uuids = found.flat().map(rowUuid);
  if (uuids.length) await nb.transact(lb.deleteLoadBalancers(uuids));
}

/** True when ADD recorded mappings for the attachment (no record: nothing to undo, no process). */
export function hasMappings(conf: NetConf, plan: AttachmentPlan): boolean {
  try {
    Deno.statSync(recordPath(conf, plan));
    return true;
  } catch {
    return false;
  }
}

/** Removes the attachment's mappings from this host's kernel, then its record. */
export async function removeLocalMappings(conf: NetConf, plan: AttachmentPlan): Promise<void> {
  let record: MappingRecord;
  try {
    record = JSON.parse(Deno.readTextFileSync(recordPath(conf, plan)));
  } catch {
    return;
  }
  const ms = nftMappings(record);
  try {
    await runNft(deleteBatch(names.NFT_TABLE, ms));
  } catch {
    // Some are gone already: remove the others one by one.
    for (const m of ms) await runNft(deleteBatch(names.NFT_TABLE, [m])).catch(() => {});
  }
  try {
    Deno.removeSync(recordPath(conf, plan));
  } catch { /* gone */ }
}

/** Forgets the record without touching the kernel (the nft part was never made). */
export function dropRecord(conf: NetConf, plan: AttachmentPlan): void {
  try {
    Deno.removeSync(recordPath(conf, plan));
  } catch { /* gone */ }
}
