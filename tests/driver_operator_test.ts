/**
 * The driver as operators meet it, on the real sandbox: no tool processes,
 * nothing half-made on failure, mistakes refused with one clear line, a
 * removal that gives everything back, concurrent runs that stay correct.
 */
import assert from "node:assert/strict";
import { run } from "../src/exec.ts";
import {
  driver,
  driverOk,
  initCluster,
  mesosCni,
  mesosIp,
  nodeInitArgs,
  pluginLinks,
  pluginPorts,
} from "../testing/cluster.ts";
import { type Sandbox, type SandboxHost, withSandbox } from "../testing/sandbox_fixture.ts";
import { DRIVER } from "../testing/cluster.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function nbDump(sb: Sandbox): Promise<string> {
  return (await run(["ovsdb-client", "dump", sb.nbRemote, "OVN_Northbound"])).stdout;
}

/** A failing driver run: its exit status and its one-line error must match. */
async function driverFails(
  sb: Sandbox,
  h: SandboxHost,
  args: string[],
  code: number,
  want: RegExp,
): Promise<void> {
  const r = await driver(sb, h, args);
  assert.equal(r.code, code, `${args.join(" ")}: exit ${r.code}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr, want, args.join(" "));
  assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
}

/** The gateway-init command line for host i, whose eth1 holds 203.0.113.(5+i)/24. */
function gatewayArgs(i: number, extra: string[] = []): string[] {
  return [
    "gateway-init",
    "--cluster_subnet=172.16.0.0/16",
    `--eth1_ip=203.0.113.${5 + i}/24`,
    "--eth1_gw_ip=203.0.113.1",
    ...extra,
  ];
}

/** Gives host h an "eth1" on an outside network (203.0.113.0/24), holding 203.0.113.(5+i). */
async function addEth1(sb: Sandbox, h: SandboxHost, i: number): Promise<void> {
  await sb.addOutside(h, "203.0.113.1/24", "eth1");
  await sb.run(h, ["ip", "addr", "add", `203.0.113.${5 + i}/24`, "dev", "eth1"]);
}

async function ovsHas(sb: Sandbox, h: SandboxHost, table: string, name: string): Promise<boolean> {
  return (await sb.vsctl(h, "--if-exists", "get", table, name, "name")).trim() !== "";
}

Deno.test(
  "node-init and gateway-init start no OVS/OVN tool process (strace)",
  opts,
  () =>
    withSandbox({ hosts: 1 }, async (sb) => {
      const [h] = sb.hosts;
      await addEth1(sb, h, 0);
      const trace = `${sb.dir}/execve.trace`;
      const traced = (args: string[]) =>
        sb.run(h, ["strace", "-f", "-qq", "-e", "trace=execve", "-o", trace, DRIVER, ...args]);
      const programs = new Set<string>();
      for (const args of [["plugin-init"], nodeInitArgs(sb, 0), gatewayArgs(0), ["status"]]) {
        const r = await traced(args);
        assert.equal(r.code, 0, `${args[0]}: ${r.stdout}${r.stderr}`);
        for (const m of (await Deno.readTextFile(trace)).matchAll(/execve\("([^"]+)"/g)) {
          programs.add(m[1].slice(m[1].lastIndexOf("/") + 1));
        }
      }
      const tools = ["ovn-nbctl", "ovs-vsctl", "ovn-sbctl", "ovn-appctl", "ovs-appctl"];
      assert.deepEqual([...programs].filter((p) => tools.includes(p)), [], [...programs].join(" "));
      assert.ok(programs.has("ip") && programs.has("deno"), [...programs].join(" "));
      // What does run: the launcher's sh, deno, iproute2's ip and (port mappings) nft.
      assert.deepEqual([...programs].filter((p) => !["sh", "deno", "ip", "nft"].includes(p)), [
        ...[...programs].filter((p) => p.startsWith("ovn-mesos")),
      ]);
    }),
);

Deno.test(
  "failures leave nothing half-made: ovn-controller down, an unwritable --plugins_dir, a bridge as --interface",
  opts,
  () =>
    withSandbox({ hosts: 2 }, async (sb) => {
      const [h1, h2] = sb.hosts;
      await driverOk(sb, h1, ["plugin-init"]);
      await driverOk(sb, h1, nodeInitArgs(sb, 0));
      const before = await nbDump(sb);

      await driverFails(
        sb,
        h2,
        [...nodeInitArgs(sb, 1), "--plugins_dir=/proc/x"],
        1,
        /--plugins_dir=\/proc\/x is not a writable directory/,
      );
      assert.equal(await nbDump(sb), before);

      await driverFails(
        sb,
        h1,
        gatewayArgs(0, ["--interface=br-phy"]),
        2,
        /--interface=br-phy is already a port of OVS bridge br-phy/,
      );
      assert.equal(await nbDump(sb), before);

      const pid = Number(await Deno.readTextFile(`${h2.dir}/ovn-controller.pid`));
      Deno.kill(pid, "SIGTERM");
      await driverFails(
        sb,
        h2,
        [...nodeInitArgs(sb, 1), "--timeout=2"],
        1,
        /host port hv2_agent was not bound within 2 s: is ovn-controller running/,
      );
      assert.equal(await nbDump(sb), before, "NB rows left behind");
      assert.equal(await ovsHas(sb, h2, "Interface", "ovn-mesos"), false, "interface left behind");
      await assert.rejects(Deno.stat(`${sb.dir}/cni-hv2/ovn.conf`));
    }),
);

Deno.test(
  "gateway-init: two at once get distinct join addresses; node-remove gives the interface back",
  opts,
  () =>
    withSandbox({ hosts: 2 }, async (sb) => {
      const [h1, h2] = sb.hosts;
      await initCluster(sb);
      await addEth1(sb, h1, 0);
      await addEth1(sb, h2, 1);
      const eth1Before = (await sb.run(h1, ["ip", "-br", "addr", "show", "dev", "eth1"])).stdout;
      const [g1, g2] = await Promise.all([
        driverOk(sb, h1, gatewayArgs(0)),
        driverOk(sb, h2, gatewayArgs(1)),
      ]);
      assert.notEqual(g1.joinAddress, g2.joinAddress);
      const routes = await sb.nbctl("lr-route-list", "mesos-router");
      assert.equal(routes.match(/0\.0\.0\.0\/0/g)?.length, 2, routes);

      // Mistakes on re-run are refused with one line, and change nothing.
      const before = await nbDump(sb);
      await driverFails(
        sb,
        h1,
        gatewayArgs(0, ["--eth1_gw_ip=203.0.113.2"]),
        1,
        /already a gateway with --eth1_ip=203\.0\.113\.5\/24 --eth1_gw_ip=203\.0\.113\.1; run node-remove first/,
      );
      await driverFails(
        sb,
        h1,
        gatewayArgs(0, ["--interface=eth2"]),
        1,
        /already reaches the outside through OVS bridge br-eth1; run node-remove first to use --interface=eth2/,
      );
      await driverFails(
        sb,
        h1,
        [
          "gateway-init",
          "--cluster_subnet=10.0.0.0/8",
          "--eth1_ip=203.0.113.5/24",
          "--eth1_gw_ip=203.0.113.1",
        ],
        1,
        /--cluster_subnet=10\.0\.0\.0\/8 disagrees with the cluster subnet 172\.16\.0\.0\/16/,
      );
      await driverFails(
        sb,
        h1,
        [...nodeInitArgs(sb, 0).map((a) => a.replace("172.16.0.0/16", "172.16.0.0/12"))],
        1,
        /disagrees with the cluster subnet 172\.16\.0\.0\/16/,
      );
      await driverFails(
        sb,
        h1,
        [...nodeInitArgs(sb, 0), "--master"],
        1,
        /was initialised as an agent \(port hv1_agent\); run node-remove first/,
      );
      await driverFails(
        sb,
        h1,
        nodeInitArgs(sb, 0).map((a) =>
          a.replace("--gateway=172.16.1.1/24", "--gateway=172.16.1.2/24")
        ),
        1,
        /already has gateway 172\.16\.1\.1\/24; run node-remove first/,
      );
      await driverOk(sb, h1, gatewayArgs(0));
      assert.equal(await nbDump(sb), before, "a refused or repeated run changed NB");

      const removed = await driverOk(sb, h1, ["node-remove"]);
      assert.equal(removed.host, "hv1");
      assert.equal(
        (await sb.run(h1, ["ip", "-br", "addr", "show", "dev", "eth1"])).stdout,
        eth1Before,
        "eth1 has its address back and is up",
      );
      assert.equal(await ovsHas(sb, h1, "Bridge", "br-eth1"), false);
      assert.doesNotMatch(
        await sb.vsctl(
          h1,
          "--if-exists",
          "get",
          "Open_vSwitch",
          ".",
          "external_ids:ovn-bridge-mappings",
        ),
        /mesos-external/,
      );
      const show = await sb.nbctl("show");
      assert.doesNotMatch(show, /GR_hv1|ext_hv1|mesos-hv1/);
      assert.match(show, /mesos-join/, "the join switch stays while hv2 is a gateway");
      await driverOk(sb, h2, ["node-remove"]);
      const after = await sb.nbctl("show");
      assert.doesNotMatch(after, /mesos-join|GR_hv2/, "the last gateway takes the join switch");
      assert.doesNotMatch(await sb.nbctl("lr-route-list", "mesos-router"), /0\.0\.0\.0\/0/);
      await driverFails(sb, h1, ["node-remove", "--host=bhv33"], 1, /there is no host bhv33/);
    }),
);

Deno.test(
  "node-remove refuses while containers are attached, --force removes them; the host port keeps its MTU",
  opts,
  () =>
    withSandbox({ hosts: 1 }, async (sb) => {
      const [c] = await initCluster(sb);
      const h = c.host;
      const mtu = async () =>
        JSON.parse((await sb.run(h, ["ip", "-j", "link", "show", "dev", "ovn-mesos"])).stdout)[0]
          .mtu;
      const want = Number(c.init.mtu);
      const ns1 = await sb.addContainerNetns("one");
      mesosIp(await mesosCni(c, "ADD", "one", ns1));
      assert.equal((await mesosCni(c, "DEL", "one", ns1)).code, 0);
      assert.equal(await mtu(), want, "the host port's MTU after the last container left");

      mesosIp(await mesosCni(c, "ADD", "one", ns1));
      const ns2 = await sb.addContainerNetns("two");
      mesosIp(await mesosCni(c, "ADD", "two", ns2));
      await driverFails(
        sb,
        h,
        ["node-remove"],
        1,
        /still has 2 container\(s\) attached \(ovn\/one\/eth0, ovn\/two\/eth0\)/,
      );
      assert.equal((await pluginPorts(sb)).length, 2);
      const removed = await driverOk(sb, h, ["node-remove", "--force"]);
      assert.match(JSON.stringify(removed.removed), /2 container port/);
      assert.deepEqual(await pluginPorts(sb), []);
      assert.deepEqual(await pluginLinks(sb, h), []);
      assert.equal(await ovsHas(sb, h, "Interface", "ovn-mesos"), false);
      const locks = [...Deno.readDirSync(`${c.config.runDir}/locks`)].map((e) => e.name);
      assert.deepEqual(locks, [], "the removed containers' lock files go too");
      await assert.rejects(Deno.stat(c.init.configFile), "node-init's config file is removed");

      // The plugin on a host whose switch is gone says what to do.
      const ns3 = await sb.addContainerNetns("three");
      const r = await mesosCni(c, "ADD", "three", ns3);
      assert.equal(r.json?.code, 100, r.stdout);
      assert.match(String(r.json?.msg), /run node-init on this host/);
    }),
);

Deno.test(
  "status: per host its ports and containers, the cluster subnet, gateways; exit 1 with the problems when unhealthy",
  opts,
  () =>
    withSandbox({ hosts: 2 }, async (sb) => {
      const [c1, c2] = await initCluster(sb);
      await addEth1(sb, c2.host, 1);
      await driverOk(sb, c2.host, gatewayArgs(1));
      const ns = await sb.addContainerNetns("web");
      const ip = mesosIp(await mesosCni(c1, "ADD", "web", ns));
      const s = await driverOk(sb, c1.host, ["status"]) as unknown as {
        healthy: boolean;
        clusterSubnet: string;
        hosts: {
          host: string;
          kind: string;
          containers: { containerId: string; address: string; up: boolean; chassis?: string }[];
          gateway?: {
            externalAddress: string;
            nextHop: string;
            snat: { from: string; to: string }[];
          };
        }[];
      };
      assert.equal(s.healthy, true);
      assert.equal(s.clusterSubnet, "172.16.0.0/16");
      const [hv1, hv2] = s.hosts;
      assert.deepEqual(
        hv1.containers.map((c) => [c.containerId, c.address, c.up, c.chassis]),
        [["web", ip, true, "hv1"]],
      );
      assert.equal(hv2.kind, "node+gateway");
      assert.deepEqual(hv2.gateway?.snat, [{ from: "172.16.0.0/16", to: "203.0.113.6" }]);
      assert.equal(hv2.gateway?.nextHop, "203.0.113.1");
      const text = await driver(sb, c1.host, ["status"]);
      assert.equal(text.code, 0);
      assert.match(text.stdout, /container web eth0 \(ovn\): 172\.16\.1\.\d+ \S+ bound to hv1/);

      // A port nobody binds makes the cluster unhealthy.
      await sb.nbctl(
        "lsp-add",
        "mesos-hv1",
        "ovn/ghost/eth0",
        "--",
        "set",
        "Logical_Switch_Port",
        "ovn/ghost/eth0",
        'external_ids:"ovn-mesos/role"="container-port"',
        'external_ids:"ovn-mesos/host"="hv1"',
      );
      const bad = await driver(sb, c1.host, ["status", "--json"]);
      assert.equal(bad.code, 1, bad.stdout);
      const j = JSON.parse(bad.stdout);
      assert.equal(j.healthy, false);
      assert.match(j.problems.join("\n"), /port ovn\/ghost\/eth0 of host hv1 is not bound/);
      await sb.nbctl("lsp-del", "ovn/ghost/eth0");
      assert.equal((await mesosCni(c1, "DEL", "web", ns)).code, 0);
    }),
);

Deno.test(
  "small things: did you mean, every missing flag at once, -h, plugin-init says what it did, --mtu and --log_file checked",
  opts,
  () =>
    withSandbox({ hosts: 1 }, async (sb) => {
      const [h] = sb.hosts;
      const first = await driverOk(sb, h, ["plugin-init"]);
      assert.equal(first.created, true);
      const again = await driver(sb, h, ["plugin-init"]);
      assert.match(again.stdout, /mesos-router already exists/);
      await driverFails(
        sb,
        h,
        ["node-init", "--cluster_subnt=172.16.0.0/16"],
        2,
        /unknown option "--cluster_subnt" \(did you mean --cluster_subnet\?\)/,
      );
      await driverFails(
        sb,
        h,
        ["node-init"],
        2,
        /--subnet, --cluster_subnet, --gateway and --config_dir are required/,
      );
      const help = await driver(sb, h, ["node-init", "-h"]);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /--plugins-dir/);
      await driverFails(
        sb,
        h,
        [...nodeInitArgs(sb, 0), "--mtu=9000"],
        2,
        /--mtu=9000 is more than the underlay's MTU \d+ less 58 bytes/,
      );
      await driverFails(
        sb,
        h,
        [...nodeInitArgs(sb, 0), "--log_file=plugin.log"],
        2,
        /--log_file=plugin\.log must be an absolute path/,
      );
    }),
);
