/**
 * The floor: floor_add.sh and floor_del.sh (beside this module), the same OVN/OVS/namespace
 * work as the plugin's ADD and DEL as the shortest shell sequence of the stock tools.
 */
import { type Ctx, HOST_PREFIX } from "./context.ts";
import { type AddResult, outcome } from "./outcome.ts";
import { inNetns } from "./proc.ts";

/** Where the tools reach NB and the local OVS (the timeline points them at logging proxies). */
export interface Remotes {
  nb: string;
  ovs: string;
}

/** The sandbox's own NB and hv1's OVS. */
export function remotes(c: Ctx): Remotes {
  return { nb: c.sb.nbRemote, ovs: `unix:${c.hv1.dir}/db.sock` };
}

function floorNames(id: string) {
  return { lsp: `floor/${id}/eth0`, veth: `flr${id.replaceAll("-", "").slice(0, 12)}` };
}

export function floorAddArgv(c: Ctx, id: string, netns: string, r = remotes(c)): string[] {
  const { lsp, veth } = floorNames(id);
  return [
    c.floorAdd,
    r.nb,
    r.ovs,
    String(c.conf.logicalSwitch),
    String(HOST_PREFIX),
    String(c.conf.gateway),
    String(c.conf.mtu),
    lsp,
    veth,
    netns,
    "eth0",
  ];
}

export function floorDelArgv(c: Ctx, id: string, r = remotes(c)): string[] {
  const { lsp, veth } = floorNames(id);
  return [c.floorDel, r.nb, r.ovs, lsp, veth];
}

/** The floor's ADD on hv1, timed; ok when it printed the address. */
export async function floorAdd(c: Ctx, id: string, netns: string): Promise<AddResult> {
  const p = await inNetns(c, c.hv1.netns, floorAddArgv(c, id, netns));
  return outcome(p, (r) => r?.ip4?.ip);
}

/** The floor's DEL on hv1, timed. */
export async function floorDel(c: Ctx, id: string): Promise<AddResult> {
  const p = await inNetns(c, c.hv1.netns, floorDelArgv(c, id));
  return outcome(p);
}
