/** node-remove: undoes node-init (and gateway-init) for a host. */
import type { Flags, FlagSpec } from "../args.ts";
import { UsageError } from "../errors.ts";
import * as names from "../names.ts";
import { nbctl } from "../ovn/nbctl.ts";
import { parseMap } from "../ovn/ovsdb_value.ts";
import { vsctl } from "../ovn/vsctl.ts";
import type { Outcome } from "./cli.ts";
import { cniConfigPath } from "./cni_config.ts";
import type { Context } from "./context.ts";
import { joinAddress } from "./gateway_init.ts";

export const nodeRemoveFlags: FlagSpec[] = [
  {
    name: "host",
    value: "SYSTEM-ID",
    help: "remove this host from NB (default: this host, also undone locally)",
  },
  {
    name: "config-dir",
    value: "DIR",
    help: "also delete the CNI configuration file written there",
  },
  {
    name: "network-name",
    value: "NAME",
    help: `the CNI network name (default "${names.DEFAULT_NETWORK}")`,
  },
];

/** Runs node-remove; already-removed parts are no error. */
export async function nodeRemove(ctx: Context, flags: Flags): Promise<Outcome> {
  const nb = await ctx.nb();
  const given = flags.host as string | undefined;
  const localId = given === undefined
    ? (await ctx.localHost()).systemId
    : (await ctx.local()).systemId;
  const host = given ?? localId!;
  const isLocal = host === localId;
  const configDir = flags["config-dir"] as string | undefined;
  if (configDir !== undefined && !configDir.startsWith("/")) {
    throw new UsageError(`--config_dir=${configDir} must be an absolute path`);
  }
  const gr = names.gatewayRouter(host);
  const [grIds] = await nbctl(nb, [["--if-exists", "get", "Logical_Router", gr, "external_ids"]], {
    timeoutSec: ctx.timeoutSec,
  });
  const joinIndex = parseMap(grIds)[names.Ext.joinIndex];
  await nbctl(nb, [
    ["--if-exists", "ls-del", names.hostSwitch(host)],
    ["--if-exists", "lrp-del", names.routerToSwitchPort(host)],
    ...(joinIndex
      ? [[
        "--if-exists",
        "lr-route-del",
        names.CLUSTER_ROUTER,
        "0.0.0.0/0",
        joinAddress(Number(joinIndex)).split("/")[0],
      ]]
      : []),
    ["--if-exists", "lr-del", gr],
    ["--if-exists", "ls-del", names.externalSwitch(host)],
    ["--if-exists", "lsp-del", names.joinToRouterPort(gr)],
  ], { timeoutSec: ctx.timeoutSec });
  const removed = [`NB rows of host ${host}`];
  if (isLocal) {
    await vsctl([["--if-exists", "del-port", names.INTEGRATION_BRIDGE, names.HOST_INTERFACE]], {
      timeoutSec: ctx.timeoutSec,
    });
    removed.push(`OVS interface ${names.HOST_INTERFACE}`);
  }
  if (configDir) {
    const file = cniConfigPath(
      configDir,
      (flags["network-name"] as string) ?? names.DEFAULT_NETWORK,
    );
    await Deno.remove(file).catch(() => {});
    removed.push(file);
  }
  return { text: `removed ${removed.join(", ")}`, json: { host, removed } };
}
