/** The local `Open_vSwitch` root row: this host's OVN settings in its external_ids. */
import { map, mutate, type Op, select, set, waitUntil } from "../ovsdb/ops.ts";

export const DB = "Open_vSwitch";
export const TABLE = "Open_vSwitch";

/** Reads the root row. */
export function selectRoot(columns = ["_uuid", "external_ids", "bridges"]): Op {
  return select(TABLE, [], columns);
}

/**
 * Sets (or with `undefined`, removes) external_ids keys of the root row.
 * A map "insert" keeps an existing key's value, so keys are deleted first.
 *
 * @example
 * ```ts
 * import { setExternalIds } from "./open_vswitch.ts";
 * const [del, ins] = setExternalIds({ "ovn-bridge-mappings": "x:br-x" });
 * if (del.op !== "mutate" || ins.op !== "mutate") throw new Error();
 * ```
 */
export function setExternalIds(values: Record<string, string | undefined>): Op[] {
  const keys = Object.keys(values);
  const kept = Object.fromEntries(
    Object.entries(values).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const ops = [mutate(TABLE, [], [["external_ids", "delete", set(keys)]])];
  if (Object.keys(kept).length) {
    ops.push(mutate(TABLE, [], [["external_ids", "insert", map(kept)]]));
  }
  return ops;
}

/**
 * Asks ovs-vswitchd to apply the transaction before answering (as ovs-vsctl
 * does): bump `next_cfg` and read it back; then {@link waitApplied}.
 */
export function bumpNextCfg(): Op[] {
  return [
    mutate(TABLE, [], [["next_cfg", "+=", 1]]),
    select(TABLE, [], ["next_cfg"]),
  ];
}

/** Waits until ovs-vswitchd has applied configuration number `cfg`. */
export function waitApplied(cfg: number, timeoutMs: number): Op {
  return waitUntil(TABLE, [], ["cur_cfg"], "==", [{ cur_cfg: cfg }], timeoutMs);
}
