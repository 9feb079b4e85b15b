/**
 * North-South: Mesos port mappings reach containers from outside, at the
 * agent's own address (nftables) and through a gateway (OVN load balancer),
 * on the real sandbox. Servers and clients are small python3 programs in the
 * namespaces; every server is stopped by its pid.
 */
import assert from "node:assert/strict";
import {
  callPlugin,
  type ClusterHost,
  DIST,
  driverOk,
  initCluster,
  pluginPorts,
} from "../testing/cluster.ts";
import { type Sandbox, withSandbox } from "../testing/sandbox_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** TCP and UDP servers that answer each request with the address they saw it from. */
const SERVER = `
import socket, sys, threading
def tcp(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(16)
    while True:
        c, a = s.accept(); c.sendall(("tcp from " + a[0] + "\\n").encode()); c.close()
def udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", port))
    while True:
        d, a = s.recvfrom(2048); s.sendto(("udp from " + a[0] + "\\n").encode(), a)
for spec in sys.argv[1:]:
    proto, port = spec.split(":")
    threading.Thread(target=tcp if proto == "tcp" else udp, args=(int(port),), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
`;

/** One request; the answer, or "" when nothing came back in time. */
const CLIENT = `
import socket, sys
proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    if proto == "tcp":
        s = socket.create_connection((host, port), timeout=3); print(s.recv(100).decode().strip())
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
        s.sendto(b"hi", (host, port)); print(s.recvfrom(100)[0].decode().strip())
except Exception as e:
    print("")
`;

