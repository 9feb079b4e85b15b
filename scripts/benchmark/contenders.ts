/**
 * The contenders besides the floors (floor.ts): the plugin, called as the Mesos agent calls it
 * (env: CNI_* + PATH only; the config file with args.org.apache.mesos) — this build, and with
 * --baseline an older one with the configuration its own node-init wrote — and the reference,
 * Debian's Go `bridge` + `host-local` plugins (no OVN) in a netns of ours.
 */
import { CNI_BIN, type Ctx, type PluginSetup, PORT_MAPPINGS } from "./context.ts";
import { floorAddArgv, floorAddStaticArgv, floorDelArgv, type Remotes, remotes } from "./floor.ts";
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

/** The plugin's ADD on hv1 (this build unless `p` says otherwise), timed; ok when its answer has ip4.ip. */
export async function pluginAdd(
  c: Ctx,
  id: string,
  netns: string,
  p: PluginSetup = c,
): Promise<AddResult> {
  c.pluginIds.push(id);
  const env = cniEnv(c, "ADD", id, netns, p.dist.dir);
  const r = await inNetns(c, c.hv1.netns, [p.dist.plugin], env, p.mesosConf);
  return outcome(r, (x) => x?.ip4?.ip);
}

/** The plugin's DEL on hv1 (this build unless `p` says otherwise), timed. */
export async function pluginDel(
  c: Ctx,
  id: string,
  netns?: string,
  p: PluginSetup = c,
): Promise<AddResult> {
  const env = cniEnv(c, "DEL", id, netns, p.dist.dir);
  const r = await inNetns(c, c.hv1.netns, [p.dist.plugin], env, p.mesosConf);
  return outcome(r);
}

/** What the Mesos agent sends for a task with port mappings: the same file, with them. */
export function withMappings(mesosConf: string, mappings = PORT_MAPPINGS): string {
  const m = JSON.parse(mesosConf);
  m.args["org.apache.mesos"].network_info.port_mappings = mappings;
  return JSON.stringify(m);
}

/** This build, called with {@link PORT_MAPPINGS}. */
export function mapped(c: Ctx): PluginSetup {
  return { dist: c.dist, conf: c.conf, mesosConf: withMappings(c.mesosConf) };
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
  | "plugin_mapped_add"
  | "plugin_mapped_del"
  | "floor_add"
  | "floor_del"
  | "floor_static_add"
  | "floor_static_del"
  | "bridge_add"
  | "bridge_del";

/** One operation to run by hand: in netns `ns`, argv with exactly env, and its stdin. */
export type Op = [ns: string, argv: string[], env: Record<string, string>, stdin?: string];

/** The operations, each ADD followed by its DEL, and the container ids they use. */
export interface Ops {
  ops: Record<OpKey, Op>;
  /** the container id of each contender's ADD/DEL pair */
  ids: { plugin: string; pluginMapped: string; floor: string; floorStatic: string; bridge: string };
}

/**
 * The ten operations, for a fresh container id each (ADD then DEL of each, so every ADD is
 * undone when they run in this order).  With other remotes (the timeline's logging proxies)
 * the plugin's configuration and the floors' arguments point there.
 */
export async function ops(c: Ctx, r: Remotes = remotes(c)): Promise<Ops> {
  const nsP = await netnsFor(c, "main-plugin");
  const nsM = await netnsFor(c, "main-mapped");
  const nsF = await netnsFor(c, "main-floor");
  const nsS = await netnsFor(c, "main-floor-static");
  const nsB = await netnsFor(c, "main-bridge");
  const ids = {
    plugin: crypto.randomUUID(),
    pluginMapped: crypto.randomUUID(),
    floor: crypto.randomUUID(),
    floorStatic: crypto.randomUUID(),
    bridge: crypto.randomUUID(),
  };
  c.pluginIds.push(ids.plugin, ids.pluginMapped);
  const br = [`${CNI_BIN}/bridge`];
  const conf = r.nb === c.sb.nbRemote
    ? c.mesosConf
    : JSON.stringify({ ...JSON.parse(c.mesosConf), nbRemote: r.nb, ovsDb: r.ovs });
  const mconf = withMappings(conf);
  const plugin = [c.dist.plugin];
  const d = c.dist.dir;
  const path = { PATH: c.path };
  return {
    ids,
    ops: {
      plugin_add: [c.hv1.netns, plugin, cniEnv(c, "ADD", ids.plugin, nsP, d), conf],
      plugin_del: [c.hv1.netns, plugin, cniEnv(c, "DEL", ids.plugin, nsP, d), conf],
      plugin_mapped_add: [c.hv1.netns, plugin, cniEnv(c, "ADD", ids.pluginMapped, nsM, d), mconf],
      plugin_mapped_del: [c.hv1.netns, plugin, cniEnv(c, "DEL", ids.pluginMapped, nsM, d), mconf],
      floor_add: [c.hv1.netns, floorAddArgv(c, ids.floor, nsF, r), path],
      floor_del: [c.hv1.netns, floorDelArgv(c, ids.floor, r), path],
      floor_static_add: [c.hv1.netns, floorAddStaticArgv(c, ids.floorStatic, nsS, r), path],
      floor_static_del: [c.hv1.netns, floorDelArgv(c, ids.floorStatic, r), path],
      bridge_add: [c.bridgeNs, br, cniEnv(c, "ADD", ids.bridge, nsB, CNI_BIN), c.bridgeConf],
      bridge_del: [c.bridgeNs, br, cniEnv(c, "DEL", ids.bridge, nsB, CNI_BIN), c.bridgeConf],
    },
  };
}
