/** plugin-init: the cluster's distributed logical router, `mesos-router`. */
import * as names from "../names.ts";
import { NbPlan } from "../ovn/nb/plan.ts";
import { NbSnapshot } from "../ovn/nb/snapshot.ts";
import { applyGuarded } from "../ovsdb/guarded.ts";
import { entries } from "../ovsdb/ops.ts";
import { VERSION } from "../version.ts";
import type { Context, Outcome, Subcommand } from "./subcommand.ts";

/** Creates `mesos-router` unless it exists; the same outcome however often it runs. */
export async function pluginInit(ctx: Context): Promise<Outcome> {
  const nb = await ctx.nb();
  const created = await applyGuarded(nb, () => NbSnapshot.read(nb), (snap) => {
    const existing = snap.router(names.CLUSTER_ROUTER);
    const plan = new NbPlan(snap);
    plan.ensureRouter({
      name: names.CLUSTER_ROUTER,
      // Keep what later inits recorded on it (the cluster subnet).
      externalIds: {
        ...entries(existing?.external_ids),
        [names.Ext.role]: "cluster-router",
        [names.Ext.version]: VERSION,
      },
    });
    return { ops: [...snap.guards(), ...plan.ops], done: () => existing === undefined };
  });
  return {
    text: `logical router ${names.CLUSTER_ROUTER} ${created ? "created" : "already exists"}`,
    json: { router: names.CLUSTER_ROUTER, created },
  };
}

export const pluginInitCommand: Subcommand = {
  name: "plugin-init",
  summary: "create the cluster's distributed logical router (once per cluster)",
  flags: [],
  run: pluginInit,
};
