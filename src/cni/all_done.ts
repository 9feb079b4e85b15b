/** Waiting on several steps at once. */

/**
 * Waits for every step, then throws the first failure: one failing step never
 * cuts another short, and no rejection is left unhandled.
 */
export async function allDone(steps: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(steps)).find((r) => r.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
}
