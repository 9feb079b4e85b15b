/** The overlay driver on a real OVN sandbox, run with the command lines operators use. */
import assert from "node:assert/strict";
import { run } from "../src/exec.ts";
import { DRIVER, driver, driverOk, initCluster, nodeInitArgs } from "../testing/cluster.ts";
import { type Sandbox, type SandboxHost, withSandbox } from "../testing/sandbox_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** The whole Northbound database as text: equal dumps mean nothing changed. */
async function nbDump(sb: Sandbox): Promise<string> {
  return (await run(["ovsdb-client", "dump", sb.nbRemote, "OVN_Northbound"])).stdout;
}

/** A host's overlay interface and routes as the kernel has them. */
async function hostNetworking(sb: Sandbox, h: SandboxHost): Promise<string> {
  const r = await sb.run(h, [
    "sh",
    "-c",
    "ip -br addr show dev ovn-mesos; ip -br link show dev ovn-mesos; ip route",
  ]);
  return r.stdout;
}

async function ping(sb: Sandbox, h: SandboxHost, ip: string): Promise<boolean> {
  return (await sb.run(h, ["ping", "-c", "2", "-i", "0.2", "-W", "3", ip])).code === 0;
}

Deno.test(
  "plugin-init and node-init on three hosts: host ports ping across hosts; re-runs change nothing",
  opts,
  () =>
    withSandbox({ hosts: 3 }, async (sb) => {
      const [h1, h2, h3] = sb.hosts;
      await driverOk(sb, h1, ["plugin-init"]);
      const masterArgs = (i: number) => [...nodeInitArgs(sb, i), "--master"];
      const inits = [
        await driverOk(sb, h1, masterArgs(0)),
        await driverOk(sb, h2, masterArgs(1)),
        await driverOk(sb, h3, [...nodeInitArgs(sb, 2), `--plugins_dir=${sb.dir}/plugins`]),
      ];
      // What node-init placed runs with only what the Mesos agent passes: PATH (without
      // Deno on it) and CNI_*.
      const placed = `${sb.dir}/plugins/ovn-mesos-plugin`;
      assert.ok((await Deno.readTextFile(placed)).includes(await Deno.realPath(DRIVER)));
      const viaPluginsDir = await sb.run(h3, [
        "env",
        "-i",
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        "CNI_COMMAND=VERSION",
        placed,
      ]);
      assert.match(viaPluginsDir.stdout, /supportedVersions/, viaPluginsDir.stderr);
      assert.deepEqual(inits.map((i) => i.port), ["master", "hv2_master", "hv3_agent"]);
      const show = await sb.nbctl("show");
      assert.equal(show.match(/router .* \(mesos-router\)/g)?.length, 1, show);
      for (const h of ["hv1", "hv2", "hv3"]) {
        assert.match(show, new RegExp(`switch .* \\(mesos-${h}\\)`));
      }
      const master = await sb.nbctl("list", "Logical-Switch-Port", "master");
      assert.match(master, new RegExp(`dynamic_addresses\\s+: "\\S+ ${inits[0].address}"`));
      const agent = await sb.nbctl("list", "Logical-Switch-Port", "hv3_agent");
      assert.match(agent, new RegExp(`dynamic_addresses\\s+: "\\S+ ${inits[2].address}"`));

      assert.ok(await ping(sb, h1, inits[1].address), "hv1 -> hv2");
      assert.ok(await ping(sb, h2, inits[2].address), "hv2 -> hv3");
      assert.ok(await ping(sb, h3, inits[0].address), "hv3 -> hv1");

      const status = await driverOk(sb, h1, ["status"]) as unknown as {
        hosts: { host: string; hostPorts: { address: string; up: boolean; chassis?: string }[] }[];
      };
      assert.deepEqual(
        status.hosts.map((
          h,
        ) => [h.host, h.hostPorts[0].address, h.hostPorts[0].up, h.hostPorts[0].chassis]),
        [
          ["hv1", inits[0].address, true, "hv1"],
          ["hv2", inits[1].address, true, "hv2"],
          ["hv3", inits[2].address, true, "hv3"],
        ],
      );

      const before = await nbDump(sb);
      const nets = await Promise.all(sb.hosts.map((h) => hostNetworking(sb, h)));
      const configs = await Promise.all(inits.map((i) => Deno.readTextFile(i.configFile)));
      for (let round = 0; round < 3; round++) {
        await driverOk(sb, h2, ["plugin-init"]);
        await driverOk(sb, h1, masterArgs(0));
        await driverOk(sb, h2, masterArgs(1));
        await driverOk(sb, h3, [...nodeInitArgs(sb, 2), `--plugins_dir=${sb.dir}/plugins`]);
      }
      assert.equal(await nbDump(sb), before, "NB changed on re-run");
      assert.deepEqual(await Promise.all(sb.hosts.map((h) => hostNetworking(sb, h))), nets);
      assert.deepEqual(
        await Promise.all(inits.map((i) => Deno.readTextFile(i.configFile))),
        configs,
      );

      const removed = await driverOk(sb, h3, ["node-remove", `--config_dir=${sb.dir}/cni-hv3`]);
      assert.equal(removed.host, "hv3");
      assert.doesNotMatch(await sb.nbctl("show"), /mesos-hv3|rtos-hv3/);
      await assert.rejects(Deno.stat(inits[2].configFile));
    }),
);

