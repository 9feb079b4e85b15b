/**
 * src/net/netlink.ts against the real kernel, in throwaway namespaces: a veth
 * pair made and configured through netlink must look, to `ip -j`, exactly like
 * one made by `ip` with the commands of src/cni/port.ts. Needs root; no OVN.
 */
import assert from "node:assert/strict";
import { configureContainer, routeMetric } from "../src/cni/port.ts";
import type { NetConf } from "../src/cni/config.ts";
import { run } from "../src/exec.ts";
import { ipBatch, ipJson } from "../src/net/ip.ts";
import {
  configureInNamespace,
  createVethPair,
  deleteLink,
  Errno,
  linkIndex,
  NetlinkError,
} from "../src/net/netlink.ts";

const tag = `${Deno.pid % 100000}`;
const nsPath = (name: string) => `/var/run/netns/${name}`;
type Json = Record<string, unknown>;

/** Throwaway namespaces for `f`, deleted afterwards (their veths with them). */
async function withNamespaces(names: string[], f: () => Promise<void>): Promise<void> {
  const made: string[] = [];
  try {
    for (const n of names) {
      await run(["ip", "netns", "add", n]);
      made.push(n);
    }
    await f();
  } finally {
    for (const n of made) await run(["ip", "netns", "del", n], { allowFailure: true });
  }
}

/** `ip -j -d link show dev X` less what differs between any two links (index, peer's index). */
async function link(ns: string, dev: string, keepAddress = true): Promise<Json> {
  const [l] = await ipJson<Json[]>(["-d", "link", "show", "dev", dev], { netns: nsPath(ns) });
  const { ifindex: _i, link_index: _li, link_netnsid: _n, ifname: _f, ...rest } = l;
  if (!keepAddress) delete rest.address; // a host end's MAC is random
  return rest;
}

/** The IPv4 addresses of a namespace, and its IPv6 ones without their (DAD) state. */
async function addresses(ns: string): Promise<unknown> {
  const links = await ipJson<Json[]>(["addr", "show"], { netns: nsPath(ns) });
  return links.map((l) => ({
    ifname: l.ifname,
    addr: (l.addr_info as Json[]).map((a) =>
      a.family === "inet" ? a : { family: a.family, local: a.local, prefixlen: a.prefixlen }
    ),
  }));
}

/** IPv4 routes of every table, IPv6 ones of main (local's wait for DAD). */
async function routes(ns: string): Promise<Json[]> {
  const netns = nsPath(ns);
  return [
    ...await ipJson<Json[]>(["-4", "route", "show", "table", "all"], { netns }),
    ...await ipJson<Json[]>(["-6", "route", "show"], { netns }),
  ];
}

