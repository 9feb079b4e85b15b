/**
 * How ADD scales: with 0 / 250 / 1,000 ports on the host's switch and with 1 / 100 hosts in
 * NB (NB-only rows made in bulk with ovn-nbctl), and node-init with 1 / 100 hosts already
 * there (and --baseline's node-init, interleaved).  Each state is visited in turn,
 * interleaved plugin / dynamic floor / static floor.
 */
import {
  agentPort,
  CLUSTER_ROUTER,
  containerPort,
  Ext,
  hostSwitch,
  routerMac,
  routerToSwitchPort,
  switchToRouterPort,
} from "../../src/names.ts";
import { VERSION } from "../../src/version.ts";
import { type Ctx, type Dist, FAKE_HOSTS, HOST_PREFIX, hostNet, SCALE_PORTS } from "./context.ts";
import { netnsFor, pluginAdd, pluginDel } from "./contenders.ts";
import { floorAdd, floorAddStatic, floorDel } from "./floor.ts";
import { note } from "./outcome.ts";
import { phaseTimeline } from "./phases.ts";
import { inNetns, must, untimed } from "./proc.ts";
import { nodeInitArgs } from "./setup.ts";
import { p50, r1, rotate } from "./stats.ts";
import { makeShims, medianTimeline, RpcProxy, timelineRun } from "./tracing.ts";

function extIds(ids: Record<string, string>): string[] {
  return Object.entries(ids).map(([k, v]) =>
    `external_ids:${JSON.stringify(k)}=${JSON.stringify(v)}`
  );
}

/** node-remove on hv2 (untimed), by the build whose node-init wrote into `configDir`. */
async function nodeRemove(
  c: Ctx,
  env: Record<string, string>,
  dist: Dist = c.dist,
  configDir = "cni-hv2",
): Promise<void> {
  const argv = [dist.driver, "node-remove", `--config_dir=${c.sb.dir}/${configDir}`];
  must(await untimed(c, argv, { ns: c.hv2.netns, env }), `node-remove hv2 (${configDir})`);
}

/** Brings the number of NB-only plugin ports on hv1's switch to n (one big nbctl call). */
async function setBulkPorts(c: Ctx, have: number, n: number): Promise<void> {
  if (n === have) return;
  const sw = String(c.conf.logicalSwitch);
  const net = String(c.conf.name);
  const args: string[] = ["--timeout=120"];
  const lsp = (i: number) => containerPort(net, `bulk-${String(i).padStart(4, "0")}`, "eth0");
  if (n > have) {
    for (let i = have; i < n; i++) {
      const id = `bulk-${String(i).padStart(4, "0")}`;
      args.push("--", "lsp-add", sw, lsp(i), "--", "lsp-set-addresses", lsp(i), "dynamic");
      args.push(
        "--",
        "set",
        "Logical_Switch_Port",
        lsp(i),
        ...extIds({
          [Ext.role]: "container-port",
          [Ext.host]: String(c.conf.hostId),
          [Ext.network]: net,
          [Ext.containerId]: id,
          [Ext.ifname]: "eth0",
          [Ext.version]: VERSION,
        }),
      );
    }
  } else {
    for (let i = n; i < have; i++) args.push("--", "lsp-del", lsp(i));
  }
  await c.sb.nbctl(...args);
  await c.sb.nbctl("--timeout=120", "--wait=hv", "sync");
}

/** Adds or removes the 99 NB-only hosts: switch, router port, port pair, host port each. */
async function setFakeHosts(c: Ctx, on: boolean): Promise<void> {
  const args: string[] = ["--timeout=120"];
  for (let k = 0; k < FAKE_HOSTS; k++) {
    const host = `fake${k + 1}`;
    const sw = hostSwitch(host);
    const rtos = routerToSwitchPort(host);
    const stor = switchToRouterPort(host);
    const port = agentPort(host);
    if (!on) {
      args.push("--", "--if-exists", "ls-del", sw, "--", "--if-exists", "lrp-del", rtos);
      continue;
    }
    const { subnet, gateway } = hostNet(k + 2);
    const ids = (role: string) =>
      extIds({ [Ext.role]: role, [Ext.host]: host, [Ext.version]: VERSION });
    args.push(
      ...["--", "--may-exist", "ls-add", sw],
      ...["--", "set", "Logical_Switch", sw, `other_config:subnet="${subnet}"`],
      `other_config:exclude_ips="${gateway}"`,
      ...ids("host-switch"),
      ...["--", "--may-exist", "lrp-add", CLUSTER_ROUTER, rtos, routerMac(gateway)],
      `${gateway}/${HOST_PREFIX}`,
      ...["--", "set", "Logical_Router_Port", rtos, ...ids("host-switch")],
      ...["--", "--may-exist", "lsp-add", sw, stor],
      ...["--", "set", "Logical_Switch_Port", stor, "type=router", "addresses=router"],
      `options:router-port=${rtos}`,
      ...ids("host-switch"),
      ...["--", "--may-exist", "lsp-add", sw, port],
      ...["--", "set", "Logical_Switch_Port", port, "addresses=dynamic", ...ids("host-port")],
    );
  }
  await c.sb.nbctl(...args);
  await c.sb.nbctl("--timeout=120", "--wait=hv", "sync");
}

