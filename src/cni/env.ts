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

/** Container ids as the spec allows them (Mesos nests ids with a dot). */
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.\-]*$/;

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
      command ? `unknown CNI_COMMAND "${command}"` : "CNI_COMMAND is not set",
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
    problems.push(`CNI_CONTAINERID "${containerId}" has characters other than A-Z a-z 0-9 _ . -`);
  }
  if (
    REQUIRED[cmd].includes("ifname") && ifname &&
    (ifname.length > 15 || /[\s/:]/.test(ifname) || ifname === "." || ifname === "..")
  ) {
    problems.push(`CNI_IFNAME "${ifname}" is not a valid interface name`);
  }
  const netns = env.CNI_NETNS || undefined;
  if (netns !== undefined && REQUIRED[cmd].includes("netns") && !netns.startsWith("/")) {
    problems.push(`CNI_NETNS "${netns}" is not an absolute path`);
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
