/**
 * The CNI plugin: reads the environment and stdin, runs one command, and
 * writes a result or an error JSON to stdout. Nothing here exits the process
 * or touches globals, so tests can drive it in-process.
 */
import { CniCode, CniError, FatalError } from "../errors.ts";
import { ExecError, isTimeout } from "../exec.ts";
import { OvsdbError, OvsdbUnreachable } from "../ovsdb/errors.ts";
import { CNI_VERSIONS } from "../version.ts";
import { cmdAdd } from "./add.ts";
import { cmdCheck } from "./check.ts";
import { IMPLICIT_VERSION, MAX_CONFIG_SIZE, type NetConf, parseNetConf } from "./config.ts";
import { cmdDel } from "./del.ts";
import { checkNetns, readCmdArgs } from "./env.ts";
import { cmdGc } from "./gc.ts";
import { logLine } from "./log.ts";
import { formatResult } from "./result.ts";
import { cmdStatus } from "./status.ts";

/** The plugin's view of the world. */
export interface PluginIo {
  env: Record<string, string | undefined>;
  readStdin: () => Promise<string>;
  writeStdout: (text: string) => void;
}

/** Runs one CNI command; returns the exit status. */
export async function runPlugin(io: PluginIo): Promise<number> {
  let cniVersion = CNI_VERSIONS[CNI_VERSIONS.length - 1] as string;
  let conf: NetConf | undefined;
  const started = performance.now();
  const env = io.env;
  const what = logSafe(
    `${env.CNI_COMMAND ?? "?"} ${env.CNI_CONTAINERID ?? ""} ${env.CNI_IFNAME ?? ""}`.trim(),
  );
  try {
    // Read stdin first so that even environment errors answer in the config's
    // version, but never wait on a terminal when no runtime is calling.
    const stdin = env.CNI_COMMAND ? await io.readStdin() : "";
    cniVersion = versionOf(stdin) ?? cniVersion;
    const args = readCmdArgs(env);
    if (args.command === "VERSION") {
      io.writeStdout(JSON.stringify({ cniVersion, supportedVersions: CNI_VERSIONS }) + "\n");
      return 0;
    }
    conf = parseNetConf(stdin, true, env);
    cniVersion = conf.cniVersion;
    requireVersion(args.command, conf.cniVersion);
    // Before anything is made: the namespace must be a container's.
    if (args.netns !== undefined && (args.command === "ADD" || args.command === "CHECK")) {
      checkNetns(args.netns);
    }
    // DEL goes on without them: it removes what is local and defers the rest.
    if (args.command === "ADD" || args.command === "CHECK" || args.command === "GC") {
      checkSslFiles(conf);
    }
    switch (args.command) {
      case "ADD": {
        const att = await cmdAdd(conf, args);
        io.writeStdout(JSON.stringify(formatResult(conf.cniVersion, att)) + "\n");
        logLine(conf.logFile, `${what}: ${att.address} ${att.mac} (${ms(started)} ms)`, false);
        return 0;
      }
      case "DEL":
        await cmdDel(conf, args);
        break;
      case "CHECK":
        await cmdCheck(conf, args);
        break;
      case "GC": {
        const removed = await cmdGc(conf);
        if (removed.length) logLine(conf.logFile, `GC removed ${removed.join(", ")}`, false);
        break;
      }
      case "STATUS":
        await cmdStatus(conf);
        break;
    }
    logLine(conf.logFile, `${what}: ok (${ms(started)} ms)`, false);
    return 0;
  } catch (e) {
    const err = toCniError(e);
    io.writeStdout(JSON.stringify(err.toJSON(cniVersion)) + "\n");
    logLine(
      conf?.logFile,
      `${what}: error ${err.code}: ${
        logSafe(`${err.message}${err.details ? ` (${err.details})` : ""}`)
      }`,
    );
    return e instanceof FatalError ? e.exitCode : 1;
  }
}

/**
 * An ssl: Northbound needs its key, certificate and CA files: one missing is
 * named (code 7), rather than found out as an unreachable database (11).
 */
function checkSslFiles(conf: NetConf): void {
  const ssl = conf.nb.ssl;
  if (!ssl) return;
  const files = {
    nbPrivateKey: ssl.privateKey,
    nbCertificate: ssl.certificate,
    nbCaCert: ssl.caCert,
  };
  const bad = Object.entries(files).filter(([, path]) => {
    try {
      return !Deno.statSync(path).isFile;
    } catch {
      return true;
    }
  });
  if (bad.length) {
    throw new CniError(
      CniCode.InvalidConfig,
      `invalid network configuration: ${
        bad.map(([key, path]) => `"${key}" ${JSON.stringify(path)} is not a file`).join("; ")
      } (needed for ${conf.nb.remote})`,
    );
  }
}

/** The first CNI version that has each command. */
const SINCE: Partial<Record<string, string>> = { CHECK: "0.4.0", GC: "1.1.0", STATUS: "1.1.0" };

/** CHECK, GC and STATUS do not exist in older versions: error code 1, as the spec's library does. */
function requireVersion(command: string, cniVersion: string): void {
  const since = SINCE[command];
  const order = CNI_VERSIONS as readonly string[];
  if (since && order.indexOf(cniVersion) < order.indexOf(since)) {
    throw new CniError(
      CniCode.IncompatibleVersion,
      `${command} needs cniVersion ${since} or later, the configuration says ${cniVersion}`,
    );
  }
}

/**
 * One log line whatever the runtime sent: control characters (a newline in a
 * container id would forge a line) are written as JSON escapes.
 *
 * @example
 * ```ts
 * import { logSafe } from "./plugin.ts";
 * if (logSafe("ADD a\nb eth0") !== "ADD a\\nb eth0") throw new Error();
 * ```
 */
export function logSafe(text: string): string {
  return text.replace(CONTROL, (c) => c === "\x7f" ? "\\u007f" : JSON.stringify(c).slice(1, -1));
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;

/** The configuration's cniVersion when stdin is a JSON object naming a supported one. */
function versionOf(stdin: string): string | undefined {
  if (stdin.length > MAX_CONFIG_SIZE) return undefined;
  try {
    const v = JSON.parse(stdin)?.cniVersion;
    if (v === undefined || v === "") return stdin.trim() ? IMPLICIT_VERSION : undefined;
    return (CNI_VERSIONS as readonly string[]).includes(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Every failure leaves as a CniError: tools that time out ask to try again later. */
export function toCniError(e: unknown): CniError {
  if (e instanceof CniError) return e;
  if (isTimeout(e) || e instanceof OvsdbUnreachable) {
    return new CniError(
      CniCode.TryAgainLater,
      "OVN or OVS is unreachable or did not answer in time",
      (e as Error).message,
    );
  }
  if (e instanceof ExecError) {
    const why = e.result.stderr.trim().split("\n")[0] || e.message.split("\n")[0];
    return new CniError(CniCode.OvnFailure, `${e.result.argv[0]} failed: ${why}`, e.message);
  }
  if (e instanceof OvsdbError) return new CniError(CniCode.OvnFailure, e.message);
  return new CniError(CniCode.Internal, e instanceof Error ? e.message : String(e));
}

function ms(since: number): number {
  return Math.round(performance.now() - since);
}
