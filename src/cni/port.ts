/**
 * The namespace work for one attachment: the veth pair and the container's
 * side of it. Each step is one `ip` process.
 */
import { CniCode, CniError } from "../errors.ts";
import { ExecError } from "../exec.ts";
import { disableTxChecksum } from "../net/ethtool.ts";
import { ipBatch, ipTry } from "../net/ip.ts";
import type { AttachmentPlan } from "./attachment.ts";
import type { NetConf } from "./config.ts";
import type { PortAddress } from "./nb_ports.ts";

/** Creates the veth pair: the host end up in this namespace, the other end in the container. */
export async function createVeth(
  conf: NetConf,
  plan: AttachmentPlan,
  netns: string,
  ifname: string,
): Promise<void> {
  const mtu = String(conf.mtu);
  const link = `link add ${plan.veth} mtu ${mtu} up type veth peer name ${ifname} mtu ${mtu}`;
  try {
    await ipBatch([[...link.split(" "), "netns", netns]]);
  } catch (e) {
    throw explainVethFailure(e, plan, netns, ifname);
  }
}

/**
 * Has the container's end compute its own checksums when the configuration
 * says the datapath cannot (the userspace datapath drops a veth's partial ones).
 */
export function setTxChecksumming(conf: NetConf, netns: string, ifname: string): Promise<void> {
  try {
    if (!conf.txChecksumOffload) disableTxChecksum(netns, ifname);
    return Promise.resolve();
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Turns `ip`'s complaints about the runtime's input into CNI errors naming it. */
function explainVethFailure(
  e: unknown,
  plan: AttachmentPlan,
  netns: string,
  ifname: string,
): unknown {
  const stderr = e instanceof ExecError ? e.result.stderr.trim() : "";
  if (/File exists/.test(stderr)) {
    return new CniError(
      CniCode.InvalidEnvironment,
      `interface ${ifname} (CNI_IFNAME) or ${plan.veth} already exists`,
      stderr,
    );
  }
  if (/Invalid "netns"|No such file|Cannot open network namespace/.test(stderr)) {
    return new CniError(
      CniCode.InvalidEnvironment,
      `CNI_NETNS ${netns} is not a network namespace`,
      stderr,
    );
  }
  return e;
}

/** Gives the container's interface OVN's MAC and address, the MTU, and a default route. */
export async function configureContainer(
  conf: NetConf,
  netns: string,
  ifname: string,
  addr: PortAddress,
  prefix: number,
): Promise<void> {
  await ipBatch([
    ["link", "set", "dev", ifname, "address", addr.mac],
    ["addr", "add", `${addr.ip}/${prefix}`, "dev", ifname],
    ["link", "set", "dev", ifname, "up"],
    ["link", "set", "dev", "lo", "up"],
    [
      "route",
      "add",
      "default",
      "via",
      conf.gateway,
      "dev",
      ifname,
      "metric",
      String(routeMetric(ifname)),
    ],
  ], { netns });
}

/**
 * The metric of an interface's default route: a container on several networks
 * (eth0, eth1, …) gets one default route per interface, eth0's preferred.
 *
 * @example
 * ```ts
 * import { routeMetric } from "./port.ts";
 * if (routeMetric("eth0") !== 100 || routeMetric("eth1") !== 101) throw new Error();
 * ```
 */
export function routeMetric(ifname: string): number {
  const n = /(\d+)$/.exec(ifname)?.[1];
  return 100 + (n === undefined ? 0 : Math.min(Number(n), 900));
}

/** True when a network device of that name exists in this process' namespace (no process). */
export function hostLinkExists(name: string): boolean {
  try {
    Deno.statSync(`/sys/class/net/${name}`);
    return true;
  } catch {
    return false;
  }
}

/** Deletes the veth pairs by their host ends; nothing when they are already gone. */
export async function deleteVeths(veths: string[]): Promise<void> {
  if (veths.length === 1) {
    await ipTry(["link", "del", veths[0]]);
  } else if (veths.length > 1) {
    await ipBatch(veths.map((v) => ["link", "del", v]), { force: true }).catch(() => {});
  }
}
