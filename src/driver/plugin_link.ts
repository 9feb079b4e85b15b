/**
 * The plugin node-init places in the agent's `--network_cni_plugins_dir`:
 * a link to the executable, or for the bundled form a two-line launcher that
 * names the Deno to run it with (the agent passes a plugin only PATH and CNI_*).
 */
import { UsageError } from "../errors.ts";
import * as names from "../names.ts";

/** Where the plugin goes, what it runs, and the Deno that runs it (for the bundled form). */
export interface PluginLink {
  link: string;
  target: string;
  deno?: string;
}

/** The executable to place in `dir` (checked before anything changes). */
export async function pluginSource(
  dir: string,
  env: Record<string, string | undefined>,
): Promise<PluginLink> {
  const runtime = Deno.execPath();
  if (!env.OVN_MESOS_NAME) {
    if (runtime.endsWith("/deno")) {
      throw new UsageError(
        "--plugins_dir needs the built executable (dist/ovn-mesos), not `deno run`",
      );
    }
    return { link: `${dir}/${names.PLUGIN_TYPE}`, target: runtime }; // a compiled executable
  }
  const target = await Deno.realPath(env.OVN_MESOS_NAME);
  return { link: `${dir}/${names.PLUGIN_TYPE}`, target, deno: runtime };
}

/**
 * Places `ovn-mesos-plugin` in the plugins directory, atomically. A compiled
 * executable is linked. The bundled form needs Deno, and the Mesos agent
 * passes a plugin only PATH and CNI_* (no OVN_MESOS_DENO): so it gets a
 * two-line launcher that names the Deno node-init itself runs under.
 */
export async function placePlugin({ link, target, deno }: PluginLink): Promise<void> {
  const tmp = `${link}.tmp-${Deno.pid}`;
  if (!deno) {
    if (await Deno.readLink(link).catch(() => undefined) === target) return;
    await Deno.symlink(target, tmp);
  } else {
    const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
    const text = `#!/bin/sh\n# placed by ovn-mesos node-init\nOVN_MESOS_DENO=${q(deno)} exec ${
      q(target)
    } "$@"\n`;
    if ((await Deno.readTextFile(link).catch(() => "")) === text) return;
    await Deno.writeTextFile(tmp, text, { mode: 0o755 });
  }
  await Deno.rename(tmp, link);
}
