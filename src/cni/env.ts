/** The CNI_* environment, read once and checked per command. */
import { CniCode, CniError } from "../errors.ts";

/** The CNI commands. */
export type CniCommand = "ADD" | "DEL" | "CHECK" | "VERSION" | "GC" | "STATUS";

/** What the runtime told the plugin through the environment. */
export interface CmdArgs {
  command: CniCommand;
  containerId: string;
  /** Absent on DEL after a host reboot. */
  netns?: string;
  ifname: string;
}

const REQUIRED: Record<CniCommand, (keyof typeof VARS)[]> = {
  ADD: ["containerId", "netns", "ifname"],
  CHECK: ["containerId", "netns", "ifname"],
  DEL: ["containerId", "ifname"],
  VERSION: [],
  GC: [],
  STATUS: [],
};

const VARS = {
  containerId: "CNI_CONTAINERID",
  netns: "CNI_NETNS",
  ifname: "CNI_IFNAME",
} as const;

/**
 * Container ids as the spec allows them (Mesos nests ids with a dot), at most
 * 255 characters: the longest file name, which Mesos makes of every id.
 */
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.\-]{0,254}$/;
/**
 * Interface names: the kernel's limit of 15 bytes, and only characters that
 * are safe everywhere a name goes (`ip` commands, OVSDB rows, log lines).
 */
const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_.\-]{0,14}$/;

/**
 * A value as error messages show it: JSON-quoted, so that quotes, newlines
 * and other control characters never break the message or the log line.
 *
 * @example
 * ```ts
 * import { quoted } from "./env.ts";
 * if (quoted("a\nb") !== '"a\\nb"') throw new Error();
 * ```
 */
export function quoted(value: string): string {
  return JSON.stringify(value);
}

/**
 * Reads and checks the CNI environment; every missing or bad variable is
 * named in one error with code 4.
 *
 * @example
 * ```ts
 * import { readCmdArgs } from "./env.ts";
 * const a = readCmdArgs({ CNI_COMMAND: "DEL", CNI_CONTAINERID: "c1", CNI_IFNAME: "eth0" });
 * if (a.netns !== undefined || a.command !== "DEL") throw new Error();
 * ```
 */
export function readCmdArgs(env: Record<string, string | undefined>): CmdArgs {
  const command = env.CNI_COMMAND ?? "";
  if (!(command in REQUIRED)) {
    throw new CniError(
      CniCode.InvalidEnvironment,
      command ? `unknown CNI_COMMAND ${quoted(command)}` : "CNI_COMMAND is not set",
      "CNI_COMMAND must be one of ADD, DEL, CHECK, VERSION, GC, STATUS",
    );
  }
  const cmd = command as CniCommand;
  const problems: string[] = [];
  for (const key of REQUIRED[cmd]) {
    if (!env[VARS[key]]) problems.push(`${VARS[key]} is not set`);
  }
  const containerId = env.CNI_CONTAINERID ?? "";
  const ifname = env.CNI_IFNAME ?? "";
  if (REQUIRED[cmd].includes("containerId") && containerId && !CONTAINER_ID.test(containerId)) {
    problems.push(
      containerId.length > 255
        ? `CNI_CONTAINERID is ${containerId.length} characters long, more than 255`
        : `CNI_CONTAINERID ${quoted(containerId)} has characters other than A-Z a-z 0-9 _ . - ` +
          `(or does not start with a letter or digit)`,
    );
  }
  if (REQUIRED[cmd].includes("ifname") && ifname && !IFNAME.test(ifname)) {
    problems.push(
      `CNI_IFNAME ${quoted(ifname)} is not a valid interface name ` +
        `(1 to 15 of A-Z a-z 0-9 _ . -, starting with a letter or digit)`,
    );
  }
  const netns = env.CNI_NETNS || undefined;
  if (netns !== undefined && REQUIRED[cmd].includes("netns") && !netns.startsWith("/")) {
    problems.push(`CNI_NETNS ${quoted(netns)} is not an absolute path`);
  }
  if (problems.length) {
    throw new CniError(CniCode.InvalidEnvironment, problems.join("; "));
  }
  return {
    command: cmd,
    containerId,
    netns,
    ifname,
  };
}

/** This process' own network namespace: the host's, never a container's. */
const OWN_NETNS = "/proc/self/ns/net";

/**
 * Checks, before anything is made, that CNI_NETNS is a network namespace
 * other than the host's own: an existing file on the namespace file system
 * (a bind mount such as Mesos' `.../ns`, or `/proc/PID/ns/net`), not a
 * directory, a regular file, a dangling path or another kind of namespace.
 * Code 4, naming the variable.
 */
export function checkNetns(path: string): void {
  const bad = (why: string, details = "") =>
    new CniError(CniCode.InvalidEnvironment, `CNI_NETNS ${quoted(path)} ${why}`, details);
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw bad("does not exist");
    throw bad("cannot be read", (e as Error).message);
  }
  if (st.isDirectory) throw bad("is a directory, not a network namespace");
  let own: Deno.FileInfo;
  try {
    own = Deno.statSync(OWN_NETNS);
  } catch {
    return; // no /proc: nothing to compare with; the kernel still refuses what is not a namespace
  }
  if (st.dev !== own.dev) throw bad("is not a network namespace (not a namespace file)");
  if (st.ino === own.ino) {
    throw bad("is this host's own network namespace, not a container's");
  }
  // Another kind of namespace file is refused by the kernel when ADD hands it
  // over (EINVAL, code 4 naming CNI_NETNS): no ioctl of our own is needed here.
}
