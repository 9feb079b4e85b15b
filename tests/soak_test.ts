/**
 * Soak: 500 ADD/DEL cycles on one host, 10 at a time, on the real sandbox. Afterwards NB, SB,
 * the host's OVS, its veths, the plugin's lock and pending files and the OVSDB servers' memory
 * (`memory/show`) are back where they started. The figures are printed (they go to the CI log).
 * Slow (under a minute): run with OVN_MESOS_SLOW=1 (`scripts/test --slow`).
 */
import assert from "node:assert/strict";
import { initCluster, mesosCni, mesosIp, pluginLinks, pluginPorts } from "../testing/cluster.ts";
import { runOk } from "../testing/run.ts";
import { type Sandbox, type SandboxHost, withSandbox } from "../testing/sandbox_fixture.ts";

const slow = Deno.env.get("OVN_MESOS_SLOW") === "1";
const CYCLES = 500;
const AT_ONCE = 10;

/** Rows per table of a database (tables without rows left out). */
async function rowCounts(remote: string, db: string): Promise<Record<string, number>> {
  const tables = (await runOk(["ovsdb-client", "list-tables", remote, db])).split("\n")
    .slice(2).map((t) => t.trim()).filter(Boolean).sort();
  const ops = tables.map((table) => ({ op: "select", table, where: [], columns: ["_uuid"] }));
  const out = await runOk(["ovsdb-client", "transact", remote, JSON.stringify([db, ...ops])]);
  const results = JSON.parse(out) as { rows: unknown[] }[];
  const counts: Record<string, number> = {};
  tables.forEach((t, i) => {
    if (results[i].rows.length) counts[t] = results[i].rows.length;
  });
  return counts;
}

/** `memory/show` of an ovsdb-server as numbers, e.g. {atoms: 32, cells: 34, sessions: 1}. */
function memoryFigures(line: string): Record<string, number> {
  return Object.fromEntries(
    line.trim().split(/\s+/).map((kv) => {
      const [k, v] = kv.split(":");
      return [k, Number(v)];
    }),
  );
}

/** Resident memory of a process in KiB. */
function rssKiB(pidfile: string): number {
  const pid = Deno.readTextFileSync(pidfile).trim();
  const m = /^VmRSS:\s+(\d+) kB/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return Number(m?.[1]);
}

