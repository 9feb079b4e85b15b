/** The overlay driver's command line: subcommands, flags, output and exit codes. */
import { type FlagSpec, formatFlags, parseFlags } from "../args.ts";
import { DriverError, UsageError } from "../errors.ts";
import { ExecError } from "../exec.ts";
import { OvsdbError } from "../ovsdb/errors.ts";
import { VERSION } from "../version.ts";
import { gatewayInitCommand } from "./gateway_init.ts";
import { gcCommand } from "./gc.ts";
import { nodeInitCommand } from "./node_init.ts";
import { nodeRemoveCommand } from "./node_remove.ts";
import { pluginInitCommand } from "./plugin_init.ts";
import { statusCommand } from "./status.ts";
import { makeContext, type Subcommand } from "./subcommand.ts";

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
  { name: "help", help: "show this help (also -h)" },
];

const SUBCOMMANDS: Subcommand[] = [
  pluginInitCommand,
  nodeInitCommand,
  gatewayInitCommand,
  nodeRemoveCommand,
  statusCommand,
  gcCommand,
];

function usage(prog: string): string {
  const width = Math.max(...SUBCOMMANDS.map((s) => s.name.length)) + 2;
  const cmds = SUBCOMMANDS.map((s) => `  ${s.name.padEnd(width)}${s.summary}`);
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

function subcommandUsage(prog: string, sub: Subcommand): string {
  return [
    `usage: ${prog} ${sub.name} [options]`,
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
  const sub = SUBCOMMANDS.find((s) => s.name === name);
  const json = rest.includes("--json");
  let close = () => {};
  try {
    if (!sub) throw new UsageError(`unknown subcommand "${name}" (try --help)`);
    const flags = parseFlags(rest, [...sub.flags, ...COMMON_FLAGS]);
    if (flags.help) {
      console.log(subcommandUsage(prog, sub));
      return 0;
    }
    const ctx = makeContext(flags, env);
    close = ctx.close;
    const outcome = await sub.run(ctx, flags);
    console.log(
      json ? JSON.stringify({ ok: !outcome.failed, ...outcome.json }, null, 2) : outcome.text,
    );
    return outcome.failed ? 1 : 0;
  } catch (e) {
    const message = describe(e);
    if (json) console.log(JSON.stringify({ ok: false, error: message }));
    console.error(`${prog}${name && sub ? ` ${name}` : ""}: error: ${message}`);
    return e instanceof UsageError ? 2 : 1;
  } finally {
    close();
  }
}

function describe(e: unknown): string {
  if (
    e instanceof UsageError || e instanceof DriverError || e instanceof ExecError ||
    e instanceof OvsdbError
  ) {
    return e.message.split("\n").join(" ");
  }
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