/** ADD p50 samples of the plugin and the two floors. */
export interface ScaleSeries {
  plugin: number[];
  floor: number[];
  floor_static: number[];
}

function series(): ScaleSeries {
  return { plugin: [], floor: [], floor_static: [] };
}

/** `cycles` × (plugin, floor and static floor ADD, rotated; then their DELs). */
async function addCycles(c: Ctx, cycles: number, into: ScaleSeries) {
  const nsP = await netnsFor(c, "main-plugin");
  const nsF = await netnsFor(c, "main-floor");
  const nsS = await netnsFor(c, "main-floor-static");
  const kinds = ["plugin", "floor", "floor_static"] as const;
  for (let i = 0; i < cycles; i++) {
    c.checkAbort();
    const id = crypto.randomUUID();
    const fid = crypto.randomUUID();
    const sid = crypto.randomUUID();
    for (const k of rotate(kinds, i)) {
      const r = k === "plugin"
        ? await pluginAdd(c, id, nsP)
        : k === "floor"
        ? await floorAdd(c, fid, nsF)
        : await floorAddStatic(c, sid, nsS);
      note(c, `${k} ADD (scale)`, r);
      if (r.ok) into[k].push(r.ms);
    }
    note(c, "plugin DEL (scale)", await pluginDel(c, id, nsP));
    note(c, "floor DEL (scale)", await floorDel(c, fid));
    note(c, "floor_static DEL (scale)", await floorDel(c, sid));
  }
}

function scaleLine(x: ScaleSeries): string {
  return `plugin ${r1(p50(x.plugin))} floor ${r1(p50(x.floor))} static floor ${
    r1(p50(x.floor_static))
  } ms`;
}

/**
 * ADD with 0 / 250 / 1,000 NB-only plugin ports on hv1's switch (rotated per round), then
 * where ADD's time goes at 1,000.
 */
export async function phasePorts(c: Ctx) {
  const plan = c.plan;
  const at = new Map(SCALE_PORTS.map((n) => [n, series()]));
  let have = 0;
  const bulkMs: number[] = [];
  for (let round = 0; round < plan.scaleRounds; round++) {
    for (const n of rotate(SCALE_PORTS, round)) {
      c.checkAbort();
      const t = performance.now();
      await setBulkPorts(c, have, n);
      if (n > have) bulkMs.push(performance.now() - t);
      have = n;
      await addCycles(c, plan.scaleCycles, at.get(n)!);
      c.progress(`  ${n} ports: ADD p50 ${scaleLine(at.get(n)!)}`);
    }
  }
  // where ADD's time goes with 1,000 ports
  await setBulkPorts(c, have, 1000);
  const timeline = await phaseTimeline(c, plan.timelineRuns);
  await setBulkPorts(c, 1000, 0);
  return { at, bulkMs, timeline };
}

/** A build whose node-init is timed on hv2. */
interface InitBuild {
  key: "plugin" | "baseline";
  dist: Dist;
  configDir: string;
  logFile: string;
}

/**
 * node-init on hv2 (this build's, and --baseline's interleaved with it, each undone by its own
 * node-remove) and ADD on hv1 with 1 and with 100 hosts in NB (rotated per round); in the last
 * round where node-init's and ADD's time goes.
 */
