/**
 * The floors: the same OVN/OVS/namespace work as the plugin's ADD and DEL as the shortest
 * shell sequence of the stock tools (scripts beside this module).  Two ADDs:
 * floor_add.sh with an address allocated by northd (`dynamic`, then port security in a
 * second write, ready at NB `up`), and floor_add_static.sh with the plugin's own design (a
 * static address and port security in one insert, ready at the local `ovn-installed`).  One
 * DEL undoes either: floor_del.sh.
 */
import { macFor } from "../../src/cni/allocate.ts";
import { type Ctx, HOST_PREFIX, ipAdd, STATIC_FLOOR_COUNT, STATIC_FLOOR_FIRST } from "./context.ts";
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

/** The arguments both floors' ADD scripts start with. */
function floorArgv(c: Ctx, script: string, id: string, netns: string, r: Remotes): string[] {
  const { lsp, veth } = floorNames(id);
  return [
    script,
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

export function floorAddArgv(c: Ctx, id: string, netns: string, r = remotes(c)): string[] {
  return floorArgv(c, c.floorAdd, id, netns, r);
}

/**
 * floor_add_static.sh's arguments, with the next address of its range (the caller chooses
 * the address, as the plugin does for itself).
 */
export function floorAddStaticArgv(c: Ctx, id: string, netns: string, r = remotes(c)): string[] {
  const ip = ipAdd(STATIC_FLOOR_FIRST, c.staticFloorUsed++ % STATIC_FLOOR_COUNT);
  return [
    ...floorArgv(c, c.floorAddStatic, id, netns, r),
    macFor(ip),
    ip,
    String(c.conf.hostId),
    String(c.conf.bindTimeoutSeconds ?? 30),
  ];
}

/** The host end of a floor attachment's veth (the OVS port name too). */
export function floorVeth(id: string): string {
  return floorNames(id).veth;
}

/** A floor attachment's logical port. */
export function floorLsp(id: string): string {
  return floorNames(id).lsp;
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

/** The static floor's ADD on hv1, timed; ok when it printed the address. */
export async function floorAddStatic(c: Ctx, id: string, netns: string): Promise<AddResult> {
  const p = await inNetns(c, c.hv1.netns, floorAddStaticArgv(c, id, netns));
  return outcome(p, (r) => r?.ip4?.ip);
}

/** A floor's DEL on hv1 (either floor), timed. */
export async function floorDel(c: Ctx, id: string): Promise<AddResult> {
  const p = await inNetns(c, c.hv1.netns, floorDelArgv(c, id));
  return outcome(p);
}