Deno.test(
  "gateway-init: the outside is reached from another host, SNATed; re-runs add nothing",
  opts,
  () =>
    withSandbox({ hosts: 2 }, async (sb) => {
      const [c1, c2] = await initCluster(sb);
      const out = await sb.addOutside(c1.host, "203.0.113.1/24", "eth1");
      await sb.run(c1.host, ["ip", "addr", "add", "203.0.113.5/24", "dev", "eth1"]);
      const args = [
        "gateway-init",
        "--cluster_subnet=172.16.0.0/16",
        "--eth1_ip=203.0.113.5/24",
        "--eth1_gw_ip=203.0.113.1",
      ];
      const gw = await driverOk(sb, c1.host, args);
      assert.equal(gw.router, "GR_hv1");
      const eth1 = await sb.run(c1.host, ["ip", "-br", "-4", "addr", "show", "dev", "eth1"]);
      assert.doesNotMatch(eth1.stdout, /203\.0\.113\.5/, "the address moved to the gateway router");

      // hv2's host port reaches the outside through the overlay and the gateway.
      await sb.run(c2.host, [
        "ip",
        "route",
        "add",
        "203.0.113.0/24",
        "via",
        "172.16.2.1",
        "dev",
        "ovn-mesos",
      ]);
      const capture = new Deno.Command("ip", {
        args: [
          "netns",
          "exec",
          out,
          "timeout",
          "15",
          "tcpdump",
          "-l",
          "-n",
          "-c",
          "1",
          "-i",
          "to-hv1",
          "icmp[icmptype] == icmp-echo",
        ],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(await ping(sb, c2.host, "203.0.113.1"), "hv2 host port -> outside");
      const seen = new TextDecoder().decode((await capture.output()).stdout);
      assert.match(seen, /203\.0\.113\.5 > 203\.0\.113\.1/, `outside saw: ${seen}`);

      const before = await nbDump(sb);
      for (let i = 0; i < 3; i++) await driverOk(sb, c1.host, args);
      assert.equal(await nbDump(sb), before, "NB changed on re-run");
      const routes = await sb.nbctl("lr-route-list", "mesos-router");
      assert.equal(routes.match(/0\.0\.0\.0\/0/g)?.length, 1, routes);
      assert.equal((await sb.nbctl("lr-nat-list", "GR_hv1")).match(/snat/g)?.length, 1);
      assert.ok(await ping(sb, c2.host, "203.0.113.1"), "still reachable after re-runs");

      const status = await driverOk(sb, c2.host, ["status"]) as unknown as {
        hosts: { host: string; gateway?: { router: string; chassis: string } }[];
      };
      assert.deepEqual(status.hosts[0].gateway?.chassis, "hv1");
      await driverOk(sb, c1.host, ["node-remove"]);
      assert.doesNotMatch(await sb.nbctl("show"), /GR_hv1|ext_hv1|mesos-hv1/);
      assert.doesNotMatch(await sb.nbctl("lr-route-list", "mesos-router"), /100\.64\.0\.2/);
    }),
);

Deno.test(
  "bad input to every subcommand: a one-line error naming it, and NB unchanged",
  opts,
  () =>
    withSandbox({ hosts: 2 }, async (sb) => {
      const [h1, h2] = sb.hosts;
      await driverOk(sb, h1, ["plugin-init"]);
      await driverOk(sb, h1, nodeInitArgs(sb, 0));
      const node = (over: Record<string, string | undefined>) => {
        const base: Record<string, string | undefined> = {
          subnet: "172.16.2.0/24",
          cluster_subnet: "172.16.0.0/16",
          gateway: "172.16.2.1/24",
          config_dir: `${sb.dir}/cni-hv2`,
          ...over,
        };
        return [
          "node-init",
          ...Object.entries(base).flatMap(([k, v]) => v === undefined ? [] : [`--${k}=${v}`]),
        ];
      };
      const gateway = (over: Record<string, string | undefined>) => {
        const base: Record<string, string | undefined> = {
          cluster_subnet: "172.16.0.0/16",
          eth1_ip: "203.0.113.5/24",
          eth1_gw_ip: "203.0.113.1",
          interface: "eth9",
          ...over,
        };
        return [
          "gateway-init",
          ...Object.entries(base).flatMap(([k, v]) => v === undefined ? [] : [`--${k}=${v}`]),
        ];
      };
      const rows: [string[], RegExp, number][] = [
        [node({ subnet: undefined }), /--subnet is required/, 2],
        [node({ subnet: "172.16.2.0/33" }), /--subnet=172\.16\.2\.0\/33 is not an IPv4 CIDR/, 2],
        [node({ subnet: "10.1.0.0/24", gateway: "10.1.0.1/24" }), /not inside --cluster_subnet/, 2],
        [node({ gateway: "172.16.3.1/24" }), /is not an address of --subnet/, 2],
        [node({ gateway: "172.16.2.0/24" }), /network or broadcast/, 2],
        [node({ gateway: "172.16.2.255/24" }), /network or broadcast/, 2],
        [node({ subnet: "172.16.2.7/24" }), /host bits set/, 2],
        [node({ config_dir: "relative/dir" }), /must be an absolute path/, 2],
        [node({ config_dir: "/proc/ovn-mesos" }), /is not a writable directory/, 1],
        [
          node({ subnet: "172.16.1.0/25", gateway: "172.16.1.1/25" }),
          /overlaps 172\.16\.1\.0\/24 of host hv1/,
          1,
        ],
        [
          [...node({}), "--db=unix:/nonexistent/nb.sock"],
          /cannot reach the Northbound database/,
          1,
        ],
        [
          [...node({}), "--db=tcp:127.0.0.1:1", "--timeout=1"],
          /cannot reach the Northbound database.*(no answer within|refused)/i,
          1,
        ],
        [[...node({}), "--frobnicate"], /unknown option "--frobnicate"/, 2],
        [["node-init", "--subnet"], /needs a value/, 2],
        [gateway({ eth1_ip: undefined }), /--eth1_ip is required/, 2],
        [gateway({ eth1_gw_ip: "198.51.100.1" }), /not on the network of --eth1_ip/, 2],
        [
          gateway({ eth1_ip: "172.16.9.9/24", eth1_gw_ip: "172.16.9.1" }),
          /inside the cluster subnet/,
          2,
        ],
        [gateway({}), /--interface=eth9: no such interface/, 2],
        [
          ["plugin-init", "--db=unix:/nonexistent/nb.sock"],
          /cannot reach the Northbound database/,
          1,
        ],
        [["node-remove", "--config_dir=rel"], /must be an absolute path/, 2],
        [["no-such-subcommand"], /unknown subcommand/, 2],
      ];
      const before = await nbDump(sb);
      for (const [argv, want, code] of rows) {
        const r = await driver(sb, h2, argv);
        assert.equal(r.code, code, `${argv.join(" ")}: exit ${r.code}: ${r.stderr}`);
        assert.match(r.stderr, want, argv.join(" "));
        assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
        const j = await driver(sb, h2, [...argv, "--json"]);
        assert.equal(JSON.parse(j.stdout).ok, false, `--json: ${j.stdout}`);
      }
      // A host without a system-id.
      const id = await sb.vsctl(h2, "get", "Open_vSwitch", ".", "external_ids:system-id");
      await sb.vsctl(h2, "remove", "Open_vSwitch", ".", "external_ids", "system-id");
      try {
        const r = await driver(sb, h2, node({}));
        assert.match(r.stderr, /no external_ids:system-id/);
      } finally {
        await sb.vsctl(h2, "set", "Open_vSwitch", ".", `external_ids:system-id=${id}`);
      }
      assert.equal(await nbDump(sb), before, "a failed command changed NB");
      // ... and the good command still works afterwards.
      await driverOk(sb, h2, node({}));
    }),
);
