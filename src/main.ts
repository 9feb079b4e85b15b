/**
 * Chooses what the one executable is by how it was invoked: the CNI plugin
 * (CNI_COMMAND set, invoked as `ovn-mesos-plugin`, or `ovn-mesos cni`) or the
 * overlay driver (`ovn-mesos-overlay-driver`, `ovn-mesos <subcommand>`).
 */
import { PLUGIN_TYPE } from "./names.ts";
import { runPlugin } from "./cni/plugin.ts";

/** The executable's name as invoked, without its directory. */
async function invokedName(env: Record<string, string | undefined>): Promise<string> {
  // The bundled launcher exports its $0; a compiled binary has it as argv0.
  const named = env.OVN_MESOS_NAME;
  if (named) return named.slice(named.lastIndexOf("/") + 1);
  if (!Deno.mainModule.startsWith("file:")) {
    const { argv0 } = await import("node:process");
    return argv0.slice(argv0.lastIndexOf("/") + 1);
  }
  return "ovn-mesos";
}

/** Runs the program; returns the exit status. */
export async function main(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<number> {
  const pluginIo = {
    env,
    readStdin: () => Promise.resolve(readStdinSync()),
    writeStdout: (t: string) => writeAll(new TextEncoder().encode(t)),
  };
  ensureSystemPath(env);
  if (env.CNI_COMMAND !== undefined) return runPlugin(pluginIo);
  const name = await invokedName(env);
  if (name === PLUGIN_TYPE) return runPlugin(pluginIo);
  if (args[0] === "cni") return runPlugin(pluginIo);
  const { runDriver } = await import("./driver/cli.ts");
  return runDriver(name === "ovn-mesos-overlay-driver" ? name : "ovn-mesos", args, env);
}

function writeAll(bytes: Uint8Array): void {
  for (let n = 0; n < bytes.length;) n += Deno.stdout.writeSync(bytes.subarray(n));
}

/** All of stdin; a plain read loop is ~8 ms faster than a stream here. */
function readStdinSync(): string {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  for (let n; (n = Deno.stdin.readSync(buf)) !== null && n > 0;) chunks.push(buf.slice(0, n));
  const all = new Uint8Array(chunks.reduce((t, c) => t + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all);
}

/**
 * Runtimes call plugins with their own PATH, which may lack the sbin
 * directories where `ip`, `nft` and `ovsdb-client` live: add the standard ones at the end.
 */
function ensureSystemPath(env: Record<string, string | undefined>): void {
  const dirs = (env.PATH ?? "").split(":").filter(Boolean);
  const missing = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    .filter((d) => !dirs.includes(d));
  if (missing.length) Deno.env.set("PATH", [...dirs, ...missing].join(":"));
}