function filesIn(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** Everything the soak must leave as it found it. */
async function snapshot(sb: Sandbox, host: SandboxHost, runDir: string) {
  const central = `${sb.dir}/central`;
  // First: it waits for veths DEL retired (their deletion runs after DEL answers) to go.
  const plugin = (await pluginLinks(sb, host)).length;
  const links = (await runOk(["ip", "-n", host.netns, "-o", "link", "show"])).trim().split("\n");
  return {
    nb: await rowCounts(sb.nbRemote, "OVN_Northbound"),
    sb: await rowCounts(sb.sbRemote, "OVN_Southbound"),
    ovs: await rowCounts(`unix:${host.dir}/db.sock`, "Open_vSwitch"),
    links: links.length,
    pluginLinks: plugin,
    pluginPorts: (await pluginPorts(sb)).length,
    locks: filesIn(`${runDir}/locks`),
    pending: filesIn(`${runDir}/pending`),
    nbMemory: (await runOk(["ovs-appctl", "-t", `${central}/ovnnb_db.ctl`, "memory/show"])).trim(),
    hostMemory: await sb.appctl(host, "-t", "ovsdb-server", "memory/show"),
    nbRssKiB: rssKiB(`${central}/ovnnb_db.pid`),
    hostRssKiB: rssKiB(`${host.dir}/ovsdb-server.pid`),
  };
}

/** The memory/show figures that describe what the server holds (not its caches). */
const HELD = ["atoms", "cells", "monitors", "sessions", "n-weak-refs"];

function held(line: string): Record<string, number | undefined> {
  const f = memoryFigures(line);
  return Object.fromEntries(HELD.map((k) => [k, f[k]]));
}

Deno.test({
  name: `soak: ${CYCLES} ADD/DEL cycles on one host, ${AT_ONCE} at a time, leave nothing behind`,
  ignore: !slow,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () =>
    withSandbox({ hosts: 1 }, async (sb) => {
      const [c] = await initCluster(sb);
      const runDir = String(c.config.runDir);
      const before = await snapshot(sb, c.host, runDir);
      const t0 = performance.now();
      let next = 0;
      const addMs: number[] = [];
      const delMs: number[] = [];
      const worker = async () => {
        for (let n; (n = next++) < CYCLES;) {
          const id = `soak${n}`;
          const ns = await sb.addContainerNetns(id);
          let t = performance.now();
          const add = await mesosCni(c, "ADD", id, ns);
          addMs.push(performance.now() - t);
          assert.equal(add.code, 0, `ADD ${id}: ${add.stdout}${add.stderr}`);
          mesosIp(add);
          t = performance.now();
          const del = await mesosCni(c, "DEL", id, ns);
          delMs.push(performance.now() - t);
          assert.equal(del.code, 0, `DEL ${id}: ${del.stdout}${del.stderr}`);
          await sb.removeContainerNetns(ns);
        }
      };
      await Promise.all(Array.from({ length: AT_ONCE }, worker));
      const wallMs = performance.now() - t0;
      const after = await snapshot(sb, c.host, runDir);

      const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const max = (xs: number[]) => Math.max(...xs);
      console.log(
        `soak: ${CYCLES} ADD/DEL cycles, ${AT_ONCE} at a time, in ${
          (wallMs / 1000).toFixed(1)
        } s; ` +
          `ADD p50 ${p50(addMs).toFixed(0)} ms (max ${max(addMs).toFixed(0)}), ` +
          `DEL p50 ${p50(delMs).toFixed(0)} ms (max ${max(delMs).toFixed(0)})`,
      );
      const rows = (r: Record<string, number>) =>
        Object.entries(r).map(([t, n]) => `${t}=${n}`).join(" ");
      for (
        const [what, b, a] of [
          ["NB rows", rows(before.nb), rows(after.nb)],
          ["SB rows", rows(before.sb), rows(after.sb)],
          ["OVS rows", rows(before.ovs), rows(after.ovs)],
          ["host links", before.links, after.links],
          ["plugin veths/OVS ports", before.pluginLinks, after.pluginLinks],
          ["plugin logical ports", before.pluginPorts, after.pluginPorts],
          ["lock files", before.locks.length, after.locks.length],
          ["pending files", before.pending.length, after.pending.length],
          ["NB ovsdb-server memory/show", before.nbMemory, after.nbMemory],
          ["host ovsdb-server memory/show", before.hostMemory, after.hostMemory],
          ["NB ovsdb-server RSS KiB", before.nbRssKiB, after.nbRssKiB],
          ["host ovsdb-server RSS KiB", before.hostRssKiB, after.hostRssKiB],
        ] as const
      ) {
        console.log(`soak: ${what}: before ${b} | after ${a}`);
      }

      assert.deepEqual(after.nb, before.nb, "NB rows");
      assert.deepEqual(after.sb, before.sb, "SB rows");
      assert.deepEqual(after.ovs, before.ovs, "OVS rows");
      assert.equal(after.links, before.links, "links in the host's netns");
      assert.equal(after.pluginLinks, 0);
      assert.equal(after.pluginPorts, 0);
      assert.deepEqual(after.locks, before.locks, "lock files");
      assert.deepEqual(after.pending, before.pending, "pending files");
      assert.deepEqual(held(after.nbMemory), held(before.nbMemory), "NB ovsdb-server memory/show");
      assert.deepEqual(
        held(after.hostMemory),
        held(before.hostMemory),
        "host ovsdb-server memory/show",
      );
    }),
});
