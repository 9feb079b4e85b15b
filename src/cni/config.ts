/** The network configuration on stdin: parsed and checked once. */
import { CniCode, CniError } from "../errors.ts";
import {
  broadcastOf,
  type Cidr,
  containsIp,
  networkOf,
  parseCidr,
  parseIpv4,
} from "../net/cidr.ts";
import { parsePortMappings, type PortMapping } from "./port_mappings.ts";
import { BadRemote, parseRemotes, type SslFiles, usesSsl } from "../ovsdb/remote.ts";
import { CNI_VERSIONS } from "../version.ts";

/** DNS settings handed back in results (Mesos writes them to resolv.conf). */
export interface Dns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** One attachment still in use, as GC lists them. */
export interface AttachmentRef {
  containerId: string;
  ifname: string;
}

/** The configuration file as node-init writes it: every key the plugin reads. */
export interface ConfigFile {
  cniVersion: string;
  name: string;
  type: string;
  /** Runtimes other than Mesos pass `runtimeConfig.portMappings` only when this says so. */
  capabilities?: { portMappings: boolean };
  logicalSwitch: string;
  subnet: string;
  gateway: string;
  /** The host port's address (node-init's), never handed to a container. */
  hostAddress?: string;
  clusterSubnet: string;
  mtu: number;
  hostId: string;
  nbRemote: string;
  nbPrivateKey?: string;
  nbCertificate?: string;
  nbCaCert?: string;
  ovsDb?: string;
  ovnRundir?: string;
  txChecksumOffload: boolean;
  bindTimeoutSeconds: number;
  logFile: string;
  runDir?: string;
  dns?: Dns;
}

/** The plugin's configuration, parsed and checked (plus what runtimes inject). */
export interface NetConf {
  cniVersion: string;
  name: string;
  type: string;
  /** This host's logical switch. */
  logicalSwitch: string;
  /** This host's subnet, e.g. 172.16.1.0/24. */
  subnet: string;
  /** The router port address containers route through, e.g. 172.16.1.1. */
  gateway: string;
  /** The host port's address: never handed out, and ADD needs no read to avoid it. */
  hostAddress?: string;
  clusterSubnet: string;
  mtu: number;
  /** This host's OVS system-id. */
  hostId: string;
  /** The Northbound database: one remote or a cluster's list, and the PKI files for ssl:. */
  nb: { remote: string; ssl?: SslFiles };
  /** The local OVS database: `ovsDb`, else the socket in $OVS_RUNDIR, else OVS's default. */
  ovsDb: string;
  /** Where ovn-controller's pidfile and control socket live (for STATUS). */
  ovnRundir: string;
  bindTimeoutSeconds: number;
  /** Bounds each request to NB and to the local OVS (`dbTimeoutSeconds`, default 10). */
  dbTimeoutSeconds: number;
  logFile?: string;
  /** Where per-attachment lock files go. */
  runDir: string;
  /** False on the userspace datapath, which cannot finish offloaded checksums from a veth. */
  txChecksumOffload: boolean;
  dns?: Dns;
  /** The task's port mappings (Mesos args or runtimeConfig), checked. */
  portMappings: PortMapping[];
  /** GC: the attachments to keep (`cni.dev/valid-attachments`). */
  validAttachments?: AttachmentRef[];
  /** Whatever else came in (args, runtimeConfig, prevResult, capabilities...). */
  raw: Record<string, unknown>;
}

/** The version a configuration without `cniVersion` speaks. */
export const IMPLICIT_VERSION = "0.1.0";

/**
 * The most stdin may hold (in characters): a configuration is a few kB, and
 * GC's list of valid attachments some 100 bytes per container.
 */
export const MAX_CONFIG_SIZE = 1 << 20;

/** The longest a timeout in the configuration may be: an hour. */
export const MAX_TIMEOUT_SECONDS = 3600;

/** Names that become parts of OVN/OVS names or external_ids: network, host id, switch. */
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.\-]*$/;
/** A system-id as node-init accepts it (it names OVN objects). */
const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9_.\-]{0,62}$/;
/** What resolv.conf's `domain`, `search` and `options` entries may hold. */
const RESOLV_WORD = /^[A-Za-z0-9_.:\-]+$/;
/** Control characters: never in a name, a path or anything written to resolv.conf or a log. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Parses stdin JSON into a configuration: code 6 for bad JSON, 7 for bad
 * content, 1 for an unknown version. `env` supplies the defaults of the
 * local paths (OVS_RUNDIR, OVN_RUNDIR) when the configuration has none.
 */
