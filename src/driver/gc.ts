/**
 * gc: completes this host's deferred removals and removes its plugin-made
 * ports whose container is gone (after a reboot, or an ADD killed before its
 * DEL). node-init runs the same sweep, so re-running node-init at boot is
 * the recovery step.
 */
import type { Flags, FlagSpec } from "../args.ts";
import { type NetConf, parseNetConf } from "../cni/config.ts";
import { closeDatabases, openDatabases } from "../cni/databases.ts";
import { sweepHost, type SweepOutcome } from "../cni/sweep.ts";
import { DriverError, UsageError } from "../errors.ts";
import * as names from "../names.ts";
import { selectInterface } from "../ovs/port.ts";
import { entries } from "../ovsdb/ops.ts";
import { cniConfigPath } from "./cni_config.ts";
import type { Context, Outcome, Subcommand } from "./subcommand.ts";

const flags: FlagSpec[] = [
  {
    name: "config-dir",
    value: "DIR",
    help: "where node-init wrote the CNI configuration (default: what node-init recorded)",
  },
  {
    name: "network-name",
    value: "NAME",
    help: `with --config_dir: the CNI network name (default "${names.DEFAULT_NETWORK}")`,
  },
];

/** The plugin configuration node-init wrote on this host (the file it recorded, or the flags'). */
export async function localPluginConfig(ctx: Context, flags: Flags = {}): Promise<NetConf> {
  let file = flags["config-dir"]
    ? cniConfigPath(
      String(flags["config-dir"]),
      String(flags["network-name"] ?? names.DEFAULT_NETWORK),
    )
    : undefined;
  if (!file) {
    const ovs = await ctx.ovs();
    const [[iface]] = await ovs.read([selectInterface(names.HOST_INTERFACE)]);
    file = entries(iface?.external_ids)[names.Ext.configFile];
  }
  if (!file) {
    throw new DriverError(
      "node-init has not run on this host (no configuration recorded): pass --config_dir",
    );
  }
  const text = await Deno.readTextFile(file).catch((e) => {
    throw new DriverError(`cannot read the CNI configuration ${file}: ${e.message}`);
  });
  return parseNetConf(text, true, ctx.env);
}

/** Runs the sweep with the plugin's own configuration. */
export async function sweepLocal(conf: NetConf): Promise<SweepOutcome> {
  const opening = openDatabases(conf);
  try {
    return await sweepHost(conf, await opening);
  } finally {
    closeDatabases(opening);
  }
}

async function gc(ctx: Context, flags: Flags): Promise<Outcome> {
  if (flags["network-name"] && !flags["config-dir"]) {
    throw new UsageError("--network_name needs --config_dir");
  }
  const conf = await localPluginConfig(ctx, flags);
  const out = await sweepLocal(conf);
  const all = [...out.deferred, ...out.ports, ...out.ovsPorts, ...out.retired];
  return {
    text: all.length
      ? [
        ...(out.deferred.length ? [`completed deferred removals: ${out.deferred.join(", ")}`] : []),
        ...(out.ports.length
          ? [`removed logical ports of gone containers: ${out.ports.join(", ")}`]
          : []),
        ...(out.ovsPorts.length
          ? [`removed OVS ports of gone containers: ${out.ovsPorts.join(", ")}`]
          : []),
        ...(out.retired.length ? [`deleted veths left by DELs: ${out.retired.join(", ")}`] : []),
      ].join("\n")
      : "nothing to collect",
    json: { host: conf.hostId, ...out },
  };
}

export const gcCommand: Subcommand = {
  name: "gc",
  summary: "complete deferred removals and remove ports of containers gone from this host",
  flags,
  run: gc,
};
