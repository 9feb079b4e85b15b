/**
 * A clustered Northbound (RAFT, three members, and SB too) on the real sandbox: node-init and
 * the plugin are given all three members, containers come and go on two hosts while the NB
 * leader is killed and restarted, and the client never takes a follower's copy for the truth.
 * Slow (about 30 s): run with OVN_MESOS_SLOW=1 (`scripts/test --slow`).
 */
import assert from "node:assert/strict";
import {
  type ClusterHost,
  driver,
  driverOk,
  mesosCni,
  mesosIp,
  nodeInitArgs,
  pluginLinks,
  pluginPorts,
} from "../testing/cluster.ts";
import { assertNoLeaks, Sandbox, withSandbox } from "../testing/sandbox_fixture.ts";

const slow = Deno.env.get("OVN_MESOS_SLOW") === "1";
const opts = { ignore: !slow, sanitizeOps: false, sanitizeResources: false };

/**
 * plugin-init and node-init on every host, each given all three NB members with --db. ADD's
 * wait for the binding keeps its default (30 s): after a leader change ovn-northd finds the new
 * leader only after its reconnection backoff (1, 2, 4, 8 s per member tried, followers
 * included: 15 s measured), and no port is bound meanwhile.
 */
async function initClustered(sb: Sandbox): Promise<ClusterHost[]> {
  const db = `--db=${sb.nbRemote}`;
  assert.equal(sb.nbRemote.split(",").length, 3);
  await driverOk(sb, sb.hosts[0], ["plugin-init", db]);
  return await Promise.all(sb.hosts.map(async (host, i) => {
    const args = nodeInitArgs(sb, i).filter((a) => !a.startsWith("--bind-timeout"));
    const init = await driverOk(sb, host, [...args, db]);
    const config = JSON.parse(await Deno.readTextFile(init.configFile));
    assert.equal(config.nbRemote, sb.nbRemote, "the CNI configuration holds every member");
    return { host, config, configDir: `${sb.dir}/cni-${host.name}`, init };
  }));
}

