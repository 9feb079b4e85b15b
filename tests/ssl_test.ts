/** The whole flow over an ssl: Northbound (certificates from ovs-pki), through the one code path. */
import assert from "node:assert/strict";
import {
  callPlugin,
  DIST,
  driver,
  driverOk,
  mesosCni,
  mesosIp,
  nodeInitArgs,
  pings,
  pluginPorts,
} from "../testing/cluster.ts";
import { withSandbox } from "../testing/sandbox_fixture.ts";
import { startSslNb } from "../testing/ssl.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "over ssl: init, ADD across hosts, traffic, CHECK, GC, STATUS, DEL, status; a bad CA or key is one clear line",
  opts,
  () =>
    withSandbox({ hosts: 2 }, async (sb) => {
      const ssl = await startSslNb(sb);
      try {
        const [h1, h2] = sb.hosts;
        await driverOk(sb, h1, ["plugin-init", ...ssl.flags]);
        const hosts = await Promise.all([h1, h2].map(async (host, i) => {
          const init = await driverOk(sb, host, [...nodeInitArgs(sb, i), ...ssl.flags]);
          const config = JSON.parse(await Deno.readTextFile(init.configFile));
          return { host, init, config, configDir: `${sb.dir}/cni-${host.name}` };
        }));
        const [c1, c2] = hosts;
        assert.equal(c1.config.nbRemote, ssl.remote);
        assert.equal(c1.config.nbCaCert, ssl.caCert);
        const ns1 = await sb.addContainerNetns("s1");
        const ns2 = await sb.addContainerNetns("s2");
        const ip1 = mesosIp(await mesosCni(c1, "ADD", "s1", ns1));
        const ip2 = mesosIp(await mesosCni(c2, "ADD", "s2", ns2));
        assert.ok(await pings(sb, ns1, ip2), "s1 -> s2 across hosts");
        assert.ok(await pings(sb, ns2, c1.init.address), "s2 -> hv1's host port");

        const v11 = { ...c1.config, cniVersion: "1.1.0" };
        const env = (cmd: string) => ({
          CNI_COMMAND: cmd,
          CNI_CONTAINERID: "s1",
          CNI_NETNS: ns1,
          CNI_IFNAME: "eth0",
          CNI_PATH: DIST,
        });
        const check = await callPlugin(c1.host, env("CHECK"), JSON.stringify(v11));
        assert.equal(check.code, 0, check.stdout);
        const status = await callPlugin(c1.host, env("STATUS"), JSON.stringify(v11));
        assert.equal(status.code, 0, status.stdout);
        const gc = await callPlugin(
          c1.host,
          env("GC"),
          JSON.stringify({
            ...v11,
            "cni.dev/valid-attachments": [{ containerID: "s1", ifname: "eth0" }],
          }),
        );
        assert.equal(gc.code, 0, gc.stdout);
        assert.deepEqual(await pluginPorts(sb), ["ovn/s1/eth0", "ovn/s2/eth0"]);

        const st = await driverOk(sb, h1, ["status", ...ssl.flags]) as unknown as {
          healthy: boolean;
          hosts: { containers: { address: string }[] }[];
        };
        assert.equal(st.healthy, true);
        assert.deepEqual(st.hosts.map((h) => h.containers.map((c) => c.address)), [[ip1], [ip2]]);

        assert.equal((await mesosCni(c1, "DEL", "s1", ns1)).code, 0);
        assert.equal((await mesosCni(c2, "DEL", "s2", ns2)).code, 0);
        assert.deepEqual(await pluginPorts(sb), []);

        // A missing file is named; a CA that did not sign the server's certificate fails in time.
        const missing = await driver(sb, h1, [
          "status",
          ...ssl.flags.filter((f) => !f.startsWith("--private-key")),
          "--private-key=/nonexistent/key.pem",
        ]);
        assert.equal(missing.code, 1);
        assert.match(missing.stderr, /--private-key=\/nonexistent\/key\.pem: no such file/);
        const wrongCa = await driver(sb, h1, [
          "status",
          ...ssl.flags.filter((f) => !f.startsWith("--ca-cert")),
          `--ca-cert=${sb.dir}/ssl/pki/controllerca/cacert.pem`,
          "--timeout=2",
        ]);
        assert.equal(wrongCa.code, 1, wrongCa.stdout);
        assert.match(wrongCa.stderr, /cannot reach OVN_Northbound: .*do the CA certificate/);
        assert.equal(wrongCa.stderr.trim().split("\n").length, 1, wrongCa.stderr);
        const badConf = {
          ...c1.config,
          nbCaCert: `${sb.dir}/ssl/pki/controllerca/cacert.pem`,
          dbTimeoutSeconds: 2,
        };
        const ns3 = await sb.addContainerNetns("s3");
        const add = await mesosCni(c1, "ADD", "s3", ns3, { config: badConf });
        assert.equal(add.json?.code, 11, add.stdout);
        assert.deepEqual(await pluginPorts(sb), []);
      } finally {
        await ssl.stop();
      }
    }),
);
