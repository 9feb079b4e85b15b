/** Where the driver finds things: the Northbound database and this host's Open vSwitch. */
import type { Flags } from "../args.ts";
import { DriverError, UsageError } from "../errors.ts";
import { INTEGRATION_BRIDGE } from "../names.ts";
import type { NbConnection } from "../ovn/nbctl.ts";
import { parseString } from "../ovn/ovsdb_value.ts";
import { vsctl } from "../ovn/vsctl.ts";

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

/** Everything a subcommand needs to reach the outside world. */
export interface Context {
  timeoutSec: number;
  env: Record<string, string | undefined>;
  /** Reads the local Open vSwitch (once). */
  local(): Promise<LocalHost>;
  /** Like {@link local}, but fails clearly when system-id is unset. */
  localHost(): Promise<LocalHost & { systemId: string }>;
  /** Resolves the Northbound connection: --db, else OVN_NB_DB, else external_ids:ovn-nb. */
  nb(): Promise<NbConnection>;
}

/** Builds the context from the common flags and the environment. */
export function makeContext(flags: Flags, env: Record<string, string | undefined>): Context {
  const timeoutSec = flags.timeout === undefined ? 10 : Number(flags.timeout);
  if (!(timeoutSec > 0)) throw new UsageError(`--timeout must be a positive number of seconds`);
  let local: Promise<LocalHost> | undefined;
  const ctx: Context = {
    timeoutSec,
    env,
    local: () => local ??= readLocalHost(env, timeoutSec),
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
    nb: async () => {
      const remote = (flags.db as string | undefined) ?? env.OVN_NB_DB ?? (await ctx.local()).ovnNb;
      if (!remote) {
        throw new DriverError(
          "no Northbound database: pass --db, set OVN_NB_DB, or set the local OVS's external_ids:ovn-nb",
        );
      }
      return {
        remote,
        privateKey: (flags["private-key"] as string) ?? "/etc/ovn/ovnnb-privkey.pem",
        certificate: (flags.certificate as string) ?? "/etc/ovn/ovnnb-cert.pem",
        caCert: (flags["ca-cert"] as string) ?? "/etc/ovn/cacert.pem",
      };
    },
  };
  return ctx;
}

async function readLocalHost(
  env: Record<string, string | undefined>,
  timeoutSec: number,
): Promise<LocalHost> {
  const get = (col: string) => ["--if-exists", "get", "Open_vSwitch", ".", col];
  let out: string[];
  try {
    out = await vsctl([
      get("external_ids:system-id"),
      get("external_ids:ovn-nb"),
      get("external_ids:ovn-remote"),
      get("external_ids:ovn-encap-ip"),
      get("external_ids:ovn-bridge-mappings"),
      ["--if-exists", "get", "Bridge", INTEGRATION_BRIDGE, "datapath_type"],
    ], { timeoutSec });
  } catch (e) {
    throw new DriverError(
      `cannot read the local Open vSwitch database (is ovsdb-server running?): ${
        (e as Error).message.split("\n")[0]
      }`,
    );
  }
  const [systemId, ovnNb, ovnRemote, encapIp, bridgeMappings, datapathType] = out.map(parseString);
  return {
    systemId,
    ovnNb,
    ovnRemote,
    encapIp,
    bridgeMappings,
    datapathType,
    ovsDb: env.OVS_RUNDIR ? `unix:${env.OVS_RUNDIR}/db.sock` : undefined,
    ovnRundir: env.OVN_RUNDIR,
  };
}