export async function phaseHosts(c: Ctx) {
  const plan = c.plan;
  const at = new Map([1, 100].map((n) => [n, series()]));
  const nodeInit = new Map<number, number[]>([[1, []], [100, []]]);
  const baselineInit = new Map<number, number[]>([[1, []], [100, []]]);
  const hv2 = c.hv2;
  const env = { PATH: c.path, ...hv2.env };
  const builds: InitBuild[] = [
    { key: "plugin", dist: c.dist, configDir: "cni-hv2", logFile: "plugin-hv2.log" },
  ];
  if (c.baseline) {
    builds.push({
      key: "baseline",
      dist: c.baseline.dist,
      configDir: "cni-hv2-baseline",
      logFile: "plugin-hv2-baseline.log",
    });
  }
  const argsOf = (b: InitBuild) => nodeInitArgs(c.sb, 1, b.configDir, b.logFile);
  const timelines: Record<number, ReturnType<typeof medianTimeline>> = {};
  const adds: Record<number, Awaited<ReturnType<typeof phaseTimeline>>> = {};
  let fakes = false;
  for (let round = 0; round < plan.scaleRounds; round++) {
    for (const n of rotate([1, 100], round)) {
      c.checkAbort();
      if ((n === 100) !== fakes) {
        await setFakeHosts(c, n === 100);
        fakes = n === 100;
      }
      // node-init on hv2 with n hosts already in NB, then undo it (untimed)
      for (let j = 0; j < Math.max(1, Math.ceil(plan.scaleCycles / 2)); j++) {
        for (const b of rotate(builds, j + round)) {
          // let northd and every ovn-controller settle first (node-remove, ADD/DEL churn)
          await c.sb.nbctl("--timeout=60", "--wait=hv", "sync");
          const p = must(
            await inNetns(c, hv2.netns, [b.dist.driver, ...argsOf(b)], env),
            `node-init hv2 (${b.key})`,
          );
          // (a crash reads as exit 0 on the timed path: the configuration it writes tells)
          const configFile = `${c.sb.dir}/${b.configDir}/${c.conf.name}.conf`;
          await Deno.stat(configFile).catch(() => {
            throw new Error(`node-init hv2 (${b.key}) exited 0 but wrote no ${configFile}`);
          });
          (b.key === "plugin" ? nodeInit : baselineInit).get(n)!.push(p.ms);
          await nodeRemove(c, env, b.dist, b.configDir);
        }
      }
      if (round === plan.scaleRounds - 1) {
        // once more, with the PATH shims and logging proxies in front of NB and of hv2's OVS
        // (node-init finds the local OVS at $OVS_RUNDIR/db.sock): where it goes
        await c.sb.nbctl("--timeout=60", "--wait=hv", "sync");
        const log = `${c.sb.dir}/shims.log`;
        const shimPath = await makeShims(c, `${c.sb.dir}/shims`, log);
        const proxyPath = `${c.sb.dir}/proxy-nb.sock`;
        const ovsRun = `${c.sb.dir}/proxy-ovs-run`;
        await Deno.mkdir(ovsRun, { recursive: true });
        const proxies = [
          new RpcProxy(proxyPath, c.sb.nbRemote.replace(/^unix:/, ""), "NB"),
          new RpcProxy(`${ovsRun}/db.sock`, `${hv2.dir}/db.sock`, "OVS"),
        ];
        try {
          timelines[n] = medianTimeline([
            await timelineRun(
              c,
              hv2.netns,
              [c.dist.driver, ...argsOf(builds[0])],
              { ...env, PATH: shimPath, OVN_NB_DB: `unix:${proxyPath}`, OVS_RUNDIR: ovsRun },
              undefined,
              log,
              proxies,
            ),
          ]);
        } finally {
          for (const p of proxies) p.close();
          for (const f of [log, proxyPath, `${ovsRun}/db.sock`]) {
            await Deno.remove(f).catch(() => {});
          }
        }
        await nodeRemove(c, env);
        // and where ADD's and DEL's time goes with n hosts in NB
        await c.sb.nbctl("--timeout=60", "--wait=hv", "sync");
        adds[n] = await phaseTimeline(c, plan.timelineRuns);
      }
      await c.sb.nbctl("--timeout=60", "--wait=hv", "sync");
      await addCycles(c, plan.scaleCycles, at.get(n)!);
      c.progress(
        `  ${n} hosts: ADD p50 ${scaleLine(at.get(n)!)}; node-init p50 ${
          r1(p50(nodeInit.get(n)!))
        } ms${c.baseline ? ` (baseline ${r1(p50(baselineInit.get(n)!))} ms)` : ""}`,
      );
    }
  }
  if (fakes) await setFakeHosts(c, false);
  return { at, nodeInit, baselineInit, timelines, adds };
}
