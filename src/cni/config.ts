/** The network configuration on stdin: parsed and checked once. */
import { CniCode, CniError } from "../errors.ts";
import { parseCidr, parseIpv4 } from "../net/cidr.ts";
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
  logicalSwitch: string;
  subnet: string;
  gateway: string;
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
  /** GC: the attachments to keep (`cni.dev/valid-attachments`). */
  validAttachments?: AttachmentRef[];
  /** Whatever else came in (args, runtimeConfig, prevResult, capabilities...). */
  raw: Record<string, unknown>;
}

/** The version a configuration without `cniVersion` speaks. */
export const IMPLICIT_VERSION = "0.1.0";

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
  const cniVersion = c.cniVersion === undefined || c.cniVersion === ""
    ? IMPLICIT_VERSION
    : String(c.cniVersion);
  if (!(CNI_VERSIONS as readonly string[]).includes(cniVersion)) {
    throw new CniError(
      CniCode.IncompatibleVersion,
      `unsupported cniVersion "${cniVersion}"`,
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
    if (typeof v !== "string") problems.push(`"${key}" must be a string`);
    return String(v);
  };
  const num = (key: string, dflt: number): number => {
    const v = c[key];
    if (v === undefined) return dflt;
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      problems.push(`"${key}" must be a positive number`);
      return dflt;
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
    clusterSubnet: str("clusterSubnet", false),
    mtu: num("mtu", 1400),
    hostId: str("hostId"),
    nb: parseNb(str, problems),
    ovsDb: str("ovsDb", false) || `unix:${env.OVS_RUNDIR ?? "/var/run/openvswitch"}/db.sock`,
    ovnRundir: str("ovnRundir", false) || env.OVN_RUNDIR || "/var/run/ovn",
    bindTimeoutSeconds: num("bindTimeoutSeconds", 30),
    dbTimeoutSeconds: num("dbTimeoutSeconds", 10),
    logFile: str("logFile", false) || undefined,
    runDir: str("runDir", false) || "/run/ovn-mesos",
    txChecksumOffload: c.txChecksumOffload !== false,
    dns: c.dns as Dns | undefined,
    validAttachments: parseValidAttachments(c["cni.dev/valid-attachments"], problems),
    raw: c,
  };
  if (conf.name && !/^[A-Za-z0-9][A-Za-z0-9_.\-]*$/.test(conf.name)) {
    problems.push(`"name" "${conf.name}" has characters other than A-Z a-z 0-9 _ . -`);
  }
  if (conf.subnet && !parseCidr(conf.subnet)) problems.push(`"subnet" is not an IPv4 CIDR`);
  if (conf.gateway && parseIpv4(conf.gateway) === undefined) {
    problems.push(`"gateway" is not an IPv4 address`);
  }
  if (conf.mtu < 576 || conf.mtu > 65535) problems.push(`"mtu" must be between 576 and 65535`);
  if (c.dns !== undefined && (typeof c.dns !== "object" || c.dns === null)) {
    problems.push(`"dns" must be an object`);
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
  return v.map((a) => ({
    containerId: String(a?.containerID ?? ""),
    ifname: String(a?.ifname ?? ""),
  }));
}
