/**
 * The one place that starts processes. Every call to `ovn-nbctl`, `ovs-vsctl`,
 * `ip` or anything else goes through {@link run}: an argument array (never a
 * shell string), a timeout, captured stdout/stderr, and errors that carry the
 * command line, its exit status and its stderr. A process nobody waits for
 * goes through {@link spawnDetached}.
 */
import { spawnDetached as posixSpawnDetached } from "./net/libc.ts";

/** Options for {@link run}. */
export interface RunOptions {
  /** Kill the child after this many milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Text written to the child's stdin (stdin is closed otherwise). */
  stdin?: string;
  /** Extra environment variables for the child. */
  env?: Record<string, string>;
  /** Return the result instead of throwing when the child fails. */
  allowFailure?: boolean;
}

/** What a finished child process left behind. */
export interface RunResult {
  argv: string[];
  /** Exit code; -1 when the child died by a signal. */
  code: number;
  /** The signal that killed the child, if any. */
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** A child process that failed: non-zero exit, death by signal, timeout, or not found. */
export class ExecError extends Error {
  override name = "ExecError";
  constructor(readonly result: RunResult) {
    super(describeFailure(result));
  }
  get timedOut(): boolean {
    return this.result.timedOut;
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;
const decoder = new TextDecoder();

/** Renders argv as a readable command line (for messages only, never executed). */
export function formatArgv(argv: string[]): string {
  return argv.map((a) => /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)
    .join(" ");
}

function describeFailure(r: RunResult): string {
  const cmd = formatArgv(r.argv);
  const why = r.timedOut
    ? `timed out`
    : r.signal
    ? `killed by ${r.signal}`
    : `exited with status ${r.code}`;
  const err = r.stderr.trim();
  return `${cmd}: ${why}${err ? `: ${err}` : ""}`;
}

/**
 * Runs `argv[0]` with the remaining arguments and waits for it.
 *
 * @example
 * ```ts
 * import { run } from "./exec.ts";
 * const r = await run(["echo", "hi"]);
 * if (r.stdout !== "hi\n") throw new Error("unexpected");
 * ```
 */
export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // AbortSignal.timeout, not setTimeout: Deno's first setTimeout costs ~10 ms.
  const signal = AbortSignal.timeout(timeoutMs);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: opts.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      env: opts.env,
      signal,
    }).spawn();
  } catch (e) {
    const result: RunResult = {
      argv,
      code: 127,
      signal: null,
      timedOut: false,
      stdout: "",
      stderr: e instanceof Error ? e.message : String(e),
    };
    if (opts.allowFailure) return result;
    throw new ExecError(result);
  }
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    // A child that exits without reading stdin closes the pipe: not our error.
    await w.write(new TextEncoder().encode(opts.stdin)).catch(() => {});
    await w.close().catch(() => {});
  }
  const out = await child.output();
  const result: RunResult = {
    argv,
    code: out.signal ? -1 : out.code,
    signal: out.signal,
    timedOut: signal.aborted,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
  if (!opts.allowFailure && (result.code !== 0 || result.signal || result.timedOut)) {
    throw new ExecError(result);
  }
  return result;
}

/**
 * Starts `argv[0]` (looked up on PATH) with the remaining arguments in a
 * session of its own, stdin, stdout and stderr on /dev/null, and does not wait
 * for it: it outlives the caller. Through posix_spawn(3) in-process (~1 ms,
 * off the event loop); Deno.Command's first spawn in a process costs ~4 ms.
 * Rejects when it cannot be started.
 */
export function spawnDetached(argv: string[]): Promise<void> {
  const path = onPath(argv[0]);
  if (!path) return Promise.reject(new Error(`${argv[0]}: not found on PATH`));
  return posixSpawnDetached(path, argv);
}

/** The first file named `name` in PATH's absolute directories. */
function onPath(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").filter((d) => d.startsWith("/"))) {
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
    } catch { /* not there */ }
  }
  return undefined;
}

/** True when the error is a child that ran out of time (ours, or the tool's own `--timeout`). */
export function isTimeout(e: unknown): boolean {
  return e instanceof ExecError && (e.result.timedOut || e.result.signal === "SIGALRM");
}