function pendingFiles(c: ClusterHost): string[] {
  try {
    return [...Deno.readDirSync(`${c.config.runDir}/pending`)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** The code a plugin call answered: 0, else the CNI error's code (or -exit status). */
function cniCode(r: { code: number; json?: Record<string, unknown> }): number {
  return r.code === 0 ? 0 : Number(r.json?.code ?? -r.code);
}

/** Every plugin port's address in NB (static or northd's dynamic one): no address twice. */
async function assertDistinctAddresses(sb: Sandbox): Promise<number> {
  const out = await sb.nbctl(
    "--format=json",
    "--columns=name,addresses,dynamic_addresses",
    "find",
    "Logical_Switch_Port",
    'external_ids:"ovn-mesos/role"="container-port"',
  );
  const { data } = JSON.parse(out) as { data: unknown[][] };
  const atomsOf = (v: unknown): string[] =>
    Array.isArray(v) ? (v[0] === "set" ? (v[1] as string[]) : []) : [String(v)];
  const ips = data.map(([name, addresses, dynamic]) => {
    const mac_ip = [...atomsOf(addresses), ...atomsOf(dynamic)].find((a) => /^\S+ \d/.test(a));
    assert.ok(mac_ip, `${name} has no address: ${JSON.stringify([addresses, dynamic])}`);
    return mac_ip.split(" ")[1];
  });
  assert.equal(new Set(ips).size, ips.length, `an address twice in NB: ${ips.sort().join(" ")}`);
  return ips.length;
}

/** After everything was deleted: nothing of the plugin anywhere, once gc has run on each host. */
async function assertNothingLeft(sb: Sandbox, cluster: ClusterHost[]) {
  for (const c of cluster) {
    const gc = await driver(sb, c.host, ["gc", "--json"]);
    assert.equal(gc.code, 0, `gc on ${c.host.name}: ${gc.stdout}${gc.stderr}`);
    console.log(`gc on ${c.host.name}: ${gc.stdout.trim()}`);
  }
  assert.deepEqual(await pluginPorts(sb), [], "plugin logical ports left in NB");
  for (const c of cluster) {
    assert.deepEqual(await pluginLinks(sb, c.host), [], `ports/veths left on ${c.host.name}`);
    assert.deepEqual(pendingFiles(c), [], `pending removals left on ${c.host.name}`);
  }
  const locks = await Array.fromAsync(Deno.readDir(`${sb.dir}/run/locks`)).catch(() => []);
  assert.deepEqual(locks.map((l) => l.name), [], "lock files left");
}

interface Call {
  cmd: "ADD" | "DEL";
  id: string;
  code: number;
  start: number;
  end: number;
  msg: string;
}

Deno.test(
  "clustered NB: containers come and go on two hosts while the leader is killed and restarted",
  opts,
  () =>
    withSandbox({ hosts: 2, clustered: true }, async (sb) => {
      const cluster = await initClustered(sb);
      const calls: Call[] = [];
      const live = new Map<string, string>(); // address -> container id
      let stop = false;
      const t0 = performance.now();
      const now = () => performance.now() - t0;
      const call = async (c: ClusterHost, cmd: "ADD" | "DEL", id: string, ns: string) => {
        const start = now();
        const r = await mesosCni(c, cmd, id, ns);
        const rec = {
          cmd,
          id,
          code: cniCode(r),
          start,
          end: now(),
          msg: r.code ? `${r.json?.msg ?? r.stdout} ${r.json?.details ?? r.stderr}` : "",
        };
        calls.push(rec);
        return { r, rec };
      };
      // Each worker keeps up to 3 containers alive: ADD a new one, DEL its oldest.
      const worker = async (c: ClusterHost, w: number) => {
        const held: { id: string; ns: string; ip?: string }[] = [];
        const del = async () => {
          const h = held.shift()!;
          if (h.ip) live.delete(h.ip);
          const { rec } = await call(c, "DEL", h.id, h.ns);
          assert.equal(rec.code, 0, `DEL ${h.id} answered ${rec.code}: ${rec.msg}`);
          await sb.removeContainerNetns(h.ns);
        };
        for (let n = 0; !stop; n++) {
          const id = `w${w}n${n}`;
          const ns = await sb.addContainerNetns(id);
          const { r, rec } = await call(c, "ADD", id, ns);
          assert.ok(
            rec.code === 0 || rec.code === 11,
            `ADD ${id} answered ${rec.code}: ${rec.msg}`,
          );
          const h: { id: string; ns: string; ip?: string } = { id, ns };
          if (rec.code === 0) {
            h.ip = mesosIp(r);
            assert.ok(!live.has(h.ip), `${h.ip} given to ${id} while ${live.get(h.ip)} holds it`);
            live.set(h.ip, id);
          }
          held.push(h); // a failed ADD gets its DEL too, as the Mesos agent sends it
          if (held.length > 3) await del();
        }
        while (held.length) await del();
      };
      // A worker's failed assertion stops every worker.
      const run = (c: ClusterHost, w: number) =>
        worker(c, w).catch((e) => {
          stop = true;
          throw e;
        });
      const settled = Promise.allSettled(
        cluster.flatMap((c, i) => [run(c, 2 * i), run(c, 2 * i + 1)]),
      );

      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      await sleep(4000);
      const before = calls.length;
      const oldLeader = await sb.leader("nb");
      const killedAt = now();
      const pid = await sb.killMember("nb", oldLeader.index);
      const newLeader = await sb.leader("nb", 20_000);
      const electedAt = now();
      assert.notEqual(newLeader.index, oldLeader.index);
      await sleep(Math.max(0, 3000 - (now() - killedAt)));
      const restartedAt = now();
      await sb.restartMember("nb", oldLeader.index);
      const rejoinedAt = now();
      // Go on until ADDs work again: at least 8 started after the last failed one answered
      // succeeded (ovn-northd finds the new leader only after its reconnection backoff, and
      // ADDs meanwhile wait their dbTimeoutSeconds for an address), and 5 s after the restart.
      const recovered = () => {
        const lastFailed = calls.filter((x) => x.cmd === "ADD" && x.code !== 0).at(-1);
        const since = Math.max(lastFailed?.end ?? 0, killedAt);
        return calls.filter((x) => x.cmd === "ADD" && x.code === 0 && x.start > since).length >= 8;
      };
      while (!stop && !(recovered() && now() > rejoinedAt + 5000)) {
        assert.ok(now() < rejoinedAt + 60_000, "ADDs did not work again within 60 s");
        await sleep(200);
      }
      stop = true;
      const rs = await settled;
      for (const r of rs) if (r.status === "rejected") throw r.reason;

      const adds = calls.filter((x) => x.cmd === "ADD");
      const dels = calls.filter((x) => x.cmd === "DEL");
      const failed = adds.filter((x) => x.code !== 0);
      const firstOkAfterKill = adds.find((x) => x.start > killedAt && x.code === 0);
      const lastFailure = failed.at(-1);
      console.log(
        [
          `NB leader nb${oldLeader.index} (pid ${pid}) killed at ${killedAt.toFixed(0)} ms,`,
          `nb${newLeader.index} leader after ${(electedAt - killedAt).toFixed(0)} ms,`,
          `old leader restarted at +${(restartedAt - killedAt).toFixed(0)} ms`,
          `(caught up after ${(rejoinedAt - restartedAt).toFixed(0)} ms)`,
        ].join(" "),
      );
      console.log(
        `${adds.length} ADDs (${calls.slice(0, before).filter((x) => x.cmd === "ADD").length} ` +
          `before the kill): ${adds.length - failed.length} answered 0, ${failed.length} ` +
          `answered 11; ${dels.length} DELs, all answered 0`,
      );
      if (firstOkAfterKill) {
        console.log(
          `first ADD started after the kill that succeeded: started +${
            (firstOkAfterKill.start - killedAt).toFixed(0)
          } ms, answered +${(firstOkAfterKill.end - killedAt).toFixed(0)} ms`,
        );
      }
      for (const f of failed) {
        console.log(
          `  ADD ${f.id} ${f.code} at +${(f.start - killedAt).toFixed(0)}..+${
            (f.end - killedAt).toFixed(0)
          } ms: ${f.msg.trim()}`,
        );
      }
      if (lastFailure) {
        console.log(
          `ADDs failed from +${(failed[0].start - killedAt).toFixed(0)} ms (start) to +${
            (lastFailure.end - killedAt).toFixed(0)
          } ms (answer) after the kill`,
        );
      }
      // When ovn-northd found the new leader (its reconnection backoff), from its log.
      const northd = await Deno.readTextFile(`${sb.dir}/central/ovn-northd.log`);
      for (const line of northd.split("\n")) {
        if (/reconnect\|INFO\|.*(connected|connection closed|waiting)/.test(line)) {
          console.log(`  northd: ${line.split("|").slice(-1)[0]} (${line.slice(11, 23)})`);
        }
      }
      assert.ok(!stop || recovered(), "ADDs work again after the leader change");
      for (const c of cluster) {
        const log = await Deno.readTextFile(`${sb.dir}/plugin-${c.host.name}.log`);
        const deferred = log.split("\n").filter((l) => /removal deferred/.test(l));
        console.log(`${c.host.name}: ${deferred.length} DEL removal(s) deferred`);
      }
      await assertDistinctAddresses(sb);
      await assertNothingLeft(sb, cluster);
    }),
);

Deno.test(
  "clustered NB: the client talks to the leader, not to a follower first in the list or a member that has just restarted",
  opts,
  () =>
    withSandbox({ hosts: 2, clustered: true }, async (sb) => {
      const cluster = await initClustered(sb);
      const leader = await sb.leader("nb");
      const followers = await sb.followers("nb");
      assert.equal(followers.length, 2);
      // Followers first: the leader last in the list.
      const order = (first: { remote: string }) =>
        [first, ...sb.members("nb").filter((m) => m !== first)].map((m) => m.remote).join(",");
      const followerFirst = cluster.map((c) => ({
        ...c,
        config: { ...c.config, nbRemote: order(followers[0]) },
      }));
      assert.notEqual(followerFirst[0].config.nbRemote, sb.nbRemote);

      // Several ADDs at once on both hosts, then their DELs: right after each DEL, NB (asked at
      // the leader) no longer has the port.
      const ids = Array.from({ length: 8 }, (_, i) => `f${i}`);
      const nss = await Promise.all(ids.map((id) => sb.addContainerNetns(id)));
      const adds = await Promise.all(
        ids.map((id, i) => mesosCni(followerFirst[i % 2], "ADD", id, nss[i])),
      );
      const ips = adds.map((r, i) => {
        assert.equal(r.code, 0, `ADD ${ids[i]} with a follower first: ${r.stdout}`);
        return mesosIp(r);
      });
      assert.equal(new Set(ips).size, ips.length, `addresses twice: ${ips.join(" ")}`);
      assert.equal(await assertDistinctAddresses(sb), ids.length);
      const dels = await Promise.all(
        ids.map((id, i) => mesosCni(followerFirst[i % 2], "DEL", id, nss[i])),
      );
      for (const [i, d] of dels.entries()) assert.equal(d.code, 0, `DEL ${ids[i]}: ${d.stdout}`);
      assert.deepEqual(await pluginPorts(sb), [], "every DEL removed its port from NB");
      for (const ns of nss) await sb.removeContainerNetns(ns);

      // A follower that missed writes while it was down, restarted and first in the list at
      // once: DEL must not take its stale copy ("no such port") for the truth.
      const stale = followers[1];
      await sb.killMember("nb", stale.index);
      const staleFirst = cluster.map((c) => ({
        ...c,
        config: { ...c.config, nbRemote: order(stale) },
      }));
      const missed = ["m0", "m1", "m2", "m3"];
      const mns = await Promise.all(missed.map((id) => sb.addContainerNetns(id)));
      for (const [i, id] of missed.entries()) {
        mesosIp(await mesosCni(cluster[i % 2], "ADD", id, mns[i]));
      }
      assert.equal((await pluginPorts(sb)).length, missed.length);
      await sb.restartMember("nb", stale.index, { wait: false });
      const mdels = await Promise.all(
        missed.map((id, i) => mesosCni(staleFirst[i % 2], "DEL", id, mns[i])),
      );
      for (const [i, d] of mdels.entries()) {
        assert.equal(d.code, 0, `DEL ${missed[i]}: ${d.stdout}`);
      }
      assert.deepEqual(await pluginPorts(sb), [], "DEL via a just-restarted member left ports");
      for (const c of cluster) assert.deepEqual(pendingFiles(c), []);
      // And ADD with it first, right after another restart.
      await sb.killMember("nb", stale.index);
      await sb.restartMember("nb", stale.index, { wait: false });
      const ns = await sb.addContainerNetns("after");
      const ip = mesosIp(await mesosCni(staleFirst[0], "ADD", "after", ns));
      assert.match(ip, /^172\.16\.1\./);
      assert.equal((await mesosCni(staleFirst[0], "DEL", "after", ns)).code, 0);
      await sb.removeContainerNetns(ns);
      for (const m of missed) await sb.removeContainerNetns(`${sb.dir}/containers/${m}/ns`);
      assert.equal((await sb.leader("nb")).index, leader.index, "the leader stayed");
      await assertNothingLeft(sb, cluster);
    }),
);

Deno.test(
  "sandbox: clustered NB and SB (three members each): leader, kill and restart by pid, down leaves nothing",
  opts,
  async () => {
    const sb = await Sandbox.up({ hosts: 1, clustered: true });
    try {
      assert.ok(sb.clustered);
      for (const db of ["nb", "sb"] as const) {
        const members = sb.members(db);
        assert.deepEqual(members.map((m) => m.index), [1, 2, 3]);
        const remote = db === "nb" ? sb.nbRemote : sb.sbRemote;
        assert.equal(remote, members.map((m) => m.remote).join(","));
        assert.equal(new Set(members.map((m) => m.raft)).size, 3);
        assert.equal((await sb.followers(db)).length, 2);
      }
      // Hosts, ovn-controller and ovn-nbctl get every member.
      const ids = await sb.vsctl("hv1", "get", "Open_vSwitch", ".", "external_ids");
      assert.ok(ids.includes(`ovn-remote="${sb.sbRemote}"`), ids);
      assert.ok(ids.includes(`ovn-nb="${sb.nbRemote}"`), ids);
      assert.equal(await sb.nbctl("get", "NB_Global", ".", "options:mac_prefix"), '"0a:58:00"');
      assert.match(await sb.sbctl("--bare", "--columns=name", "list", "Chassis"), /^hv1$/);
      // 6 members, ovn-northd, 3 daemons of the host.
      assert.equal((await sb.leftovers()).pids.length, 6 + 1 + 3);

      const leader = await sb.leader("nb");
      const pid = sb.memberPid("nb", leader.index)!;
      assert.match(await sb.clusterStatus("nb", leader.index), /^Role: leader$/m);
      assert.equal(await sb.killMember("nb", leader.index), pid);
      assert.equal(sb.memberPid("nb", leader.index), undefined);
      const next = await sb.leader("nb");
      assert.notEqual(next.index, leader.index);
      await sb.nbctl("--timeout=20", "ls-add", "while-one-is-down");
      const again = await sb.restartMember("nb", leader.index);
      assert.notEqual(again, pid);
      assert.match(await sb.clusterStatus("nb", leader.index), /^Role: follower$/m);
      assert.equal((await sb.leftovers()).pids.length, 10);
      // The restarted member has caught up: it serves what was written while it was down.
      const own = await sb.run("hv1", [
        "ovn-nbctl",
        `--db=${leader.remote}`,
        "--no-leader-only",
        "ls-list",
      ]);
      assert.match(own.stdout, /while-one-is-down/);
    } finally {
      await sb.down();
    }
    await assertNoLeaks(sb);
  },
);

Deno.test(
  "clustered NB restarted whole between ADD and DEL: DEL, a new ADD and status work (no stale connection state)",
  opts,
  () =>
    withSandbox({ hosts: 1, clustered: true }, async (sb) => {
      const [c] = await initClustered(sb);
      const ns = await sb.addContainerNetns("before");
      const ip = mesosIp(await mesosCni(c, "ADD", "before", ns));
      for (const m of sb.members("nb")) await sb.killMember("nb", m.index);
      await Promise.all(sb.members("nb").map((m) => sb.restartMember("nb", m.index)));
      await sb.waitCluster("nb");
      const del = await mesosCni(c, "DEL", "before", ns);
      assert.equal(del.code, 0, del.stdout);
      assert.deepEqual(pendingFiles(c), [], "NB answered: nothing deferred");
      assert.deepEqual(await pluginPorts(sb), []);
      const ns2 = await sb.addContainerNetns("after");
      assert.notEqual(mesosIp(await mesosCni(c, "ADD", "after", ns2)), undefined);
      assert.ok(ip);
      const st = await driver(sb, c.host, ["status", `--db=${sb.nbRemote}`, "--json"]);
      assert.equal(JSON.parse(st.stdout).hosts[0].containers.length, 1, st.stdout);
      assert.equal((await mesosCni(c, "DEL", "after", ns2)).code, 0);
      assert.deepEqual(await pluginLinks(sb, c.host), []);
    }),
);
