/** Network interfaces, addresses and routes, through iproute2's `ip`. */
import { run, spawnDetached } from "../exec.ts";

/**
 * The `ip -n` argument for a network namespace given as a path (Mesos and
 * other runtimes bind-mount namespaces anywhere). `ip -n NAME` opens
 * `/var/run/netns/NAME`, so a path is reached by climbing out of that
 * directory: no symlink or extra process is needed. The directory must exist.
 *
 * @example
 * ```ts
 * import { netnsArg } from "./ip.ts";
 * if (netnsArg("/var/run/mesos/x/ns") !== "../../../../var/run/mesos/x/ns") throw new Error();
 * if (netnsArg("hv1") !== "hv1") throw new Error();
 * ```
 */
export function netnsArg(nsPath: string): string {
  return nsPath.startsWith("/") ? `../../../..${nsPath}` : nsPath;
}

/** Makes sure `/var/run/netns` exists, so that {@link netnsArg} paths resolve. */
export function ensureNetnsDir(): void {
  Deno.mkdirSync("/var/run/netns", { recursive: true });
}

/** Runs several `ip` commands in one process (`ip -batch -`), optionally in a namespace. */
export async function ipBatch(
  commands: string[][],
  opts: { netns?: string; force?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const argv = ["ip"];
  if (opts.netns) argv.push("-n", netnsArg(opts.netns));
  if (opts.force) argv.push("-force");
  argv.push("-batch", "-");
  const stdin = commands.map((c) => c.join(" ")).join("\n") + "\n";
  await run(argv, { stdin, timeoutMs: opts.timeoutMs ?? 10_000 });
}

/** Runs one `ip -json` query and parses its answer. */
export async function ipJson<T>(
  args: string[],
  opts: { netns?: string; timeoutMs?: number } = {},
): Promise<T> {
  const argv = ["ip", "-json"];
  if (opts.netns) argv.push("-n", netnsArg(opts.netns));
  const r = await run([...argv, ...args], { timeoutMs: opts.timeoutMs ?? 10_000 });
  return JSON.parse(r.stdout || "[]") as T;
}

/** Runs one plain `ip` command; returns whether it succeeded (for idempotent deletes). */
export async function ipTry(args: string[], opts: { netns?: string } = {}): Promise<boolean> {
  const argv = ["ip"];
  if (opts.netns) argv.push("-n", netnsArg(opts.netns));
  const r = await run([...argv, ...args], { allowFailure: true, timeoutMs: 10_000 });
  return r.code === 0;
}

/**
 * Deletes a link in this namespace by a process of its own that is not waited
 * for: the kernel takes ~20 ms over a veth (RCU grace periods), and nobody
 * needs to wait for that once the link is down and named as retired.
 */
export function deleteLinkDetached(name: string): Promise<void> {
  return spawnDetached(["ip", "link", "delete", "dev", name]);
}
