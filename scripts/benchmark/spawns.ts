/**
 * What one operation costs besides wall time: the processes it spawns (`strace -f -e
 * trace=execve`) and its CPU time with its children's (`/usr/bin/time`).  Both wrap the
 * program inside its netns, so the bench's own way of starting it is not counted.
 */
import type { Bench } from "./context.ts";
import { must, untimed } from "./proc.ts";
import { label } from "./tracing.ts";

interface ExecEvent {
  pid: number;
  path: string;
  argv: string[];
}

/** Successful execs in `strace -f -s 4096 -e trace=execve` output (unfinished/resumed pairs too). */
export function parseStrace(text: string): ExecEvent[] {
  const execs: ExecEvent[] = [];
  const pending = new Map<number, { path: string; argv: string[] }>();
  const parseCall = (rest: string) => {
    const path = rest.match(/^execve\("((?:[^"\\]|\\.)*)"/)?.[1] ?? "?";
    const arr = rest.match(/^execve\("(?:[^"\\]|\\.)*", \[(.*?)\](?:, |\s*<unfinished)/)?.[1] ??
      "";
    const argv = [...arr.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\"/g, '"'));
    return { path, argv };
  };
  for (const line of text.split("\n")) {
    const m = line.match(/^(\d+)\s+(.*)$/);
    if (!m) continue;
    const pid = Number(m[1]);
    const rest = m[2];
    if (rest.startsWith("execve(")) {
      const call = parseCall(rest);
      if (rest.includes("<unfinished ...>")) pending.set(pid, call);
      else if (/\)\s*=\s*0\s*$/.test(rest)) execs.push({ pid, ...call });
    } else if (rest.startsWith("<... execve resumed>")) {
      const p = pending.get(pid);
      pending.delete(pid);
      if (p && /=\s*0\s*$/.test(rest)) execs.push({ pid, ...p });
    }
  }
  return execs;
}

export interface SpawnCount {
  /** execs of the program's children (not the program itself, not its launcher) */
  childExecs: number;
  /** distinct child processes that exec'd (nsenter → ethtool is one process, two execs) */
  childProcs: number;
  /** execs of the program and its launcher (sh, //bin/true, deno) */
  launcherExecs: number;
  children: string[];
}

export async function countSpawns(
  b: Bench,
  ns: string,
  argv: string[],
  env: Record<string, string>,
  stdin: string | undefined,
  file: string,
): Promise<SpawnCount> {
  const st = ["strace", "-f", "--seccomp-bpf", "-qq", "-s", "4096", "-e", "trace=execve"];
  const traced = [...st, "-e", "signal=none", "-o", file, ...argv];
  must(await untimed(b, traced, { ns, env, stdin }), argv[0]);
  const execs = parseStrace(await Deno.readTextFile(file));
  await Deno.remove(file).catch(() => {});
  const top = execs[0].pid;
  // the program's own pid runs sh then deno; the launcher's line 2 starts with //bin/true
  const launcher = execs.filter((e) => e.pid === top || e.argv[0] === "//bin/true");
  const children = execs.filter((e) => !launcher.includes(e));
  return {
    childExecs: children.length,
    childProcs: new Set(children.map((e) => e.pid)).size,
    launcherExecs: launcher.length,
    children: children.map((e) => label(e.argv)),
  };
}

/** CPU time (user + system, the program and all its children) of one run, ms. */
export async function cpuOf(
  b: Bench,
  ns: string,
  argv: string[],
  env: Record<string, string>,
  stdin: string | undefined,
  file: string,
): Promise<number> {
  const clocked = ["/usr/bin/time", "-o", file, "-f", "%U %S", ...argv];
  must(await untimed(b, clocked, { ns, env, stdin }), argv[0]);
  const [u, sys] = (await Deno.readTextFile(file)).trim().split("\n").pop()!.split(" ").map(Number);
  await Deno.remove(file).catch(() => {});
  return (u + sys) * 1000;
}
