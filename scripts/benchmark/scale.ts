/**
 * How ADD scales: with 0 / 250 / 1,000 ports on the host's switch and with 1 / 100 hosts in
 * NB (NB-only rows made in bulk with ovn-nbctl), and node-init with 1 / 100 hosts already
 * there.  Each state is visited in turn, interleaved plugin / floor.
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
import {
  CLUSTER_SUBNET,
  type Ctx,
  FAKE_HOSTS,
  HOST_PREFIX,
  hostNet,
  SCALE_PORTS,
} from "./context.ts";
import { netnsFor, pluginAdd, pluginDel } from "./contenders.ts";
import { floorAdd, floorDel } from "./floor.ts";
import { note } from "./outcome.ts";
import { phaseTimeline } from "./phases.ts";
import { inNetns, must, untimed } from "./proc.ts";
import { p50, r1, rotate } from "./stats.ts";
import { makeShims, medianTimeline, RpcProxy, timelineRun } from "./tracing.ts";

function extIds(ids: Record<string, string>): string[] {
  return Object.entries(ids).map(([k, v]) =>
    `external_ids:${JSON.stringify(k)}=${JSON.stringify(v)}`
  );
}

/** node-remove on hv2 (untimed). */
async function nodeRemove(c: Ctx, env: Record<string, string>): Promise<void> {
  const argv = [c.dist.driver, "node-remove", `--config_dir=${c.sb.dir}/cni-hv2`];
  must(await untimed(c, argv, { ns: c.hv2.netns, env }), "node-remove hv2");
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

/** `cycles` × (plugin ADD, floor ADD, plugin DEL, floor DEL), interleaved. */
async function addCycles(c: Ctx, cycles: number, into: { plugin: number[]; floor: number[] }) {
  const nsP = await netnsFor(c, "main-plugin");
  const nsF = await netnsFor(c, "main-floor");
  for (let i = 0; i < cycles; i++) {
    c.checkAbort();
    const id = crypto.randomUUID();
    const fid = crypto.randomUUID();
    const order = i % 2 ? ["floor", "plugin"] : ["plugin", "floor"];
    for (const k of order) {
      const r = k === "plugin" ? await pluginAdd(c, id, nsP) : await floorAdd(c, fid, nsF);
      note(c, `${k} ADD (scale)`, r);
      if (r.ok) into[k as "plugin" | "floor"].push(r.ms);
    }
    note(c, "plugin DEL (scale)", await pluginDel(c, id, nsP));
    note(c, "floor DEL (scale)", await floorDel(c, fid));
  }
}

/**
 * ADD with 0 / 250 / 1,000 NB-only plugin ports on hv1's switch (rotated per round), then
 * where ADD's time goes at 1,000.
 */
export async function phasePorts(c: Ctx) {
  const plan = c.plan;
  const at = new Map(
    SCALE_PORTS.map((n) => [n, { plugin: [] as number[], floor: [] as number[] }]),
  );
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
      c.progress(
        `  ${n} ports: ADD p50 plugin ${r1(p50(at.get(n)!.plugin))} floor ${
          r1(p50(at.get(n)!.floor))
        } ms`,
      );
    }
  }
  // where ADD's time goes with 1,000 ports
  await setBulkPorts(c, have, 1000);
  const timeline = await phaseTimeline(c, plan.timelineRuns);
  await setBulkPorts(c, 1000, 0);
  return { at, bulkMs, timeline };
}

/** node-init on hv2 and ADD on hv1 with 1 and with 100 hosts in NB (rotated per round). */
export async function phaseHosts(c: Ctx) {
  const plan = c.plan;
  const at = new Map([1, 100].map((n) => [n, { plugin: [] as number[], floor: [] as number[] }]));
  const nodeInit = new Map<number, number[]>([[1, []], [100, []]]);
  const hv2 = c.hv2;
  const env = { PATH: c.path, ...hv2.env };
  const configFile = `${c.sb.dir}/cni-hv2/${c.conf.name}.conf`;
  const net = hostNet(1);
  const nodeInitArgs = [
    "node-init",
    `--subnet=${net.subnet}`,
    `--cluster_subnet=${CLUSTER_SUBNET}`,
    `--gateway=${net.gateway}/${HOST_PREFIX}`,
    `--config_dir=${c.sb.dir}/cni-hv2`,
    `--log-file=${c.sb.dir}/plugin-hv2.log`,
  ];
  const timelines: Record<number, ReturnType<typeof medianTimeline>> = {};
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
        // let northd and every ovn-controller settle first (node-remove, ADD/DEL churn)
        await c.sb.nbctl("--timeout=60", "--wait=hv", "sync");
        const p = must(
          await inNetns(c, hv2.netns, [c.dist.driver, ...nodeInitArgs], env),
          "node-init hv2",
        );
        // (a crash reads as exit 0 on the timed path: the configuration it writes tells)
        await Deno.stat(configFile).catch(() => {
          throw new Error(`node-init hv2 exited 0 but wrote no ${configFile}`);
        });
        nodeInit.get(n)!.push(p.ms);
        await nodeRemove(c, env);
      }
      if (round === plan.scaleRounds - 1) {
        // once more, with the PATH shims and a logging proxy in front of NB: where it goes
        await c.sb.nbctl("--timeout=60", "--wait=hv", "sync");
        const log = `${c.sb.dir}/shims.log`;
        const shimPath = await makeShims(c, `${c.sb.dir}/shims`, log);
        const proxyPath = `${c.sb.dir}/proxy-nb.sock`;
        const proxy = new RpcProxy(proxyPath, c.sb.nbRemote.replace(/^unix:/, ""), "NB");
        try {
          timelines[n] = medianTimeline([
            await timelineRun(
              c,
              hv2.netns,
              [c.dist.driver, ...nodeInitArgs],
              { ...env, PATH: shimPath, OVN_NB_DB: `unix:${proxyPath}` },
              undefined,
              log,
              [proxy],
            ),
          ]);
        } finally {
          proxy.close();
          for (const f of [log, proxyPath]) await Deno.remove(f).catch(() => {});
        }
        await nodeRemove(c, env);
      }
      await c.sb.nbctl("--timeout=60", "--wait=hv", "sync");
      await addCycles(c, plan.scaleCycles, at.get(n)!);
      c.progress(
        `  ${n} hosts: ADD p50 plugin ${r1(p50(at.get(n)!.plugin))} floor ${
          r1(p50(at.get(n)!.floor))
        } ms; node-init p50 ${r1(p50(nodeInit.get(n)!))} ms`,
      );
    }
  }
  if (fakes) await setFakeHosts(c, false);
  return { at, nodeInit, timelines };
}
