/**
 * Processes of the bench, all through dax.  Two ways to call, by what the call is for:
 *
 * - {@link timed}: what is measured (the contenders, the harness, start-up).  Plain dax, with
 *   exactly the environment given (as the Mesos agent runs CNI plugins) and the wall time from
 *   spawn to exit.  No wrapper process, so the figures stay comparable from run to run; the
 *   price is dax's: a child killed by a signal reads as exit 0.  What is measured is checked
 *   otherwise as well (ADD's address, VERSION's answer, nothing left after the DELs).
 * - {@link untimed}: everything else, through testing/run.ts (exit 128+N on a signal).
 */
import { command, run, which } from "../../testing/run.ts";
import type { Bench } from "./context.ts";

/** What a process did. */
export interface Proc {
  code: number;
  stdout: string;
  stderr: string;
  /** wall time from spawn to exit, ms */
  ms: number;
}

export interface SpawnOptions {
  /** the whole environment (default: PATH only) */
  env?: Record<string, string>;
  stdin?: string;
  cwd?: string;
  /** default 120 s; a timed-out process answers 124 */
  timeoutMs?: number;
}

/**
 * Runs argv with exactly `env` (nothing inherited), timed.  The program is looked up on the
 * bench's own PATH beforehand (a child's PATH may hold the shims), outside the timing.
 */
export async function timed(b: Bench, argv: string[], opts: SpawnOptions = {}): Promise<Proc> {
  const prog = which(argv[0]) ?? argv[0];
  let cmd = command([prog, ...argv.slice(1)])
    .env(opts.env ?? { PATH: b.path })
    .clearEnv()
    .timeout(opts.timeoutMs ?? 120_000)
    .noThrow()
    .quiet();
  cmd = opts.stdin !== undefined ? cmd.stdinText(opts.stdin) : cmd.stdin("null");
  if (opts.cwd) cmd = cmd.cwd(opts.cwd);
  const start = performance.now();
  const r = await cmd;
  const ms = performance.now() - start;
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, ms };
}

/** Runs argv inside a network namespace (by name) with exactly `env`, timed. */
export function inNetns(
  b: Bench,
  ns: string,
  argv: string[],
  env: Record<string, string> = { PATH: b.path },
  stdin?: string,
): Promise<Proc> {
  return timed(b, ["ip", "netns", "exec", ns, ...argv], { env, stdin });
}

/** Runs argv (inside `ns` when given) with exactly `env`; not timed (`ms` is wall time anyway). */
export async function untimed(
  b: Bench,
  argv: string[],
  opts: { ns?: string; env?: Record<string, string>; stdin?: string } = {},
): Promise<Proc> {
  const full = opts.ns ? ["ip", "netns", "exec", opts.ns, ...argv] : argv;
  const start = performance.now();
  const r = await run(full, {
    env: opts.env ?? { PATH: b.path },
    clearEnv: true,
    stdin: opts.stdin,
    timeoutMs: 120_000,
  });
  return { ...r, ms: performance.now() - start };
}

/** A process left running in the background: {@link background}. */
export interface Background {
  /** SIGTERM, then its end */
  stop(): Promise<void>;
}

/**
 * Starts argv (inside `ns` when given) in the background, its stdout into `file`, its stderr
 * nowhere: for a monitor that runs while a phase measures (`ip -ts monitor link`).  The netns
 * is entered by `ip netns exec`, which execs the program: stop() signals the program itself.
 */
export function background(
  b: Bench,
  argv: string[],
  file: string,
  opts: { ns?: string } = {},
): Background {
  const full = opts.ns ? ["ip", "netns", "exec", opts.ns, ...argv] : argv;
  // `sh` opens the file and execs the program: it writes there itself, as it goes (a pipe
  // through dax would hold its output until it ends), and the child's pid stays the program's.
  const child = command([which("sh")!, "-c", 'exec "$@" >"$0"', file, ...full])
    .env({ PATH: b.path })
    .clearEnv()
    .stdin("null")
    .stdout("null")
    .stderr("null")
    .noThrow()
    .spawn();
  return {
    async stop() {
      child.kill("SIGTERM");
      await child.catch(() => {});
    },
  };
}

/** p, or an error naming what failed, its exit code and the end of its output. */
export function must(p: Proc, what: string): Proc {
  if (p.code !== 0) {
    throw new Error(
      `${what} failed (exit ${p.code}): ${(p.stderr || p.stdout).trim().slice(-800)}`,
    );
  }
  return p;
}
