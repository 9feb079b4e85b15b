/**
 * What port mappings cost: ADD with the two {@link PORT_MAPPINGS} (one `nft` batch into the
 * table node-init set up; no load balancer, as the bench's sandbox has no gateway) against the
 * same ADD without, interleaved, and their DELs.  After every mapped ADD its two elements
 * must be in the table; after its DEL nothing of it may be left: no element, no record under
 * the run directory, no load balancer.
 */
import { containerPort, hostVethName, NFT_TABLE } from "../../src/names.ts";
import { type Ctx, PORT_MAPPINGS } from "./context.ts";
import { mapped, netnsFor, pluginAdd, pluginDel } from "./contenders.ts";
import { type AddResult, note } from "./outcome.ts";
import { untimed } from "./proc.ts";
import { p50, r1, rotate } from "./stats.ts";

/** The elements of the table's maps on hv1, by the comment that names their attachment. */
export async function nftElements(c: Ctx): Promise<string[]> {
  const r = await untimed(c, ["nft", "-j", "list", "table", "ip", NFT_TABLE], { ns: c.hv1.netns });
  if (r.code !== 0) throw new Error(`nft list table ip ${NFT_TABLE} on hv1: ${r.stderr.trim()}`);
  type Elem = { elem?: { comment?: string } } | unknown[];
  const doc = JSON.parse(r.stdout) as { nftables: { map?: { name: string; elem?: Elem[] } }[] };
  const out: string[] = [];
  for (const item of doc.nftables) {
    for (const e of item.map?.elem ?? []) {
      const head = Array.isArray(e) ? e[0] : e;
      const comment = (head as { elem?: { comment?: string } })?.elem?.comment ?? "?";
      out.push(`${item.map!.name}: ${comment}`);
    }
  }
  return out;
}

/** The plugin's load balancers in NB (one per container and protocol with mappings). */
async function loadBalancers(c: Ctx): Promise<string[]> {
  const out = await c.sb.nbctl("--bare", "--columns=name", "list", "Load_Balancer");
  return out.split(/\s+/).filter((n) => n.startsWith(`${c.conf.name}/`));
}

function recordPath(c: Ctx, id: string): string {
  const runDir = String(c.conf.runDir ?? "/run/ovn-mesos");
  return `${runDir}/mappings/${hostVethName(String(c.conf.name), id, "eth0")}.json`;
}

/**
 * `plan.mappingRounds` rounds (after one warm-up) of the plugin's ADD with and without port
 * mappings, their order rotated, then their DELs; what each mapped ADD made and each DEL left.
 */
export async function phaseMappings(c: Ctx) {
  const plan = c.plan;
  const m = mapped(c);
  const nsPlain = await netnsFor(c, "main-plugin");
  const nsMapped = await netnsFor(c, "main-mapped");
  const s = {
    plain: { add: [] as number[], del: [] as number[] },
    mapped: { add: [] as number[], del: [] as number[] },
  };
  const left = new Set<string>();
  let madeOk = 0;
  const before = await nftElements(c);
  for (let round = -1; round < plan.mappingRounds; round++) {
    c.checkAbort();
    const ids = { plain: crypto.randomUUID(), mapped: crypto.randomUUID() };
    const order = rotate(["plain", "mapped"] as const, Math.max(round, 0));
    for (const k of order) {
      const r: AddResult = k === "plain"
        ? await pluginAdd(c, ids.plain, nsPlain)
        : await pluginAdd(c, ids.mapped, nsMapped, m);
      note(c, `${k} ADD (mappings)`, r);
      if (round >= 0 && r.ok) s[k].add.push(r.ms);
    }
    // the mapped ADD made its two elements, named after its logical port
    const lsp = containerPort(String(c.conf.name), ids.mapped, "eth0");
    const mine = (await nftElements(c)).filter((e) => e.endsWith(`: ${lsp}`));
    if (mine.length === PORT_MAPPINGS.length) madeOk++;
    else {c.failures.push(
        `mapped ADD ${lsp}: ${mine.length} nft elements, not ${PORT_MAPPINGS.length}`,
      );}
    for (const k of order) {
      const r = k === "plain"
        ? await pluginDel(c, ids.plain, nsPlain)
        : await pluginDel(c, ids.mapped, nsMapped, m);
      note(c, `${k} DEL (mappings)`, r);
      if (round >= 0 && r.ok) s[k].del.push(r.ms);
    }
    for (const e of await nftElements(c)) if (!before.includes(e)) left.add(`nft element ${e}`);
    try {
      await Deno.stat(recordPath(c, ids.mapped));
      left.add(`record ${recordPath(c, ids.mapped)}`);
    } catch { /* gone, as it should be */ }
    if (round >= 0 && (round + 1) % 10 === 0) {
      c.progress(
        `  round ${round + 1}/${plan.mappingRounds}: ADD p50 without ${r1(p50(s.plain.add))}, ` +
          `with 2 mappings ${r1(p50(s.mapped.add))} ms`,
      );
    }
  }
  for (const lb of await loadBalancers(c)) left.add(`load balancer ${lb}`);
  return { s, madeOk, rounds: plan.mappingRounds + 1, left: [...left] };
}
