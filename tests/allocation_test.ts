/**
 * Addresses chosen by the plugin itself (one northd pass per ADD): distinct
 * under heavy concurrency on one host and on two, a full subnet answers a
 * clear error, and an address freed by DEL is handed out again.
 */
import assert from "node:assert/strict";
import {
  type ClusterHost,
  driverOk,
  initCluster,
  mesosCni,
  mesosIp,
  pluginPorts,
} from "../testing/cluster.ts";
import { type Sandbox, withSandbox } from "../testing/sandbox_fixture.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function addMany(sb: Sandbox, c: ClusterHost, prefix: string, n: number) {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  const nss = await Promise.all(ids.map((id) => sb.addContainerNetns(id)));
  const replies = await Promise.all(ids.map((id, i) => mesosCni(c, "ADD", id, nss[i])));
  return { ids, nss, ips: replies.map(mesosIp) };
}

async function delMany(c: ClusterHost, ids: string[], nss: string[]) {
  const replies = await Promise.all(ids.map((id, i) => mesosCni(c, "DEL", id, nss[i])));
  for (const r of replies) assert.equal(r.code, 0, r.stdout);
}

Deno.test(
  "100 ADDs at once on one host, then 50 on each of two hosts: every address distinct",
  opts,
  () =>
    withSandbox({ hosts: 2 }, async (sb) => {
      const [a, b] = await initCluster(sb);
      const one = await addMany(sb, a, "burst", 100);
      assert.equal(new Set(one.ips).size, 100, `not distinct: ${one.ips.join(" ")}`);
      assert.ok(!one.ips.includes(a.init.address), "the host port's address is not handed out");
      await delMany(a, one.ids, one.nss);
      const [x, y] = await Promise.all([addMany(sb, a, "x", 50), addMany(sb, b, "y", 50)]);
      assert.equal(new Set([...x.ips, ...y.ips]).size, 100);
      await Promise.all([delMany(a, x.ids, x.nss), delMany(b, y.ids, y.nss)]);
      assert.deepEqual(await pluginPorts(sb), []);
    }),
);

Deno.test(
  "a full subnet answers 'no address left'; an address freed by DEL is handed out again",
  opts,
  () =>
    withSandbox({ hosts: 1 }, async (sb) => {
      const [h] = sb.hosts;
      await driverOk(sb, h, ["plugin-init"]);
      // /29: .1 is the gateway, the host port takes one more: four addresses for containers.
      const init = await driverOk(sb, h, [
        "node-init",
        "--subnet=172.16.9.0/29",
        "--cluster_subnet=172.16.0.0/16",
        "--gateway=172.16.9.1/29",
        `--config_dir=${sb.dir}/cni`,
        `--run_dir=${sb.dir}/run`,
        `--log_file=${sb.dir}/plugin.log`,
      ]);
      const config = JSON.parse(await Deno.readTextFile(init.configFile));
      const c: ClusterHost = { host: h, config, configDir: `${sb.dir}/cni`, init };
      const four = await addMany(sb, c, "fill", 4);
      const want = ["172.16.9.2", "172.16.9.3", "172.16.9.4", "172.16.9.5", "172.16.9.6"]
        .filter((ip) => ip !== init.address);
      assert.deepEqual([...four.ips].sort(), want);
      const ns = await sb.addContainerNetns("one-too-many");
      const full = await mesosCni(c, "ADD", "one-too-many", ns);
      assert.equal(full.json?.code, 100, full.stdout);
      assert.match(
        String(full.json?.msg),
        /no address left on switch mesos-hv1 \(subnet 172\.16\.9\.0\/29\)/,
      );
      assert.equal((await mesosCni(c, "DEL", four.ids[2], four.nss[2])).code, 0);
      assert.equal(mesosIp(await mesosCni(c, "ADD", "one-too-many", ns)), four.ips[2]);
      await delMany(c, [...four.ids.filter((_, i) => i !== 2), "one-too-many"], [
        ...four.nss.filter((_, i) => i !== 2),
        ns,
      ]);
      assert.deepEqual(await pluginPorts(sb), []);
    }),
);
