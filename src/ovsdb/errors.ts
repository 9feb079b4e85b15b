/** How OVSDB requests fail. */
import type { Op } from "./ops.ts";

/** A failed transaction or request, with the server's error and details. */
export class OvsdbError extends Error {
  override name = "OvsdbError";
  constructor(msg: string, readonly error = "", readonly details = "", readonly op?: Op) {
    super(msg);
  }
}

/** The database could not be reached, or did not answer in time. */
export class OvsdbUnreachable extends OvsdbError {
  override name = "OvsdbUnreachable";
  /** True when the request never reached the server (it cannot run later either). */
  unsent = false;
}

/**
 * True when a transaction failed because one of its guards (a `wait` with
 * timeout 0 on what was read before) found the rows changed underneath: read
 * again and plan again.
 */
export function isGuardFailure(e: unknown): boolean {
  return e instanceof OvsdbError && e.error === "timed out" && e.op?.op === "wait" &&
    e.op.timeout === 0;
}

/** A uniqueness index refused an insert (e.g. a port of that name exists). */
export function isConstraintViolation(e: unknown): boolean {
  return e instanceof OvsdbError && e.error === "constraint violation";
}

/** A server-side wait with a timeout ran out. */
export function isWaitTimeout(e: unknown): boolean {
  return e instanceof OvsdbError && e.error === "timed out" && !isGuardFailure(e);
}
