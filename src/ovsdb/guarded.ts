/**
 * Read, plan, apply: the one way ovn-mesos changes a database. A plan is made
 * from a snapshot and sent with guards on what it read; if another writer
 * changed those rows meanwhile, the transaction fails whole and the loop
 * reads and plans again. Two runs at once thus either see each other's rows
 * or retry: never a decision made on stale data.
 */
import type { Database } from "./client.ts";
import { isGuardFailure } from "./errors.ts";
import type { Op, OpResult } from "./ops.ts";

/** What a planner returns: operations to send (guards first) and what to report. */
export interface Plan<T> {
  ops: Op[];
  /** Turns the results of `ops` into the caller's answer. */
  done: (results: OpResult[]) => T;
}

/**
 * Reads a snapshot, plans on it and applies the plan, retrying from the read
 * when a guard fails (at most `attempts` times).
 */
export async function applyGuarded<S, T>(
  db: Database,
  read: () => Promise<S>,
  plan: (snapshot: S) => Plan<T> | Promise<Plan<T>>,
  attempts = 8,
): Promise<T> {
  for (let i = 1;; i++) {
    const p = await plan(await read());
    try {
      return p.done(await db.transact(p.ops));
    } catch (e) {
      if (!isGuardFailure(e) || i >= attempts) throw e;
    }
  }
}
