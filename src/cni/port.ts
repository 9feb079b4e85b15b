/**
 * The namespace work for one attachment: the veth pair and the container's
 * side of it, over rtnetlink in-process (no `ip` process on the hot path).
 */
import { CniCode, CniError } from "../errors.ts";
import { disableTxChecksum } from "../net/ethtool.ts";
import {
  configureInNamespace,
  createVethPairAsync,
  deleteLink,
  Errno,
  NetlinkError,
  setDownAndRename,
} from "../net/netlink.ts";
import { deleteLinkDetached } from "../net/ip.ts";
import { RETIRED_VETH, retiredVethName } from "../names.ts";
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
  const pair = { hostName: plan.veth, peerName: ifname, mtu: conf.mtu, peerNetnsPath: netns };
  try {
    try {
      await createVethPairAsync(pair);
    } catch (e) {
      // A DEL of this attachment retired its veth (its eth0 is still in the
      // container) and the deletion is still under way, or its `ip` was killed:
      // the retired pair is deleted here (if it is not gone meanwhile), and the
      // names are free again. A live host end is a repeated ADD: not retried.
      const exists = e instanceof NetlinkError && e.errno === Errno.EEXIST;
      if (!exists || hostLinkExists(plan.veth)) throw e;
      await deleteLink(retiredVethName(plan.veth)).catch(() => false);
      await createVethPairAsync(pair);
    }
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

/** Turns the kernel's complaints about the runtime's input into CNI errors naming it. */
function explainVethFailure(
  e: unknown,
  plan: AttachmentPlan,
  netns: string,
  ifname: string,
): unknown {
  if (!(e instanceof NetlinkError)) return e;
  if (e.errno === Errno.EEXIST) {
    return new CniError(
      CniCode.InvalidEnvironment,
      `interface ${ifname} (CNI_IFNAME) or ${plan.veth} already exists`,
      e.message,
    );
  }
  if (e.errno === Errno.ENOENT || e.errno === Errno.EINVAL) {
    return new CniError(
      CniCode.InvalidEnvironment,
      `CNI_NETNS ${netns} is not a network namespace`,
      e.message,
    );
  }
  return e;
}

/** Gives the container's interface its MAC and address, the MTU, and a default route (in-process). */
export function configureContainer(
  conf: NetConf,
  netns: string,
  ifname: string,
  addr: PortAddress,
  prefix: number,
): Promise<void> {
  try {
    configureInNamespace(netns, {
      ifname,
      mac: addr.mac,
      address: `${addr.ip}/${prefix}`,
      gateway: conf.gateway,
      metric: routeMetric(ifname),
    });
    return Promise.resolve();
  } catch (e) {
    return Promise.reject(e);
  }
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

/**
 * DEL's end of a veth pair: down at once, renamed as retired, and deleted by a
 * process of its own that DEL does not wait for (the kernel takes ~20 ms). If
 * it cannot be retired so (a retired link of that name is still being deleted,
 * or `ip` cannot be started), it is deleted here, and waited for.
 */
export async function retireVeth(veth: string): Promise<void> {
  const retired = retiredVethName(veth);
  try {
    if (!await setDownAndRename(veth, retired)) return; // gone already
  } catch {
    await deleteVeths([veth]);
    return;
  }
  await deleteLinkDetached(retired).catch(() => deleteVeths([retired]));
}

/**
 * Deletes the veths DELs retired whose deletion has not happened (its `ip`
 * killed); answers the names of those it deleted.
 */
export async function deleteRetiredVeths(): Promise<string[]> {
  const retired = [...Deno.readDirSync("/sys/class/net")].map((e) => e.name)
    .filter((n) => RETIRED_VETH.test(n));
  return await deleteVeths(retired);
}

/**
 * Deletes the veth pairs by their host ends; nothing when they are already
 * gone. Answers the names of those it deleted.
 */
export async function deleteVeths(veths: string[]): Promise<string[]> {
  const deleted = await Promise.all(veths.map((v) => deleteLink(v).catch(() => false)));
  return veths.filter((_, i) => deleted[i]);
}