export function parseNetConf(
  stdin: string,
  needsNetwork = true,
  env: Record<string, string | undefined> = {},
): NetConf {
  if (stdin.length > MAX_CONFIG_SIZE) {
    throw new CniError(
      CniCode.InvalidConfig,
      `network configuration on stdin is ${stdin.length} characters long, more than ${MAX_CONFIG_SIZE}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(stdin);
  } catch (e) {
    throw new CniError(
      CniCode.DecodeFailure,
      "network configuration on stdin is not valid JSON",
      (e as Error).message,
    );
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new CniError(CniCode.DecodeFailure, "network configuration must be a JSON object");
  }
  const c = raw as Record<string, unknown>;
  if (c.cniVersion !== undefined && typeof c.cniVersion !== "string") {
    throw new CniError(
      CniCode.InvalidConfig,
      `invalid network configuration: "cniVersion" must be a string, not ${
        JSON.stringify(c.cniVersion)
      }`,
    );
  }
  const cniVersion = c.cniVersion === undefined || c.cniVersion === ""
    ? IMPLICIT_VERSION
    : c.cniVersion;
  if (!(CNI_VERSIONS as readonly string[]).includes(cniVersion)) {
    throw new CniError(
      CniCode.IncompatibleVersion,
      `unsupported cniVersion ${JSON.stringify(cniVersion)}`,
      `supported versions: ${CNI_VERSIONS.join(", ")}`,
    );
  }
  const problems: string[] = [];
  const str = (key: string, required = needsNetwork): string => {
    const v = c[key];
    if (v === undefined || v === "") {
      if (required) problems.push(`"${key}" is missing`);
      return "";
    }
    if (typeof v !== "string") {
      problems.push(`"${key}" must be a string`);
      return "";
    }
    if (CONTROL.test(v)) {
      problems.push(`"${key}" ${JSON.stringify(v)} holds control characters`);
      return "";
    }
    return v;
  };
  const num = (key: string, dflt: number, max: number, what: string): number => {
    const v = c[key];
    if (v === undefined) return dflt;
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > max) {
      problems.push(`"${key}" must be a positive number ${what}, at most ${max}`);
      return dflt;
    }
    return v;
  };
  const seconds = (key: string, dflt: number) => num(key, dflt, MAX_TIMEOUT_SECONDS, "of seconds");
  const path = (key: string): string => {
    const v = str(key, false);
    if (v && !v.startsWith("/")) {
      problems.push(`"${key}" ${JSON.stringify(v)} must be an absolute path`);
    }
    return v;
  };
  const conf: NetConf = {
    cniVersion,
    name: str("name", true),
    type: str("type", false),
    logicalSwitch: str("logicalSwitch"),
    subnet: str("subnet"),
    gateway: str("gateway"),
    hostAddress: str("hostAddress", false) || undefined,
    clusterSubnet: str("clusterSubnet", false),
    mtu: num("mtu", 1400, 65535, "of bytes"),
    hostId: str("hostId"),
    nb: parseNb(str, problems),
    ovsDb: remote(str("ovsDb", false), "ovsDb", problems) ||
      `unix:${env.OVS_RUNDIR ?? "/var/run/openvswitch"}/db.sock`,
    ovnRundir: path("ovnRundir") || env.OVN_RUNDIR || "/var/run/ovn",
    bindTimeoutSeconds: seconds("bindTimeoutSeconds", 30),
    dbTimeoutSeconds: seconds("dbTimeoutSeconds", 10),
    logFile: path("logFile") || undefined,
    runDir: path("runDir") || "/run/ovn-mesos",
    txChecksumOffload: c.txChecksumOffload !== false,
    dns: parseDns(c.dns, problems),
    validAttachments: parseValidAttachments(c["cni.dev/valid-attachments"], problems),
    portMappings: parsePortMappings(c, problems),
    raw: c,
  };
  const plain = (key: string, value: string, re: RegExp) => {
    if (value && !re.test(value)) {
      problems.push(
        `"${key}" ${JSON.stringify(value)} has characters other than A-Z a-z 0-9 _ . - ` +
          `(or does not start with a letter or digit${re === HOST_ID ? ", or is too long" : ""})`,
      );
    }
  };
  plain("name", conf.name, PLAIN_NAME);
  plain("logicalSwitch", conf.logicalSwitch, PLAIN_NAME);
  plain("hostId", conf.hostId, HOST_ID);
  const subnet = conf.subnet ? parseCidr(conf.subnet) : undefined;
  if (conf.subnet && !subnet) problems.push(`"subnet" is not an IPv4 CIDR`);
  const gateway = conf.gateway ? parseIpv4(conf.gateway) : undefined;
  if (conf.gateway && gateway === undefined) {
    problems.push(`"gateway" is not an IPv4 address`);
  } else if (subnet && gateway !== undefined && !usableIn(subnet, gateway)) {
    problems.push(`"gateway" ${conf.gateway} is not a host address of "subnet" ${conf.subnet}`);
  }
  if (conf.hostAddress && parseIpv4(conf.hostAddress) === undefined) {
    problems.push(`"hostAddress" is not an IPv4 address`);
  }
  if (conf.clusterSubnet && !parseCidr(conf.clusterSubnet)) {
    problems.push(`"clusterSubnet" is not an IPv4 CIDR`);
  }
  if (!Number.isInteger(conf.mtu) || conf.mtu < 576 || conf.mtu > 65535) {
    problems.push(`"mtu" must be a whole number between 576 and 65535`);
  }
  if (c.txChecksumOffload !== undefined && typeof c.txChecksumOffload !== "boolean") {
    problems.push(`"txChecksumOffload" must be true or false`);
  }
  if (problems.length) {
    throw new CniError(
      CniCode.InvalidConfig,
      `invalid network configuration: ${problems.join("; ")}`,
    );
  }
  return conf;
}

/** nbRemote (checked), and for ssl: remotes the three PKI files, which are then required. */
function parseNb(
  str: (key: string, required?: boolean) => string,
  problems: string[],
): NetConf["nb"] {
  const remote = str("nbRemote");
  if (!remote) return { remote };
  try {
    parseRemotes(remote);
  } catch (e) {
    if (!(e instanceof BadRemote)) throw e;
    problems.push(`"nbRemote": ${e.message}`);
  }
  if (!usesSsl(remote)) return { remote };
  return {
    remote,
    ssl: {
      privateKey: str("nbPrivateKey", true),
      certificate: str("nbCertificate", true),
      caCert: str("nbCaCert", true),
    },
  };
}

function parseValidAttachments(v: unknown, problems: string[]): AttachmentRef[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    problems.push(`"cni.dev/valid-attachments" must be a list`);
    return undefined;
  }
  const out: AttachmentRef[] = [];
  for (const [i, a] of v.entries()) {
    const { containerID, ifname } = (typeof a === "object" && a !== null ? a : {}) as Record<
      string,
      unknown
    >;
    if (typeof containerID !== "string" || typeof ifname !== "string") {
      problems.push(
        `"cni.dev/valid-attachments"[${i}] must be an object with string "containerID" and "ifname"`,
      );
      continue;
    }
    out.push({ containerId: containerID, ifname });
  }
  return out;
}

/** An OVSDB remote key (checked like nbRemote); "" when absent. */
function remote(value: string, key: string, problems: string[]): string {
  if (!value) return "";
  try {
    parseRemotes(value);
  } catch (e) {
    if (!(e instanceof BadRemote)) throw e;
    problems.push(`"${key}": ${e.message}`);
  }
  return value;
}

/** True when `ip` is an address of `subnet` other than its network and broadcast addresses. */
function usableIn(subnet: Cidr, ip: number): boolean {
  if (!containsIp(subnet, ip)) return false;
  return subnet.prefix >= 31 || (ip !== networkOf(subnet) && ip !== broadcastOf(subnet));
}

/**
 * `dns` as results hand it back (Mesos writes it to the container's
 * resolv.conf): name servers are IP addresses, the rest plain words; nothing
 * may add a line to that file.
 */
function parseDns(v: unknown, problems: string[]): Dns | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    problems.push(`"dns" must be an object`);
    return undefined;
  }
  const d = v as Record<string, unknown>;
  const out: Dns = {};
  const list = (key: "nameservers" | "search" | "options", ok: (s: string) => boolean) => {
    const l = d[key];
    if (l === undefined) return;
    if (!Array.isArray(l) || !l.every((s) => typeof s === "string" && ok(s))) {
      problems.push(
        `"dns.${key}" must be a list of ${key === "nameservers" ? "IP addresses" : "plain words"}`,
      );
      return;
    }
    out[key] = l;
  };
  list("nameservers", isIpAddress);
  list("search", (s) => RESOLV_WORD.test(s));
  list("options", (s) => RESOLV_WORD.test(s));
  if (d.domain !== undefined) {
    if (typeof d.domain !== "string" || !RESOLV_WORD.test(d.domain)) {
      problems.push(`"dns.domain" must be a plain word`);
    } else out.domain = d.domain;
  }
  return out;
}

/** An IPv4 address, or something only hex digits, colons and dots can make (IPv6). */
function isIpAddress(s: string): boolean {
  return parseIpv4(s) !== undefined || (/^[0-9A-Fa-f:.]+$/.test(s) && s.includes(":"));
}
