/** Changing the local Open vSwitch the way ovs-vsctl does: the change, then its application. */
import type { Database } from "../ovsdb/client.ts";
import type { Op, OpResult } from "../ovsdb/ops.ts";
import { bumpNextCfg, waitApplied } from "./open_vswitch.ts";

/**
 * Runs `ops` in one transaction and waits until ovs-vswitchd has applied
 * them (devices created, ports attached). Returns the results of `ops`.
 */
export async function applyToSwitch(ovs: Database, ops: Op[]): Promise<OpResult[]> {
  const results = await ovs.transact([...ops, ...bumpNextCfg()]);
  const cfg = results[results.length - 1].rows?.[0]?.next_cfg as number;
  await ovs.transact([waitApplied(cfg, ovs.timeoutMs)], ovs.timeoutMs + 2000);
  return results.slice(0, ops.length);
}
