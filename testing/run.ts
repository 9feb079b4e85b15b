/**
 * How testing/ and scripts/ run a process: with dax (`npm:dax-sh`), the one process runner
 * of the project's test support and scripts (the product itself keeps src/exec.ts: dax costs
 * ~100 ms of start-up, too much on the CNI path).
 *
 * dax's node build, the one Deno gets from npm, loses things the tests rely on, so each
 * command runs under a tiny `sh` that keeps them:
 * - a child killed by signal N is reported by dax as exit code 0; the `sh` waits for it and
 *   exits 128+N, as shells do (so a crashed program never looks like a success);
 * - dax writes stdin through a pipe after the spawn and reports "stdin pipe broken" (exit 1)
 *   when the child has exited without reading it; the `sh` feeds stdin itself (`printf … |`).
 * A timeout is coreutils' `timeout -s KILL` inside that `sh`: the command and everything it
 * started in its process group are killed (exit 137), where a kill of dax's direct child
 * would leave a grandchild holding the output pipes open.
 *
 * dax's own escaping leaves shell reserved words bare (see {@link command}).  The wrapper
 * costs 1–2 ms per command (`sh`, and `timeout` when asked for): scripts/bench times its
 * contenders with plain dax instead (scripts/benchmark/proc.ts).
 *
 * @example Run a command, never throwing for its exit code
 * ```ts
 * import { run } from "./run.ts";
 * const r = await run(["sh", "-c", "cat; exit 3"], { stdin: "hi" });
 * if (r.code !== 3 || r.stdout !== "hi") throw new Error("unexpected");
 * ```
 */
import { $, type CommandBuilder } from "dax";

/** What a command did. */
export interface RunResult {
  /** exit code; 128+N when killed by signal N (137 after a timeout) */
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  /** Variables set for the command, over this process' environment (or alone: clearEnv). */
  env?: Record<string, string>;
  /** Only `env` (nothing inherited from this process). */
  clearEnv?: boolean;
  /** Text on the command's stdin (a pipe); without it stdin is /dev/null. */
  stdin?: string;
  /** Kill the command (and its process group) with SIGKILL after this long: exit 137. */
  timeoutMs?: number;
  cwd?: string;
}

/** Where programs are looked for when this process' PATH lacks them (non-login shells). */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Larger stdin goes through a temporary file (one argument holds at most 128 KiB). */
const STDIN_ARG_MAX = 64 * 1024;

/**
 * The wrapper: `sh -c WRAPPER sh MODE DATA KEEP_PWD ARGV…`.  MODE is `s` (DATA is the stdin
 * text), `f` (DATA names a file for stdin) or `n` (no stdin).  `exit $?` after the command
 * keeps `sh` from exec'ing it, so that `sh` sees how it ended.  `sh`'s own messages ("Killed")
 * go nowhere, the command's stderr to the caller; `sh` exports a PWD of its own, removed
 * unless the command's environment had one.
 */
const WRAPPER = `m=$1 d=$2; [ "$3" = 1 ] || unset PWD; shift 3
exec 3>&2 2>/dev/null
case $m in
s) printf %s "$d" | exec "$@" 2>&3 3>&- ;;
f) (exec "$@" <"$d" 2>&3 3>&-) ;;
*) (exec "$@" 2>&3 3>&-) ;;
esac
exit $?`;

/** Programs found by {@link which}: a memo of the file system, per PATH. */
const found = new Map<string, string>();

/**
 * Absolute path of a program: on this process' PATH, else in the usual system directories
 * (a command with a clean environment must not depend on the PATH it is given to be found).
 */
export function which(prog: string): string | undefined {
  if (prog.includes("/")) return prog;
  const path = Deno.env.get("PATH") ?? "";
  const key = `${prog}\0${path}`;
  const hit = found.get(key);
  if (hit) return hit;
  for (const dir of [...path.split(":"), ...DEFAULT_PATH.split(":")]) {
    if (!dir.startsWith("/")) continue;
    try {
      const st = Deno.statSync(`${dir}/${prog}`);
      if (st.isFile && ((st.mode ?? 0) & 0o111) !== 0) {
        found.set(key, `${dir}/${prog}`);
        return `${dir}/${prog}`;
      }
    } catch { /* not here */ }
  }
  return undefined;
}

function mustWhich(prog: string): string {
  const p = which(prog);
  if (!p) throw new Error(`command not found: ${prog}`);
  return p;
}

/**
 * A dax command for exactly this argv.  Every argument is single-quoted: dax's own escaping
 * (`$\`${argv}\``) leaves words like `in` or `do` bare, which its parser then rejects as
 * reserved words.
 */
export function command(argv: string[]): CommandBuilder {
  return $.raw`${argv.map((a) => `'${a.replaceAll("'", `'"'"'`)}'`).join(" ")}`;
}

/** Runs argv; never throws for how it exits (throws when the program does not exist). */
export async function run(argv: string[], opts: CommandOptions = {}): Promise<RunResult> {
  if (argv.length === 0) throw new Error("run: empty argv");
  const sh = mustWhich("sh");
  const prog = mustWhich(argv[0]);
  const limit = opts.timeoutMs !== undefined
    ? [mustWhich("timeout"), "-s", "KILL", String(Math.max(opts.timeoutMs, 1) / 1000)]
    : [];
  let mode = "n", data = "", tmp: string | undefined;
  if (opts.stdin !== undefined) {
    if (opts.stdin.length <= STDIN_ARG_MAX && !opts.stdin.includes("\0")) {
      mode = "s";
      data = opts.stdin;
    } else {
      tmp = data = await Deno.makeTempFile({ prefix: "ovn-mesos-stdin." });
      await Deno.writeTextFile(tmp, opts.stdin);
      mode = "f";
    }
  }
  const keepPwd = opts.clearEnv ? opts.env?.PWD !== undefined : true;
  const args = [mode, data, keepPwd ? "1" : "0", ...limit, prog, ...argv.slice(1)];
  let cmd = command([sh, "-c", WRAPPER, "sh", ...args]).stdin("null").noThrow().quiet();
  if (opts.env) cmd = cmd.env(opts.env);
  if (opts.clearEnv) cmd = cmd.clearEnv();
  if (opts.cwd) cmd = cmd.cwd(opts.cwd);
  try {
    const r = await cmd;
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  } finally {
    if (tmp) await Deno.remove(tmp).catch(() => {});
  }
}

/**
 * Runs argv (timeout 60 s unless given); throws, naming the command and the end of its
 * stderr, unless it exits 0.  Returns its stdout.
 */
export async function runOk(argv: string[], opts: CommandOptions = {}): Promise<string> {
  const r = await run(argv, { timeoutMs: 60_000, ...opts });
  if (r.code !== 0) {
    const msg = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-5).join("\n");
    throw new Error(`command failed (exit ${r.code}): ${argv.join(" ")}${msg ? `\n${msg}` : ""}`);
  }
  return r.stdout;
}
