/**
 * scripts/bench: how fast is ovn-mesos-plugin, against what could be done at all, on a real
 * OVN sandbox (testing/sandbox.ts)?
 *
 *   scripts/bench [--quick] [--json] [--baseline=DIST]   (deno run -A scripts/benchmark/main.ts …)
 *
 * Compares, with the runs interleaved (A B C, B C A, C A B …) so that machine drift cancels:
 *   - the plugin (a private copy of dist/ovn-mesos-plugin) ADD and DEL, called as the Mesos
 *     agent calls it (env: CNI_* + PATH only; the config file with args.org.apache.mesos);
 *   - with --baseline=DIST, an older build's plugin (DIST/ovn-mesos, e.g. a `git worktree` of
 *     an earlier commit after its own scripts/build) the same way, with the configuration its
 *     own node-init wrote (in a directory of its own, before this build's node-init);
 *   - the two floors beside this file, the same OVN/OVS/namespace work as a minimal shell
 *     sequence of the stock tools: floor_add.sh (northd allocates the address) and
 *     floor_add_static.sh (the plugin's design: a static address and port security in one
 *     insert, ready at the local ovn-installed), both undone by floor_del.sh;
 *   - the reference: Debian's Go `bridge` + `host-local` plugins (no OVN) in a netns of ours.
 * Then: VERSION start-up next to a trivial `deno run`; process spawns per ADD/DEL (strace);
 * CPU time per operation (/usr/bin/time); where ADD's and DEL's time goes (PATH shims around
 * the tools, logging proxies in front of the NB and OVS database sockets, and the moments the
 * host's daemons logged for the port); 50 ADDs at once vs one after another (and the floor
 * the same way); ADD with 0/250/1,000 ports on the host and with 1/100 hosts in NB;
 * node-init with 1/100 hosts already in NB (and the baseline's); ADD with 2 port mappings vs
 * without (mappings.ts); ADD and DEL over an ssl: NB vs unix: (ssl.ts).
 *
 * Every time is wall time seen by the caller, including `ip netns exec` (reported as harness).
 * Progress goes to stderr; the table to stdout, or with --json one JSON object to stdout and
 * the table to stderr.  Everything runs inside a sandbox of its own and is torn down at the
 * end (the sandbox's own teardown, plus checks that no netns, process or dir is left).
 *
 * The modules, each given what it needs (no module keeps state): context.ts (the plan and
 * the context objects), proc.ts (processes, timed or not), contenders.ts and floor.ts (the
 * calls compared), setup.ts, phases.ts, scale.ts, mappings.ts and ssl.ts (the measurements),
 * spawns.ts (strace, CPU time), tracing.ts (PATH shims, OVSDB logging proxies, daemons' log
 * moments, time lines), stats.ts, report.ts (the JSON) and render.ts (the text).
 */
import { parseArgs } from "node:util";
import { withSandbox } from "../../testing/sandbox.ts";
import { type Bench, CNI_BIN, FULL, makeBench, QUICK, SCALE_PORTS } from "./context.ts";
import { phaseMappings } from "./mappings.ts";
import {
  leftovers,
  phaseConcurrent,
  phaseMain,
  phaseSpawns,
  phaseTimeline,
  phaseVersion,
} from "./phases.ts";
import { untimed } from "./proc.ts";
import { render } from "./render.ts";
import { type Measured, pluginLogTimes, report } from "./report.ts";
import { phaseHosts, phasePorts } from "./scale.ts";
import { cleanUp, leftAfterTeardown, setUp } from "./setup.ts";
import { phaseSsl } from "./ssl.ts";

const USAGE = "usage: scripts/bench [--quick] [--json] [--baseline=DIST]\n" +
  "  --quick          a few iterations (smoke run, < 1 min)\n" +
  "  --json           print one JSON object on stdout (the table goes to stderr)\n" +
  "  --baseline=DIST  also measure an older build's ovn-mesos (DIST/ovn-mesos, built by its own\n" +
  "                   scripts/build) in the same run: ADD, DEL and node-init, interleaved";

