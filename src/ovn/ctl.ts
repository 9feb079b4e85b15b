/**
 * Shared by `ovn-nbctl` and `ovs-vsctl`: both take `-- command args` lists
 * that run as one database transaction, and print one line per command with
 * `--oneline` (and `list`/`find` tables as JSON).
 */
import { ExecError, isTimeout, run } from "../exec.ts";

/** One command of a transaction, e.g. `["lsp-add", "sw", "p"]`. */
export type Command = string[];

/**
 * The full argv of one transaction.
 *
 * @example
 * ```ts
 * import { ctlArgv } from "./ctl.ts";
 * const argv = ctlArgv("ovn-nbctl", ["--timeout=5"], [["ls-add", "a"], ["ls-add", "b"]]);
 * if (argv.join(" ") !== "ovn-nbctl --timeout=5 --oneline --format=json -- ls-add a -- ls-add b") {
 *   throw new Error();
 * }
 * ```
 */
export function ctlArgv(tool: string, options: string[], commands: Command[]): string[] {
  const argv = [tool, ...options, "--oneline", "--format=json"];
  for (const c of commands) argv.push("--", ...c);
  return argv;
}

/** Splits `--oneline` output into one string per command (newlines restored). */
export function splitOneline(stdout: string, commands: number): string[] {
  const lines = stdout.split("\n").map((l) => l.replaceAll("\\n", "\n").replaceAll("\\\\", "\\"));
  return Array.from({ length: commands }, (_, i) => lines[i] ?? "");
}

/** Runs one transaction and returns each command's output. */
export async function runCtl(
  tool: string,
  options: string[],
  commands: Command[],
  timeoutSec: number,
): Promise<string[]> {
  const argv = ctlArgv(tool, [...options, `--timeout=${timeoutSec}`], commands);
  // The tool's own --timeout fires first (SIGALRM); ours is the backstop.
  const r = await run(argv, { timeoutMs: timeoutSec * 1000 + 2000 });
  return splitOneline(r.stdout, commands.length);
}

/**
 * True when a database tool failed because its database did not answer: a
 * timeout, or a connection that could not be made. Worth trying again later.
 */
export function isUnreachable(e: unknown): boolean {
  return isTimeout(e) ||
    (e instanceof ExecError &&
      /database connection failed|Connection refused|connection attempt failed/.test(
        e.result.stderr,
      ));
}
