/**
 * Port security, proven with real packets: a container that changes its MAC
 * or its address, or sends IP or ARP with another source, gets nothing through
 * to its neighbours (one on its own host, one on another), while an honest
 * neighbour keeps working; restored, it works again.
 */
import assert from "node:assert/strict";
import { run } from "../testing/run.ts";
import { initCluster, mesosCni, mesosIp, pings } from "../testing/cluster.ts";
import { type Sandbox, withSandbox } from "../testing/sandbox_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A MAC that is nobody's, locally administered. */
const FOREIGN_MAC = "0a:58:de:ad:be:ef";

/** What a capture saw, one packet a line (`tcpdump -n -e`). */
type Capture = string[];

/**
 * Captures ARP and ICMP on eth0 of each namespace while `traffic` runs, and a
 * moment after (packets still on their way are seen too).
 */
async function captureDuring(
  sb: Sandbox,
  namespaces: string[],
  traffic: () => Promise<void>,
): Promise<Capture[]> {
  const files = namespaces.map((_, i) => `${sb.dir}/capture-${Date.now()}-${i}.pcap`);
  const captures = namespaces.map((ns, i) =>
    new Deno.Command("nsenter", {
      // --immediate-mode: without it, packets wait in the kernel's ring (up to a second) and
      // are lost when the capture stops.
      args: [
        `--net=${ns}`,
        ...["tcpdump", "--immediate-mode", "-i", "eth0", "-n", "-U", "-w", files[i], "arp or icmp"],
      ],
      stdout: "null",
      stderr: "null",
    }).spawn()
  );
  try {
    // tcpdump creates its file once it captures.
    for (const f of files) await waitFor(() => exists(f), `tcpdump writing ${f}`);
    await traffic();
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    for (const c of captures) c.kill("SIGINT");
    await Promise.all(captures.map((c) => c.status));
  }
  return await Promise.all(files.map(async (f) => {
    const r = await run(["tcpdump", "-r", f, "-n", "-e"]);
    return r.stdout.split("\n").filter(Boolean);
  }));
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(ok: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Packets (IPv4 or ARP) whose sender is `ip`, as tcpdump -n -e prints them. */
function fromIp(capture: Capture, ip: string): Capture {
  const e = ip.replaceAll(".", "\\.");
  const re = new RegExp(`: ${e} > |tell ${e},|Reply ${e} is-at`);
  return capture.filter((l) => re.test(l));
}

/** Frames sent from `mac`. */
function fromMac(capture: Capture, mac: string): Capture {
  return capture.filter((l) => l.includes(` ${mac} > `));
}

/** IPv4 packets addressed to `ip`. */
function toIp(capture: Capture, ip: string): Capture {
  const e = ip.replaceAll(".", "\\.");
  return capture.filter((l) => new RegExp(` > ${e}: `).test(l));
}

Deno.test(
  "port security: a container with another MAC or address, or sending ARP or IP as another, reaches nobody; its honest neighbour does",
  opts,
  () =>
    withSandbox({ hosts: 2 }, async (sb) => {
      const [h1, h2] = await initCluster(sb);
      const [nsA, nsB, nsC] = await Promise.all(
        ["a", "b", "c"].map((c) => sb.addContainerNetns(c)),
      );
      const [rA, rB, rC] = await Promise.all([
        mesosCni(h1, "ADD", "a", nsA),
        mesosCni(h1, "ADD", "b", nsB),
        mesosCni(h2, "ADD", "c", nsC),
      ]);
      const [ipA, ipB, ipC] = [mesosIp(rA), mesosIp(rB), mesosIp(rC)];
      const inA = async (...argv: string[]) => {
        const r = await sb.execIn(nsA, argv, { timeoutMs: 30_000 });
        assert.equal(r.code, 0, `in A: ${argv.join(" ")}: ${r.stderr}`);
        return r.stdout;
      };
      /** Pings from A (with `-I` a source); true when any reply came back. */
      const pingFromA = async (ip: string, ...extra: string[]) =>
        (await sb.execIn(nsA, ["ping", ...extra, "-c", "3", "-i", "0.2", "-W", "1", ip], {
          timeoutMs: 20_000,
        })).code === 0;
      const macA = /link\/ether (\S+)/.exec(await inA("ip", "link", "show", "eth0"))![1];
      const gateway = String(h1.config.gateway);
      // An address of A's subnet that nobody holds.
      const taken = new Set([ipA, ipB, gateway, h1.init.address]);
      const prefix = ipA.split(".").slice(0, 3).join(".");
      const spoofed = [254, 253, 252].map((n) => `${prefix}.${n}`).find((ip) => !taken.has(ip))!;

      const honest = async (when: string) => {
        assert.ok(await pings(sb, nsB, ipC), `${when}: B -> C (the honest neighbour)`);
        assert.ok(await pings(sb, nsC, ipB), `${when}: C -> B`);
      };
      const aWorks = async (when: string) => {
        assert.ok(await pings(sb, nsA, ipB), `${when}: A -> B`);
        assert.ok(await pings(sb, nsA, ipC), `${when}: A -> C`);
      };
      await aWorks("at first");
      await honest("at first");

      // The captures see what arrives: A's honest traffic does, at B and at C.
      const [okB, okC] = await captureDuring(sb, [nsB, nsC], async () => {
        assert.ok(await pingFromA(ipB));
        assert.ok(await pingFromA(ipC));
      });
      assert.ok(fromIp(okB, ipA).length >= 3, `B sees A's pings:\n${okB.join("\n")}`);
      assert.ok(fromIp(okC, ipA).length >= 3, `C sees A's pings:\n${okC.join("\n")}`);

      // (a) Another MAC.
      await inA("ip", "link", "set", "dev", "eth0", "address", FOREIGN_MAC);
      await inA("ip", "neigh", "flush", "dev", "eth0");
      const [macB, macC] = await captureDuring(sb, [nsB, nsC], async () => {
        assert.equal(await pingFromA(ipB), false, "A with another MAC -> B");
        assert.equal(await pingFromA(ipC), false, "A with another MAC -> C");
        await sb.execIn(nsA, ["busybox", "arping", "-I", "eth0", "-c", "2", "-w", "2", ipB]);
        await sb.execIn(nsA, ["busybox", "arping", "-I", "eth0", "-c", "2", "-w", "2", gateway]);
      });
      for (const [who, cap] of [["B", macB], ["C", macC]] as const) {
        assert.deepEqual(fromMac(cap, FOREIGN_MAC), [], `${who} got frames from the foreign MAC`);
        assert.deepEqual(fromIp(cap, ipA), [], `${who} got packets from A with another MAC`);
      }
      await honest("A with another MAC");
      await inA("ip", "link", "set", "dev", "eth0", "address", macA);
      await aWorks("A's MAC restored");

      // (b) Another address beside its own: IP and ARP from it.
      await inA("ip", "addr", "add", `${spoofed}/32`, "dev", "eth0");
      const [ipOnB, ipOnC] = await captureDuring(sb, [nsB, nsC], async () => {
        assert.equal(await pingFromA(ipB, "-I", spoofed), false, "A as another address -> B");
        assert.equal(await pingFromA(ipC, "-I", spoofed), false, "A as another address -> C");
        await sb.execIn(nsA, ["busybox", "arping", "-I", "eth0", "-s", spoofed, "-c", "2", ipB]);
        await sb.execIn(nsA, [
          "busybox",
          "arping",
          "-I",
          "eth0",
          "-s",
          spoofed,
          "-c",
          "2",
          gateway,
        ]);
        await sb.execIn(nsA, [
          "busybox",
          "arping",
          "-U",
          "-I",
          "eth0",
          "-s",
          spoofed,
          "-c",
          "2",
          spoofed,
        ]);
      });
      for (const [who, cap] of [["B", ipOnB], ["C", ipOnC]] as const) {
        assert.deepEqual(fromIp(cap, spoofed), [], `${who} got IP or ARP from the other address`);
      }
      assert.ok(await pings(sb, nsA, ipB), "A's own address still works beside it");
      await inA("ip", "addr", "del", `${spoofed}/32`, "dev", "eth0");
      await honest("A with another address beside its own");

      // (c) Its address changed for another.
      await inA("ip", "addr", "flush", "dev", "eth0");
      await inA("ip", "addr", "add", `${spoofed}/24`, "dev", "eth0");
      await inA("ip", "route", "replace", "default", "via", gateway, "dev", "eth0");
      const [chB, chC] = await captureDuring(sb, [nsB, nsC], async () => {
        assert.equal(await pingFromA(ipB), false, "A with a changed address -> B");
        assert.equal(await pingFromA(ipC), false, "A with a changed address -> C");
      });
      for (const [who, cap] of [["B", chB], ["C", chC]] as const) {
        assert.deepEqual(fromIp(cap, spoofed), [], `${who} got packets from the changed address`);
      }
      await honest("A with a changed address");
      await inA("ip", "addr", "flush", "dev", "eth0");
      await inA("ip", "addr", "add", `${ipA}/24`, "dev", "eth0");
      await inA(
        "ip",
        "route",
        "replace",
        "default",
        "via",
        gateway,
        "dev",
        "eth0",
        "metric",
        "100",
      );
      await aWorks("A's address restored");

      // (d) A claims B's address: gratuitous ARP, ARP replies, ARP to the router, IP as B.
      await inA("ip", "addr", "add", `${ipB}/32`, "dev", "eth0");
      const [asB_B, asB_C] = await captureDuring(sb, [nsB, nsC], async () => {
        const arp = (...a: string[]) =>
          sb.execIn(nsA, ["busybox", "arping", "-I", "eth0", "-s", ipB, "-c", "2", ...a]);
        await arp("-U", ipB);
        await arp("-A", ipB);
        await arp(gateway);
        assert.equal(await pingFromA(ipC, "-I", ipB), false, "A as B -> C");
      });
      // (A's honest ARP replies to B, which may ask for A at any time, are no claim.)
      assert.deepEqual(fromIp(fromMac(asB_B, macA), ipB), [], "B got A's frames claiming to be B");
      assert.deepEqual(fromIp(asB_C, ipB), [], "C got packets from B's address while B was idle");
      // Nobody believed A: B's traffic with C still reaches B, and none of it reaches A.
      const [atA] = await captureDuring(sb, [nsA], async () => {
        await honest("after A claimed B's address");
      });
      assert.deepEqual(toIp(atA, ipB), [], "traffic for B reached A");
      await inA("ip", "addr", "del", `${ipB}/32`, "dev", "eth0");

      // Restored, A works again, and so does everybody else.
      await aWorks("at the end");
      await honest("at the end");

      // It was port security that stopped A: without it (cleared by hand), the same packets from
      // another address reach B, and the capture sees them.
      await sb.nbctl("lsp-set-port-security", `${h1.config.name}/a/eth0`);
      await inA("ip", "addr", "add", `${spoofed}/32`, "dev", "eth0");
      const end = Date.now() + 15_000;
      while (!await pingFromA(ipB, "-I", spoofed)) {
        assert.ok(
          Date.now() < end,
          "without port security, A as another address never got through",
        );
      }
      const [leakB] = await captureDuring(sb, [nsB], async () => {
        assert.ok(await pingFromA(ipB, "-I", spoofed), "without port security: A as another -> B");
      });
      assert.ok(
        fromIp(leakB, spoofed).length >= 3,
        `B sees the other address:\n${leakB.join("\n")}`,
      );
      const dels = await Promise.all([
        mesosCni(h1, "DEL", "a", nsA),
        mesosCni(h1, "DEL", "b", nsB),
        mesosCni(h2, "DEL", "c", nsC),
      ]);
      for (const d of dels) assert.equal(d.code, 0, d.stdout + d.stderr);
    }),
);
