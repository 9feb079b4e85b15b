/**
 * The contenders besides the floor (floor.ts): the plugin, called as the Mesos agent calls it
 * (env: CNI_* + PATH only; the config file with args.org.apache.mesos), and the reference,
 * Debian's Go `bridge` + `host-local` plugins (no OVN) in a netns of ours.
 */
import { CNI_BIN, type Ctx } from "./context.ts";
import { floorAddArgv, floorDelArgv, type Remotes, remotes } from "./floor.ts";
import { type AddResult, outcome } from "./outcome.ts";
import { inNetns } from "./proc.ts";

/** The environment of a CNI call (nothing else: like the Mesos agent). */
export function cniEnv(
  c: Ctx,
  cmd: string,
  id: string,
  netns: string | undefined,
  cniPath: string,
): Record<string, string> {
  const env: Record<string, string> = {
    CNI_COMMAND: cmd,
    CNI_CONTAINERID: id,
    CNI_IFNAME: "eth0",
    CNI_PATH: cniPath,
    PATH: c.path,
  };
  if (netns) env.CNI_NETNS = netns;
  return env;
}

/** The plugin's ADD on hv1, timed; ok when its answer has ip4.ip. */
export async function pluginAdd(c: Ctx, id: string, netns: string): Promise<AddResult> {
  c.pluginIds.push(id);
  const env = cniEnv(c, "ADD", id, netns, c.dist.dir);
  const p = await inNetns(c, c.hv1.netns, [c.dist.plugin], env, c.mesosConf);
  return outcome(p, (r) => r?.ip4?.ip);
}

/** The plugin's DEL on hv1, timed. */
export async function pluginDel(c: Ctx, id: string, netns?: string): Promise<AddResult> {
  const env = cniEnv(c, "DEL", id, netns, c.dist.dir);
  const p = await inNetns(c, c.hv1.netns, [c.dist.plugin], env, c.mesosConf);
  return outcome(p);
}

/** The Go bridge plugin's ADD, timed; ok when its answer has an address. */
export async function bridgeAdd(c: Ctx, id: string, netns: string): Promise<AddResult> {
  const env = cniEnv(c, "ADD", id, netns, CNI_BIN);
  const p = await inNetns(c, c.bridgeNs, [`${CNI_BIN}/bridge`], env, c.bridgeConf);
  return outcome(p, (r) => r?.ips?.[0]?.address);
}

/** The Go bridge plugin's DEL, timed. */
export async function bridgeDel(c: Ctx, id: string, netns: string): Promise<AddResult> {
  const env = cniEnv(c, "DEL", id, netns, CNI_BIN);
  const p = await inNetns(c, c.bridgeNs, [`${CNI_BIN}/bridge`], env, c.bridgeConf);
  return outcome(p);
}

/** A container netns (bind-mounted file, as Mesos makes them), made once per key and reused. */
export async function netnsFor(c: Ctx, key: string): Promise<string> {
  let p = c.netnsPool.get(key);
  if (!p) {
    p = await c.sb.addContainerNetns(key);
    c.netnsPool.set(key, p);
  }
  return p;
}

export type OpKey =
  | "plugin_add"
  | "plugin_del"
  | "floor_add"
  | "floor_del"
  | "bridge_add"
  | "bridge_del";

/** One operation to run by hand: in netns `ns`, argv with exactly env, and its stdin. */
export type Op = [ns: string, argv: string[], env: Record<string, string>, stdin?: string];

/**
 * The six operations, for a fresh container id each (ADD then DEL of each, so every ADD is
 * undone when they run in this order).  With other remotes (the timeline's logging proxies)
 * the plugin's configuration and the floor's arguments point there.
 */
export async function ops(c: Ctx, r: Remotes = remotes(c)): Promise<Record<OpKey, Op>> {
  const nsP = await netnsFor(c, "main-plugin");
  const nsF = await netnsFor(c, "main-floor");
  const nsB = await netnsFor(c, "main-bridge");
  const id = crypto.randomUUID(), fid = crypto.randomUUID(), bid = crypto.randomUUID();
  c.pluginIds.push(id);
  const br = [`${CNI_BIN}/bridge`];
  const conf = r.nb === c.sb.nbRemote
    ? c.mesosConf
    : JSON.stringify({ ...JSON.parse(c.mesosConf), nbRemote: r.nb, ovsDb: r.ovs });
  const plugin = [c.dist.plugin];
  return {
    plugin_add: [c.hv1.netns, plugin, cniEnv(c, "ADD", id, nsP, c.dist.dir), conf],
    plugin_del: [c.hv1.netns, plugin, cniEnv(c, "DEL", id, nsP, c.dist.dir), conf],
    floor_add: [c.hv1.netns, floorAddArgv(c, fid, nsF, r), { PATH: c.path }],
    floor_del: [c.hv1.netns, floorDelArgv(c, fid, r), { PATH: c.path }],
    bridge_add: [c.bridgeNs, br, cniEnv(c, "ADD", bid, nsB, CNI_BIN), c.bridgeConf],
    bridge_del: [c.bridgeNs, br, cniEnv(c, "DEL", bid, nsB, CNI_BIN), c.bridgeConf],
  };
}