/** Runs `argv` in a namespace (a path or a name) in the background; returns a stop function. */
async function serve(nsPath: string, specs: string[]): Promise<() => Promise<void>> {
  const p = nsPath.includes("/") ? nsPath : `/var/run/netns/${nsPath}`;
  const child = new Deno.Command("nsenter", {
    args: [`--net=${p}`, "python3", "-u", "-c", SERVER, ...specs],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  assert.match(new TextDecoder().decode(value ?? new Uint8Array()), /ready/);
  reader.releaseLock();
  return async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
    await child.stdout.cancel().catch(() => {});
  };
}

async function ask(sb: Sandbox, ns: string, proto: string, host: string, port: number) {
  const p = ns.includes("/") ? ns : `/var/run/netns/${ns}`;
  const r = await sb.execIn(p, ["python3", "-c", CLIENT, proto, host, String(port)], {
    timeoutMs: 15_000,
  });
  return r.stdout.trim();
}

/** ADD as the Mesos agent does it, with port mappings in network_info. */
function addWithMappings(
  c: ClusterHost,
  id: string,
  ns: string,
  mappings: { host_port: number; container_port: number; protocol?: string }[],
  command = "ADD",
) {
  const { cniVersion: _, ...rest } = c.config;
  const stdin = JSON.stringify({
    ...rest,
    args: { "org.apache.mesos": { network_info: { name: rest.name, port_mappings: mappings } } },
  });
  return callPlugin(c.host, {
    CNI_COMMAND: command,
    CNI_CONTAINERID: id,
    CNI_NETNS: ns,
    CNI_IFNAME: "eth0",
    CNI_PATH: DIST,
  }, stdin);
}

function ipOf(r: { code: number; stdout: string; json?: Record<string, unknown> }): string {
  assert.equal(r.code, 0, r.stdout);
  return String((r.json?.ip4 as { ip: string }).ip).split("/")[0];
}

async function nftElements(sb: Sandbox, c: ClusterHost): Promise<string> {
  return (await sb.run(c.host, ["nft", "list", "map", "ip", "ovn-mesos", "ports"])).stdout;
}

Deno.test(
  "port mappings at the agent's address: from another machine and from the host, TCP and UDP; collisions refused; DEL removes them",
  opts,
  () =>
    withSandbox({ hosts: 2 }, async (sb) => {
      const [a, b] = await initCluster(sb);
      const client = sb.underlayNetns; // another machine on the hosts' network
      await sb.execIn(client, ["ip", "addr", "add", "198.18.0.253/24", "dev", "ulbr"]);
      await sb.execIn(client, ["ethtool", "-K", "ulbr", "tx", "off"]);
      const aAddr = a.host.encapIp; // A's own address on that network
      const ns = await sb.addContainerNetns("web");
      const mappings = [
        { host_port: 8080, container_port: 80 },
        { host_port: 5353, container_port: 53, protocol: "udp" },
      ];
      ipOf(await addWithMappings(a, "web", ns, mappings));
      const stop = await serve(ns, ["tcp:80", "udp:53"]);
      try {
        // The client reaches A's address; the container sees A's host port, which it can answer.
        assert.equal(await ask(sb, client, "tcp", aAddr, 8080), `tcp from ${a.init.address}`);
        assert.equal(await ask(sb, client, "udp", aAddr, 5353), `udp from ${a.init.address}`);
        const fromHost = await sb.run(a.host, ["python3", "-c", CLIENT, "tcp", aAddr, "8080"]);
        assert.equal(fromHost.stdout.trim(), `tcp from ${a.init.address}`, "from the host itself");
        assert.match(await nftElements(sb, a), /tcp \. 8080 comment "ovn\/web\/eth0"/);

        // The same host port on the same host: refused, naming the holder; the first is unharmed.
        const ns2 = await sb.addContainerNetns("web2");
        const clash = await addWithMappings(a, "web2", ns2, [{
          host_port: 8080,
          container_port: 8000,
        }]);
        assert.equal(clash.json?.code, 100, clash.stdout);
        assert.match(String(clash.json?.msg), /host port 8080\/tcp is held by ovn\/web\/eth0/);
        assert.deepEqual(await pluginPorts(sb), ["ovn/web/eth0"]);
        assert.equal(await ask(sb, client, "tcp", aAddr, 8080), `tcp from ${a.init.address}`);

        // The same host port on another host answers at that host's address.
        const nsB = await sb.addContainerNetns("webB");
        ipOf(await addWithMappings(b, "webB", nsB, [{ host_port: 8080, container_port: 80 }]));
        const stopB = await serve(nsB, ["tcp:80"]);
        try {
          assert.equal(
            await ask(sb, client, "tcp", b.host.encapIp, 8080),
            `tcp from ${b.init.address}`,
          );
        } finally {
          await stopB();
        }
        assert.equal((await addWithMappings(b, "webB", nsB, [], "DEL")).code, 0);
        // A repeated ADD of the mapped container is not a collision.
        const again = await addWithMappings(a, "web", ns, mappings);
        assert.equal(again.code, 0, again.stdout);
      } finally {
        await stop();
      }
      assert.equal((await addWithMappings(a, "web", ns, mappings, "DEL")).code, 0);
      assert.equal(await ask(sb, client, "tcp", aAddr, 8080), "", "nothing answers after DEL");
      assert.doesNotMatch(await nftElements(sb, a), /8080|5353/);
      assert.deepEqual(await pluginPorts(sb), []);
    }),
);

Deno.test(
  "port mappings through a gateway: the outside reaches a task at the gateway's external address; egress is SNATed there; DEL leaves no load balancer",
  opts,
  () =>
    withSandbox({ hosts: 2 }, async (sb) => {
      const [a, b] = await initCluster(sb);
      // A container with a mapping before any gateway exists: the new gateway takes it on.
      const nsA = await sb.addContainerNetns("onA");
      ipOf(await addWithMappings(a, "onA", nsA, [{ host_port: 8081, container_port: 80 }]));
      const outside = await sb.addOutside(b.host, "203.0.113.1/24", "eth1");
      await sb.run(b.host, ["ip", "addr", "add", "203.0.113.6/24", "dev", "eth1"]);
      await driverOk(sb, b.host, [
        "gateway-init",
        "--cluster_subnet=172.16.0.0/16",
        "--eth1_ip=203.0.113.6/24",
        "--eth1_gw_ip=203.0.113.1",
      ]);
      const stopOut = await serve(outside, ["tcp:9000"]);
      const nsB = await sb.addContainerNetns("onB");
      const ipB = ipOf(
        await addWithMappings(b, "onB", nsB, [{ host_port: 8080, container_port: 80 }]),
      );
      const stops = [await serve(nsB, ["tcp:80"]), await serve(nsA, ["tcp:80"])];
      try {
        // From outside, at B's external address (the gateway answers from its join address).
        assert.match(
          await ask(sb, outside, "tcp", "203.0.113.6", 8080),
          /^tcp from 100\.64\.0\.\d+$/,
        );
        assert.match(
          await ask(sb, outside, "tcp", "203.0.113.6", 8081),
          /^tcp from 100\.64\.0\.\d+$/,
        );
        // Egress is seen outside as B's external address, from B and from A (no gateway of its own).
        assert.equal(await ask(sb, nsB, "tcp", "203.0.113.1", 9000), "tcp from 203.0.113.6");
        assert.equal(await ask(sb, nsA, "tcp", "203.0.113.1", 9000), "tcp from 203.0.113.6");
        const st = await driverOk(sb, a.host, ["status"]) as unknown as {
          hosts: { containers: { containerId: string; mappings: unknown[] }[] }[];
        };
        assert.deepEqual(st.hosts[1].containers[0].mappings, [{
          protocol: "tcp",
          hostAddress: "any",
          hostPort: 8080,
          gateways: ["203.0.113.6:8080"],
          target: `${ipB}:80`,
        }]);
        const lbs = await sb.nbctl("--bare", "--columns=name", "list", "Load_Balancer");
        assert.deepEqual(lbs.split("\n").filter(Boolean).sort(), [
          "ovn/onA/eth0/tcp",
          "ovn/onB/eth0/tcp",
        ]);
        // The same gateway address twice: refused, naming the holder.
        const nsC = await sb.addContainerNetns("onC");
        const clash = await addWithMappings(a, "onC", nsC, [{
          host_port: 8080,
          container_port: 80,
        }]);
        assert.equal(clash.json?.code, 100, clash.stdout);
        assert.match(
          String(clash.json?.msg),
          /203\.0\.113\.6:8080\/tcp \(GR_hv2\) is held by ovn\/onB\/eth0/,
        );
      } finally {
        for (const s of [...stops, stopOut]) await s();
      }
      assert.equal((await addWithMappings(b, "onB", nsB, [], "DEL")).code, 0);
      // node-remove --force on hv1 takes onA's mappings with it (load balancer, nftables).
      await driverOk(sb, a.host, ["node-remove", "--force"]);
      const lbsLeft = await sb.nbctl("--bare", "--columns=name", "list", "Load_Balancer");
      assert.doesNotMatch(lbsLeft, /onA/);
      assert.notEqual((await sb.run(a.host, ["nft", "list", "table", "ip", "ovn-mesos"])).code, 0);
      assert.equal((await addWithMappings(a, "onA", nsA, [], "DEL")).code, 0);
      assert.equal(await sb.nbctl("--bare", "--columns=name", "list", "Load_Balancer"), "");
      assert.deepEqual(await pluginPorts(sb), []);
    }),
);

Deno.test(
  "a gateway per host: each host's containers leave through their own gateway, and its mappings answer there",
  opts,
  () =>
    withSandbox({ hosts: 2 }, async (sb) => {
      const [a, b] = await initCluster(sb);
      const outA = await sb.addOutside(a.host, "203.0.113.1/24", "eth1");
      const outB = await sb.addOutside(b.host, "198.51.100.1/24", "eth1");
      await sb.run(a.host, ["ip", "addr", "add", "203.0.113.5/24", "dev", "eth1"]);
      await sb.run(b.host, ["ip", "addr", "add", "198.51.100.6/24", "dev", "eth1"]);
      await driverOk(sb, a.host, [
        "gateway-init",
        "--cluster_subnet=172.16.0.0/16",
        "--eth1_ip=203.0.113.5/24",
        "--eth1_gw_ip=203.0.113.1",
      ]);
      await driverOk(sb, b.host, [
        "gateway-init",
        "--cluster_subnet=172.16.0.0/16",
        "--eth1_ip=198.51.100.6/24",
        "--eth1_gw_ip=198.51.100.1",
      ]);
      const policies = await sb.nbctl("lr-policy-list", "mesos-router");
      assert.match(
        policies,
        /ip4.src == 172.16.1.0\/24 && ip4.dst != 172.16.0.0\/16\s+reroute\s+100.64.0.2/,
      );
      const nsA = await sb.addContainerNetns("egressA");
      const nsB = await sb.addContainerNetns("egressB");
      ipOf(await addWithMappings(a, "egressA", nsA, [{ host_port: 8080, container_port: 80 }]));
      ipOf(await addWithMappings(b, "egressB", nsB, [{ host_port: 8080, container_port: 80 }]));
      const stops = [
        await serve(outA, ["tcp:9000"]),
        await serve(outB, ["tcp:9000"]),
        await serve(nsA, ["tcp:80"]),
        await serve(nsB, ["tcp:80"]),
      ];
      try {
        // Several connections each (ECMP would spread them): always the host's own gateway.
        for (let i = 0; i < 5; i++) {
          assert.equal(await ask(sb, nsA, "tcp", "203.0.113.1", 9000), "tcp from 203.0.113.5");
          assert.equal(await ask(sb, nsB, "tcp", "198.51.100.1", 9000), "tcp from 198.51.100.6");
        }
        // The same host port on both gateways: each answers with its own host's container.
        assert.match(await ask(sb, outA, "tcp", "203.0.113.5", 8080), /^tcp from 100\.64\.0\.\d+$/);
        assert.match(
          await ask(sb, outB, "tcp", "198.51.100.6", 8080),
          /^tcp from 100\.64\.0\.\d+$/,
        );
      } finally {
        for (const s of stops) await s();
      }
      assert.equal((await addWithMappings(a, "egressA", nsA, [], "DEL")).code, 0);
      assert.equal((await addWithMappings(b, "egressB", nsB, [], "DEL")).code, 0);
      assert.equal(await sb.nbctl("--bare", "--columns=name", "list", "Load_Balancer"), "");
    }),
);
