/**
 * The OVN, OVS and namespace work for one attachment. ADD and DEL are built
 * from these; each takes one process.
 */
import { CniCode, CniError } from "../errors.ts";
import { ExecError, isTimeout, run } from "../exec.ts";
import { ipBatch, ipTry } from "../net/ip.ts";
import { INTEGRATION_BRIDGE } from "../names.ts";
import { nbctl } from "../ovn/nbctl.ts";
import { externalIds, parseString } from "../ovn/ovsdb_value.ts";
import { vsctl } from "../ovn/vsctl.ts";
import type { AttachmentPlan } from "./attachment.ts";
import type { NetConf } from "./config.ts";

/** Creates the logical port with a dynamic address (replacing a stale one of the same name). */
export async function createLogicalPort(conf: NetConf, plan: AttachmentPlan): Promise<void> {
  await nbctl(conf.nb, [
    ["--if-exists", "lsp-del", plan.lsp],
    ["lsp-add", conf.logicalSwitch, plan.lsp],
    ["lsp-set-addresses", plan.lsp, "dynamic"],
    ["set", "Logical_Switch_Port", plan.lsp, ...externalIds(plan.ids)],
  ], { timeoutSec: conf.nbTimeoutSeconds });
}

/** Waits for northd to allocate the port's address; returns its MAC and IPv4. */
export async function readDynamicAddress(
  conf: NetConf,
  plan: AttachmentPlan,
): Promise<{ mac: string; ip: string }> {
  const [, out] = await nbctl(conf.nb, [
    ["wait-until", "Logical_Switch_Port", plan.lsp, "dynamic_addresses!=[]"],
    ["get", "Logical_Switch_Port", plan.lsp, "dynamic_addresses"],
  ], { timeoutSec: conf.nbTimeoutSeconds });
  const [mac, ip] = (parseString(out) ?? "").split(" ");
  if (!mac || !ip) {
    throw new CniError(
      CniCode.OvnFailure,
      `no address left on switch ${conf.logicalSwitch}`,
      `dynamic_addresses of ${plan.lsp} is "${out}"`,
    );
  }
  return { mac, ip };
}

/**
 * Pins port security to the allocated address and returns once
 * ovn-controller has bound the port and installed its flows (`up=true`). The
 * write only commits once the port is up, so a timeout changes nothing.
 */
export async function securePortWhenUp(
  conf: NetConf,
  plan: AttachmentPlan,
  addr: { mac: string; ip: string },
): Promise<void> {
  try {
    await nbctl(conf.nb, [
      ["lsp-set-port-security", plan.lsp, `${addr.mac} ${addr.ip}`],
      ["wait-until", "Logical_Switch_Port", plan.lsp, "up=true"],
    ], { timeoutSec: conf.bindTimeoutSeconds });
  } catch (e) {
    if (!isTimeout(e)) throw e;
    throw new CniError(
      CniCode.BindTimeout,
      `port ${plan.lsp} was not bound by ovn-controller within ${conf.bindTimeoutSeconds} s`,
      "is ovn-controller running on this host and connected to the Southbound database?",
    );
  }
}

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
  if (!conf.txChecksumOffload) {
    // The userspace datapath cannot complete checksums a veth left partial.
    await run(["nsenter", `--net=${netns}`, "ethtool", "-K", ifname, "tx", "off"], {
      timeoutMs: 10_000,
    });
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

/** Plugs the host end into the integration bridge, naming the logical port it carries. */
export async function plugIntoBridge(conf: NetConf, plan: AttachmentPlan): Promise<void> {
  await vsctl([
    ["--if-exists", "del-port", plan.veth],
    ["add-port", INTEGRATION_BRIDGE, plan.veth],
    [
      "set",
      "Interface",
      plan.veth,
      ...externalIds({ "iface-id": plan.lsp, ...plan.ids }),
    ],
  ], { db: conf.ovsDb, timeoutSec: conf.nbTimeoutSeconds });
}

/** Gives the container's interface OVN's MAC and address, the MTU, and a default route. */
export async function configureContainer(
  conf: NetConf,
  netns: string,
  ifname: string,
  addr: { mac: string; ip: string },
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

/** Removes the logical port; nothing when it is already gone. */
export async function deleteLogicalPorts(conf: NetConf, lsps: string[]): Promise<void> {
  if (!lsps.length) return;
  await nbctl(conf.nb, lsps.map((l) => ["--if-exists", "lsp-del", l]), {
    timeoutSec: conf.nbTimeoutSeconds,
  });
}

/** Removes the OVS ports; nothing when they are already gone. */
export async function unplugFromBridge(conf: NetConf, veths: string[]): Promise<void> {
  if (!veths.length) return;
  await vsctl(veths.map((v) => ["--if-exists", "del-port", v]), {
    db: conf.ovsDb,
    timeoutSec: conf.nbTimeoutSeconds,
  });
}

/** Deletes the veth pairs by their host ends; nothing when they are already gone. */
export async function deleteVeths(veths: string[]): Promise<void> {
  if (veths.length === 1) {
    await ipTry(["link", "del", veths[0]]);
  } else if (veths.length > 1) {
    await ipBatch(veths.map((v) => ["link", "del", v]), { force: true }).catch(() => {});
  }
}