async function preflight(b: Bench): Promise<void> {
  const problems: string[] = [];
  if (Deno.uid?.() !== 0) problems.push("run as root (namespaces, OVS)");
  for (const f of [`${b.built}/ovn-mesos`, `${b.built}/ovn-mesos-plugin`]) {
    try {
      await Deno.stat(f);
    } catch {
      problems.push(`${f} is missing: run scripts/build first`);
    }
  }
  if (b.baselineDir) {
    try {
      await Deno.stat(`${b.baselineDir}/ovn-mesos`);
    } catch {
      problems.push(`${b.baselineDir}/ovn-mesos is missing: run scripts/build where it lives`);
    }
  }
  for (const f of [b.floorAdd, b.floorAddStatic, b.floorDel]) {
    try {
      await Deno.stat(f);
    } catch {
      problems.push(`${f} is missing`);
    }
  }
  for (const f of [`${CNI_BIN}/bridge`, `${CNI_BIN}/host-local`]) {
    try {
      await Deno.stat(f);
    } catch {
      problems.push(`${f} is missing (scripts/setup installs containernetworking-plugins)`);
    }
  }
  if ((await untimed(b, ["strace", "-V"]).catch(() => ({ code: 1 }))).code !== 0) {
    problems.push("strace is missing (scripts/setup installs it)");
  }
  if (problems.length) throw new Error(problems.join("\n"));
}

/** What the figures were measured on. */
async function machineFacts(b: Bench): Promise<Record<string, string | number>> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const first = async (argv: string[]) =>
    (await untimed(b, argv).catch(() => ({ stdout: "" }))).stdout.split("\n")[0].trim();
  return {
    nproc: navigator.hardwareConcurrency,
    cpu_model: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "?",
    kernel: Deno.osRelease(),
    ovs: await first(["ovs-vsctl", "--version"]),
    ovn: await first(["ovn-nbctl", "--version"]),
    deno: Deno.version.deno,
  };
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: "boolean" },
      json: { type: "boolean" },
      baseline: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const abort = new AbortController();
  const baselineDir = values.baseline ? await Deno.realPath(values.baseline) : undefined;
  const b = makeBench(values.quick ? QUICK : FULL, abort.signal, baselineDir);
  const plan = b.plan;
  await preflight(b);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => {
      if (abort.signal.aborted) Deno.exit(130);
      abort.abort();
      b.progress(`${sig}: stopping at the next step and tearing down (again to exit at once)`);
    });
  }
  const load = (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
  const machine = await machineFacts(b);
  b.progress(`sandbox up (2 hosts); load average ${load}`);
  let sbName = "", sbDir = "";
  let lockFiles = 0;
  const { c, m } = await withSandbox({ hosts: 2 }, async (sb) => {
    sbName = sb.name;
    sbDir = sb.dir;
    const c = await setUp(b, sb);
    try {
      b.progress(
        `sandbox ${sb.name} ready; main: ${plan.rounds} rounds plugin${
          c.baseline ? " / baseline" : ""
        } / floor / static floor / Go bridge`,
      );
      const main = await phaseMain(c);
      b.progress(`VERSION start-up: ${plan.versionRuns} runs each`);
      const ver = await phaseVersion(c);
      b.progress(`spawns (strace) and CPU time: ${plan.straceRuns} runs each`);
      const sp = await phaseSpawns(c);
      b.progress(`where the time goes (PATH shims): ${plan.timelineRuns} runs each`);
      const timeline = await phaseTimeline(c, plan.timelineRuns);
      b.progress(`concurrency: ${plan.concurrent} ADDs at once, then one after another`);
      const conc = await phaseConcurrent(c);
      b.progress(`scale: ADD with ${SCALE_PORTS.join(" / ")} ports on the host`);
      const ports = await phasePorts(c);
      b.progress(`scale: ADD and node-init with 1 / 100 hosts in NB`);
      const hosts = await phaseHosts(c);
      b.progress(`port mappings: ${plan.mappingRounds} rounds ADD with 2 / without`);
      const mappings = await phaseMappings(c);
      let ssl: Measured["ssl"];
      if (plan.sslRounds > 0) {
        b.progress(`ssl: NB: ${plan.sslRounds} rounds unix / relay over unix / relay over ssl`);
        ssl = await phaseSsl(c);
      }
      const logT = await pluginLogTimes(c);
      const left = await leftovers(c);
      const m: Measured = {
        main,
        ver,
        sp,
        timeline,
        conc,
        ports,
        hosts,
        mappings,
        ssl,
        logT,
        left,
      };
      return { c, m };
    } finally {
      // the plugin's lock files live outside the sandbox: remove the ones our attachments made
      lockFiles = await cleanUp(c);
    }
  });
  // after teardown: nothing of ours may be left
  const after = await leftAfterTeardown(b, sbName, sbDir);
  const { j, checks } = report(c, m, { load, machine, after, lockFiles });
  if (values.json) {
    // the table too, on stderr, so that one run gives both
    console.error(render(j, checks));
    console.log(JSON.stringify(j, null, 2));
  } else {
    console.log(render(j, checks));
  }
  b.progress("done; sandbox torn down");
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`bench: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
