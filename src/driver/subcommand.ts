/**
 * What every driver subcommand shares: the shape of a subcommand, what it
 * returns, and the context it reaches the world through (NB, this host's
 * Open vSwitch, the environment read once at the entry).
 */
import type { Flags, FlagSpec } from "../args.ts";
import { DriverError, UsageError } from "../errors.ts";
import { INTEGRATION_BRIDGE } from "../names.ts";
import * as bridge from "../ovs/bridge.ts";
import { DB as OVS_DB, selectRoot } from "../ovs/open_vswitch.ts";
import { Database } from "../ovsdb/client.ts";
import { entries, optional } from "../ovsdb/ops.ts";
import { BadRemote, parseRemotes, type SslFiles, usesSsl } from "../ovsdb/remote.ts";

/** What a subcommand returns: a summary for people and the same facts for `--json`. */
export interface Outcome {
  text: string;
  json: Record<string, unknown>;
  /** Exit status 1 with this outcome printed (e.g. `status` of an unhealthy cluster). */
  failed?: boolean;
}

/** One subcommand: what the CLI needs to parse, explain and run it. */
export interface Subcommand {
  name: string;
  summary: string;
  flags: FlagSpec[];
  run: (ctx: Context, flags: Flags) => Promise<Outcome>;
}

export const NB_DB = "OVN_Northbound";

/** What the local Open vSwitch says about this host. */
export interface LocalHost {
  /** external_ids:system-id; undefined when unset. */
  systemId?: string;
  ovnNb?: string;
  /** external_ids:ovn-remote: the Southbound database ovn-controller uses. */
  ovnRemote?: string;
  encapIp?: string;
  bridgeMappings?: string;
  /** br-int's datapath_type ("netdev" is the userspace datapath; "" or "system" the kernel's). */
  datapathType?: string;
  /** The local OVS database socket when OVS_RUNDIR selects a non-default one. */
  ovsDb?: string;
  /** Where ovn-controller's control socket is when OVN_RUNDIR says so. */
  ovnRundir?: string;
}

/** Where the Northbound database is and how to authenticate to it. */
export interface NbTarget {
  remote: string;
  ssl?: SslFiles;
}

/** Everything a subcommand needs to reach the outside world. */
export interface Context {
  timeoutSec: number;
  env: Record<string, string | undefined>;
  /** Reads the local Open vSwitch (once). */
  local(): Promise<LocalHost>;
  /** Like {@link local}, but fails clearly when system-id is unset. */
  localHost(): Promise<LocalHost & { systemId: string }>;
  /** --db, else OVN_NB_DB, else external_ids:ovn-nb; checked, with its PKI files for ssl:. */
  nbTarget(): Promise<NbTarget>;
  /** The Northbound database (opened once). */
  nb(): Promise<Database>;
  /** The local Open vSwitch database (opened once). */
  ovs(): Promise<Database>;
  /** Closes what was opened. */
  close(): void;
}

/** Builds the context from the common flags and the environment. */
export function makeContext(flags: Flags, env: Record<string, string | undefined>): Context {
  const timeoutSec = flags.timeout === undefined ? 10 : Number(flags.timeout);
  if (!(timeoutSec > 0)) throw new UsageError(`--timeout must be a positive number of seconds`);
  const timeoutMs = Math.ceil(timeoutSec * 1000);
  const ovsRemote = `unix:${env.OVS_RUNDIR ?? "/var/run/openvswitch"}/db.sock`;
  let ovs: Promise<Database> | undefined;
  let nb: Promise<Database> | undefined;
  let local: Promise<LocalHost> | undefined;
  let target: Promise<NbTarget> | undefined;
  const ctx: Context = {
    timeoutSec,
    env,
    ovs: () =>
      ovs ??= Database.open(ovsRemote, OVS_DB, { timeoutMs }).catch((e) => {
        throw new DriverError(
          `cannot reach the local Open vSwitch database at ${ovsRemote} (is ovsdb-server running?): ${
            (e as Error).message
          }`,
        );
      }),
    local: () => local ??= ctx.ovs().then((db) => readLocalHost(db, env)),
    localHost: async () => {
      const l = await ctx.local();
      if (!l.systemId) {
        throw new DriverError(
          "the local Open vSwitch has no external_ids:system-id: set it with " +
            "`ovs-vsctl set Open_vSwitch . external_ids:system-id=<unique host id>`",
        );
      }
      return l as LocalHost & { systemId: string };
    },
    nbTarget: () => target ??= resolveNb(ctx, flags, env),
    nb: () =>
      nb ??= ctx.nbTarget().then((t) =>
        Database.open(t.remote, NB_DB, { timeoutMs, ssl: t.ssl }).catch((e) => {
          throw new DriverError(`cannot reach the Northbound database: ${(e as Error).message}`);
        })
      ),
    close: () => {
      for (const db of [ovs, nb]) db?.then((d) => d.close(), () => {});
    },
  };
  return ctx;
}

async function resolveNb(
  ctx: Context,
  flags: Flags,
  env: Record<string, string | undefined>,
): Promise<NbTarget> {
  const remote = (flags.db as string | undefined) ?? env.OVN_NB_DB ?? (await ctx.local()).ovnNb;
  if (!remote) {
    throw new DriverError(
      "no Northbound database: pass --db, set OVN_NB_DB, or set the local OVS's external_ids:ovn-nb",
    );
  }
  try {
    parseRemotes(remote);
  } catch (e) {
    if (e instanceof BadRemote) throw new UsageError(`--db: ${e.message}`);
    throw e;
  }
  if (!usesSsl(remote)) return { remote };
  const ssl: SslFiles = {
    privateKey: (flags["private-key"] as string) ?? "/etc/ovn/ovnnb-privkey.pem",
    certificate: (flags.certificate as string) ?? "/etc/ovn/ovnnb-cert.pem",
    caCert: (flags["ca-cert"] as string) ?? "/etc/ovn/cacert.pem",
  };
  const flagOf = { privateKey: "private-key", certificate: "certificate", caCert: "ca-cert" };
  for (const [k, path] of Object.entries(ssl)) {
    try {
      await Deno.stat(path);
    } catch {
      throw new DriverError(
        `--${flagOf[k as keyof SslFiles]}=${path}: no such file (needed for ${remote})`,
      );
    }
  }
  return { remote, ssl };
}

async function readLocalHost(
  db: Database,
  env: Record<string, string | undefined>,
): Promise<LocalHost> {
  const [[root], [brInt]] = await db.read([selectRoot(), bridge.selectBridge(INTEGRATION_BRIDGE)]);
  const ids = entries(root?.external_ids);
  return {
    systemId: ids["system-id"],
    ovnNb: ids["ovn-nb"],
    ovnRemote: ids["ovn-remote"],
    encapIp: ids["ovn-encap-ip"],
    bridgeMappings: ids["ovn-bridge-mappings"],
    datapathType: optional(brInt?.datapath_type),
    ovsDb: env.OVS_RUNDIR ? `unix:${env.OVS_RUNDIR}/db.sock` : undefined,
    ovnRundir: env.OVN_RUNDIR,
  };
}
