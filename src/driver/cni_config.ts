/** The CNI configuration file node-init writes for the plugin and the Mesos agent. */
import type { ConfigFile } from "../cni/config.ts";

/** The file a network's configuration lives in. */
export function cniConfigPath(dir: string, network: string): string {
  return `${dir}/${network}.conf`;
}

/** Writes the configuration atomically (a temporary file renamed into place); returns its path. */
export async function writeCniConfig(dir: string, config: ConfigFile): Promise<string> {
  const path = cniConfigPath(dir, config.name);
  const text = JSON.stringify(config, null, 2) + "\n";
  if ((await Deno.readTextFile(path).catch(() => "")) === text) return path;
  const tmp = `${dir}/.${config.name}.conf.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, text, { mode: 0o644 });
  await Deno.rename(tmp, path);
  return path;
}