/** Waits for the links' operstate to settle (linkwatch reports carrier changes late). */
async function operstateUp(links: [string, string][]): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const states = await Promise.all(links.map(([ns, dev]) => link(ns, dev)));
    if (states.every((l) => l.operstate === "UP")) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("netlink: a veth pair created and configured as src/cni/port.ts does with ip", async () => {
  const [H, NL, IP] = [`nlt-h-${tag}`, `nlt-nl-${tag}`, `nlt-ip-${tag}`];
  await withNamespaces([H, NL, IP], async () => {
    const mtu = 1400;
    const mac = "0a:58:0a:00:00:05";
    const [ip, gateway, prefix] = ["10.0.0.5", "10.0.0.1", 24];
    const metric = routeMetric("eth0");

    // netlink: host end in H, peer eth0 in NL
    createVethPair({
      hostName: "vnl",
      peerName: "eth0",
      mtu,
      peerNetnsPath: nsPath(NL),
      hostNetnsPath: nsPath(H),
    });
    configureInNamespace(nsPath(NL), {
      ifname: "eth0",
      mac,
      address: `${ip}/${prefix}`,
      gateway,
      metric,
    });
    // ip: port.ts createVeth's command (run in H), then port.ts configureContainer
    const m = String(mtu);
    await ipBatch([[
      ..."link add vip mtu M up type veth peer name eth0 mtu M".replaceAll("M", m).split(" "),
      "netns",
      nsPath(IP),
    ]], { netns: nsPath(H) });
    await configureContainer({ gateway } as NetConf, nsPath(IP), "eth0", { mac, ip }, prefix);

    await operstateUp([[H, "vnl"], [H, "vip"], [NL, "eth0"], [IP, "eth0"]]);
    const eth0 = await link(NL, "eth0");
    assert.equal(eth0.mtu, mtu);
    assert.equal(eth0.address, mac);
    assert.ok((eth0.flags as string[]).includes("UP"));
    assert.deepEqual(eth0, await link(IP, "eth0"));
    assert.deepEqual(await link(NL, "lo"), await link(IP, "lo"));
    const host = await link(H, "vnl", false);
    assert.equal(host.mtu, mtu);
    assert.deepEqual(host, await link(H, "vip", false));
    const addrs = await addresses(NL);
    assert.match(JSON.stringify(addrs), /"local":"10\.0\.0\.5","prefixlen":24/);
    assert.deepEqual(addrs, await addresses(IP));
    const rts = await routes(NL);
    assert.deepEqual(rts, await routes(IP));
    assert.deepEqual(rts.find((r) => r.dst === "default"), {
      dst: "default",
      gateway,
      dev: "eth0",
      metric,
      flags: [],
    });

    // a second create: EEXIST, whichever name is taken
    for (const [hostName, peerName] of [["vnl", "eth1"], ["vnl2", "eth0"]]) {
      assert.throws(
        () =>
          createVethPair({
            hostName,
            peerName,
            mtu,
            peerNetnsPath: nsPath(NL),
            hostNetnsPath: nsPath(H),
          }),
        (e) =>
          e instanceof NetlinkError && e.errno === Errno.EEXIST &&
          e.message.startsWith(`create veth pair ${hostName}/${peerName}`) &&
          e.message.includes("File exists"),
      );
    }
    // configuring again: the address is there already
    assert.throws(
      () =>
        configureInNamespace(nsPath(NL), {
          ifname: "eth0",
          mac,
          address: `${ip}/${prefix}`,
          gateway,
          metric,
        }),
      (e) =>
        e instanceof NetlinkError && e.errno === Errno.EEXIST &&
        /^add address 10.0.0.5/.test(e.message),
    );
    // no such interface; no such namespace; a gateway off the subnet
    const cfg = { ifname: "eth9", mac, address: "10.0.1.5/24", gateway: "10.0.1.1", metric: 101 };
    assert.throws(
      () => configureInNamespace(nsPath(NL), cfg),
      (e) => e instanceof NetlinkError && e.errno === Errno.ENODEV && /eth9/.test(e.message),
    );
    assert.throws(
      () => configureInNamespace(nsPath(`nlt-none-${tag}`), cfg),
      (e) => e instanceof NetlinkError && e.errno === Errno.ENOENT,
    );
    createVethPair({
      hostName: "vnl1",
      peerName: "eth1",
      mtu,
      peerNetnsPath: nsPath(NL),
      hostNetnsPath: nsPath(H),
    });
    assert.throws(
      () => configureInNamespace(nsPath(NL), { ...cfg, ifname: "eth1", gateway: "10.9.9.1" }),
      (e) => e instanceof NetlinkError && e.errno === Errno.ENETUNREACH,
    );
    assert.ok(linkIndex("eth1", nsPath(NL)) > 1);
    assert.equal(linkIndex("lo", nsPath(NL)), 1);

    // delete: true, then false; the peer went with it
    assert.equal(await deleteLink("vnl", nsPath(H)), true);
    assert.equal(await deleteLink("vnl", nsPath(H)), false);
    assert.throws(() => linkIndex("eth0", nsPath(NL)), (e) => (e as NetlinkError).errno === 19);
  });
});

Deno.test("netlink: in this process' own namespace, lookups and a delete of nothing", async () => {
  assert.equal(linkIndex("lo"), 1);
  assert.equal(await deleteLink(`nlt-none-${tag}`), false);
});
