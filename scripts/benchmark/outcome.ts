/** One measured call's outcome, and the failures that do not stop the run. */
import type { Ctx } from "./context.ts";
import type { Proc } from "./proc.ts";

export interface AddResult {
  ok: boolean;
  ms: number;
  ip?: string;
  err?: string;
}

/**
 * One call's outcome: ok when it exited 0 and, when `address` is given (ADD),
 * its JSON answer holds an address there.
 */
// deno-lint-ignore no-explicit-any
export function outcome(p: Proc, address?: (result: any) => unknown): AddResult {
  let ip: string | undefined;
  try {
    const v = address?.(JSON.parse(p.stdout));
    if (typeof v === "string") ip = v;
  } catch { /* not JSON */ }
  if (p.code === 0 && (!address || ip)) {
    return ip ? { ok: true, ms: p.ms, ip } : { ok: true, ms: p.ms };
  }
  return { ok: false, ms: p.ms, err: `${p.stdout.trim()} ${p.stderr.trim()}`.slice(0, 600) };
}

/** Notes a failed call (in the report's failures) and says so on stderr. */
export function note(c: Ctx, what: string, r: AddResult): void {
  if (!r.ok) {
    c.failures.push(`${what}: ${r.err}`);
    c.progress(`FAILED ${what}: ${r.err}`);
  }
}
