/** plugin-init: the cluster's distributed logical router, `mesos-router`. */
import * as names from "../names.ts";
import { nbctl } from "../ovn/nbctl.ts";
import { externalIds } from "../ovn/ovsdb_value.ts";
import { VERSION } from "../version.ts";
import type { Outcome } from "./cli.ts";
import type { Context } from "./context.ts";

/** Creates `mesos-router` unless it exists; the same outcome however often it runs. */
export async function pluginInit(ctx: Context): Promise<Outcome> {
  const nb = await ctx.nb();
  await nbctl(nb, [
    ["--may-exist", "lr-add", names.CLUSTER_ROUTER],
    [
      "set",
      "Logical_Router",
      names.CLUSTER_ROUTER,
      ...externalIds({ [names.Ext.role]: "cluster-router", [names.Ext.version]: VERSION }),
    ],
  ], { timeoutSec: ctx.timeoutSec });
  return {
    text: `logical router ${names.CLUSTER_ROUTER} is ready`,
    json: { router: names.CLUSTER_ROUTER },
  };
}
