/** The overlay driver's command line: subcommands, flags, output and exit codes. */
import { type Flags, type FlagSpec, formatFlags, parseFlags } from "../args.ts";
import { DriverError, UsageError } from "../errors.ts";
import { ExecError, isTimeout } from "../exec.ts";
import { isUnreachable } from "../ovn/ctl.ts";
import { VERSION } from "../version.ts";
import { type Context, makeContext } from "./context.ts";
import { gatewayInit, gatewayInitFlags } from "./gateway_init.ts";
import { nodeInit, nodeInitFlags } from "./node_init.ts";
import { nodeRemove, nodeRemoveFlags } from "./node_remove.ts";
import { pluginInit } from "./plugin_init.ts";
import { clusterStatus, formatStatus } from "./status.ts";

/** What a subcommand returns: a summary for people and the same facts for `--json`. */
export interface Outcome {
  text: string;
  json: Record<string, unknown>;
}

interface Subcommand {
  summary: string;
  flags: FlagSpec[];
  run: (ctx: Context, flags: Flags) => Promise<Outcome>;
}

/** Options every subcommand takes. */
const COMMON_FLAGS: FlagSpec[] = [
  {
    name: "db",
    value: "REMOTE",
    help: "OVN Northbound database (default: $OVN_NB_DB, else the local OVS's external_ids:ovn-nb)",
  },
  {
    name: "private-key",
    value: "FILE",
    help: "SSL private key for ssl: remotes (default /etc/ovn/ovnnb-privkey.pem)",
  },
  { name: "certificate", value: "FILE", help: "SSL certificate (default /etc/ovn/ovnnb-cert.pem)" },
  { name: "ca-cert", value: "FILE", help: "SSL CA certificate (default /etc/ovn/cacert.pem)" },
  {
    name: "timeout",
    value: "SECONDS",
    help: "give up on an unresponsive database after this long (default 10)",
  },
  { name: "json", help: "print the outcome (or the error) as JSON on stdout" },
  { name: "help", help: "show this help" },
];

const SUBCOMMANDS: Record<string, Subcommand> = {
  "plugin-init": {
    summary: "create the cluster's distributed logical router (once per cluster)",
    flags: [],
    run: pluginInit,
  },
  "node-init": {
    summary: "join this host to the overlay and write its CNI configuration",
    flags: nodeInitFlags,
    run: nodeInit,
  },
  "gateway-init": {
    summary: "make this host a gateway for South-North traffic",
    flags: gatewayInitFlags,
    run: gatewayInit,
  },
  "node-remove": {
    summary: "undo node-init (and gateway-init) for a host",
    flags: nodeRemoveFlags,
    run: nodeRemove,
  },
  status: {
    summary: "show the cluster as the Northbound database sees it",
    flags: [],
    run: async (ctx) => {
      const s = await clusterStatus(ctx);
      return { text: formatStatus(s), json: s as unknown as Record<string, unknown> };
    },
  },
};

function usage(prog: string): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((k) => k.length)) + 2;
  const cmds = Object.entries(SUBCOMMANDS).map(([k, s]) => `  ${k.padEnd(width)}${s.summary}`);
  const extra = prog === "ovn-mesos"
    ? ["  cni".padEnd(width + 2) + "run as the CNI plugin (as ovn-mesos-plugin does)"]
    : [];
  return [
    `usage: ${prog} <subcommand> [options]`,
    "",
    "Apache Mesos containers on an OVN overlay network.",
    "",
    "subcommands:",
    ...cmds,
    ...extra,
    "",
    `options: --help, --version; \`${prog} <subcommand> --help\` lists a subcommand's options.`,
  ].join("\n");
}

function subcommandUsage(prog: string, name: string, sub: Subcommand): string {
  return [
    `usage: ${prog} ${name} [options]`,
    "",
    sub.summary,
    "",
    "options:",
    formatFlags([...sub.flags, ...COMMON_FLAGS]),
  ].join("\n");
}

/** Runs the driver; returns the exit status (0 ok, 1 failed, 2 bad usage). */
export async function runDriver(
  prog: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(usage(prog));
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    console.log(`${prog} ${VERSION}`);
    return 0;
  }
  const sub = SUBCOMMANDS[name];
  const json = rest.includes("--json");
  try {
    if (!sub) throw new UsageError(`unknown subcommand "${name}" (try --help)`);
    const flags = parseFlags(rest, [...sub.flags, ...COMMON_FLAGS]);
    if (flags.help) {
      console.log(subcommandUsage(prog, name, sub));
      return 0;
    }
    const ctx = makeContext(flags, env);
    const outcome = await sub.run(ctx, flags);
    console.log(json ? JSON.stringify({ ok: true, ...outcome.json }, null, 2) : outcome.text);
    return 0;
  } catch (e) {
    const message = describe(e);
    if (json) console.log(JSON.stringify({ ok: false, error: message }));
    console.error(`${prog}${name && sub ? ` ${name}` : ""}: error: ${message}`);
    return e instanceof UsageError ? 2 : 1;
  }
}

function describe(e: unknown): string {
  if (e instanceof ExecError && isUnreachable(e)) {
    const why = isTimeout(e) ? "did not answer in time" : e.result.stderr.trim().split("\n")[0];
    return `${e.result.argv[0]} could not reach its database: ${why}`;
  }
  if (e instanceof UsageError || e instanceof DriverError || e instanceof ExecError) {
    return e.message.split("\n").join(" ");
  }
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
