/**
 * The veth steps of ADD and DEL through `ip` (what src/cni/port.ts does now:
 * createVeth, configureContainer, deleteVeths, on src/net/ip.ts) against
 * src/net/netlink.ts (createVethPair, configureInNamespace, deleteLink):
 *
 *   deno run -A scripts/benchmark/netlink.ts [--rounds=50]
 *
 * Rounds interleaved (ip then netlink, netlink then ip, …) after a few untimed
 * ones; prints the p50 and p90 of each step. As in the plugin, the host ends
 * are made in this process' namespace (names nlb<pid>i/n, deleted at the end
 * whatever happens), the container end in a throwaway namespace. Run as root.
 */
import { parseArgs } from "node:util";
import type { AttachmentPlan } from "../../src/cni/attachment.ts";
import type { NetConf } from "../../src/cni/config.ts";
import { configureContainer, createVeth, deleteVeths, routeMetric } from "../../src/cni/port.ts";
import { run } from "../../src/exec.ts";
import { configureInNamespace, createVethPair, deleteLink } from "../../src/net/netlink.ts";
import { p50, p90 } from "./stats.ts";

const args = parseArgs({ args: Deno.args, options: { rounds: { type: "string", default: "50" } } });
const rounds = Number(args.values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bad --rounds ${args.values.rounds}`);

const ns = `nlb-${Deno.pid}`;
const netns = `/var/run/netns/${ns}`;
const [mtu, ifname, mac, ip, prefix, gateway] = [
  1400,
  "eth0",
  "0a:58:0a:00:00:05",
  "10.0.0.5",
  24,
  "10.0.0.1",
];
const metric = routeMetric(ifname);
const veth = { ip: `nlb${Deno.pid}i`, netlink: `nlb${Deno.pid}n` };

type Step = "veth create" | "configure" | "delete";
type Way = "ip" | "netlink";
const steps: Step[] = ["veth create", "configure", "delete"];
const ways: Way[] = ["ip", "netlink"];

/** The three steps, each way. */
const ops: Record<Way, Record<Step, () => Promise<unknown> | unknown>> = {
  ip: {
    "veth create": () =>
      createVeth({ mtu } as NetConf, { veth: veth.ip } as AttachmentPlan, netns, ifname),
    "configure": () =>
      configureContainer({ gateway } as NetConf, netns, ifname, { mac, ip }, prefix),
    "delete": () => deleteVeths([veth.ip]),
  },
  netlink: {
    "veth create": () =>
      createVethPair({ hostName: veth.netlink, peerName: ifname, mtu, peerNetnsPath: netns }),
    "configure": () =>
      configureInNamespace(netns, { ifname, mac, address: `${ip}/${prefix}`, gateway, metric }),
    "delete": () => deleteLink(veth.netlink),
  },
};

const none = (): Record<Step, number[]> => ({ "veth create": [], "configure": [], "delete": [] });
/** Wall time of each step, and the part of it the call held the event loop (its synchronous part). */
const times = { ip: none(), netlink: none() };
const held = { ip: none(), netlink: none() };

async function round(way: Way, timed: boolean): Promise<void> {
  for (const step of steps) {
    const t0 = performance.now();
    const p = ops[way][step]();
    const t1 = performance.now();
    await p;
    const t2 = performance.now();
    if (timed) {
      times[way][step].push(t2 - t0);
      held[way][step].push(t1 - t0);
    }
  }
}

const fmt = (x: number) => x < 10 ? x.toFixed(2) : x.toFixed(1);

await run(["ip", "netns", "add", ns]);
try {
  for (let i = 0; i < 3; i++) for (const way of ways) await round(way, false);
  for (let i = 0; i < rounds; i++) {
    for (const way of i % 2 ? [...ways].reverse() : ways) await round(way, true);
  }
  console.log(`${rounds} rounds, interleaved; p50 (p90) in ms`);
  console.log("wall time:");
  const total = (w: Way) =>
    times[w]["veth create"].map((_, i) => steps.reduce((s, st) => s + times[w][st][i], 0));
  for (
    const [name, ip_, nl] of [
      ...steps.map((s) => [s, times.ip[s], times.netlink[s]] as const),
      ["all three", total("ip"), total("netlink")] as const,
    ]
  ) {
    console.log(
      `${name}: ip ${fmt(p50(ip_))} ms (${fmt(p90(ip_))}), netlink ${fmt(p50(nl))} ms (${
        fmt(p90(nl))
      })`,
    );
  }
  console.log("of which the event loop was held (the calls' synchronous part), p50:");
  for (const s of steps) {
    console.log(`${s}: ip ${fmt(p50(held.ip[s]))} ms, netlink ${fmt(p50(held.netlink[s]))} ms`);
  }
} finally {
  // A round cut short leaves a pair: deleting its host end takes the peer too.
  for (const name of Object.values(veth)) {
    await run(["ip", "link", "del", name], { allowFailure: true });
  }
  await run(["ip", "netns", "del", ns], { allowFailure: true });
}
