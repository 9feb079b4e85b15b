/** CNI CHECK: the logical port, its binding, and the container interface are as ADD made them. */
import { CniCode, CniError } from "../errors.ts";
import { ipJson } from "../net/ip.ts";
import { nbctl } from "../ovn/nbctl.ts";
import { parseSet, parseString } from "../ovn/ovsdb_value.ts";
import { vsctl } from "../ovn/vsctl.ts";
import { planAttachment } from "./attachment.ts";
import type { NetConf } from "./config.ts";
import type { CmdArgs } from "./env.ts";

interface IpAddr {
  ifname: string;
  address: string;
  mtu: number;
  operstate: string;
  addr_info: { family: string; local: string; prefixlen: number }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev: string;
}

/** Throws a CniError (code 102) naming every difference found. */
export async function cmdCheck(conf: NetConf, args: CmdArgs): Promise<void> {
  const plan = planAttachment(conf, args.containerId, args.ifname);
  const netns = args.netns!;
  const [nb, ovs, links, routes] = await Promise.all([
    nbctl(conf.nb, [
      ["--if-exists", "get", "Logical_Switch_Port", plan.lsp, "dynamic_addresses"],
      ["--if-exists", "get", "Logical_Switch_Port", plan.lsp, "port_security"],
      ["--if-exists", "get", "Logical_Switch_Port", plan.lsp, "up"],
    ], { timeoutSec: conf.nbTimeoutSeconds }),
    vsctl([
      ["--if-exists", "get", "Interface", plan.veth, "external_ids:iface-id"],
      ["--if-exists", "get", "Interface", plan.veth, "external_ids:ovn-installed"],
    ], { db: conf.ovsDb, timeoutSec: conf.nbTimeoutSeconds }),
    ipJson<IpAddr[]>(["addr", "show"], { netns }).catch(() => [] as IpAddr[]),
    ipJson<IpRoute[]>(["route", "show"], { netns }).catch(() => [] as IpRoute[]),
  ]);
  const problems: string[] = [];
  const [mac, ip] = (parseString(nb[0]) ?? "").split(" ");
  if (!mac) problems.push(`logical port ${plan.lsp} is missing or has no address`);
  if (mac && !parseSet(nb[1]).includes(`${mac} ${ip}`)) {
    problems.push(`port security of ${plan.lsp} is not "${mac} ${ip}"`);
  }
  if (parseString(nb[2]) !== "true") problems.push(`logical port ${plan.lsp} is not up`);
  if (parseString(ovs[0]) !== plan.lsp) {
    problems.push(`OVS port ${plan.veth} is missing or does not carry ${plan.lsp}`);
  }
  if (parseString(ovs[1]) !== "true") {
    problems.push(`OVS port ${plan.veth} is not installed by ovn-controller`);
  }
  const link = links.find((l) => l.ifname === args.ifname);
  if (!link) {
    problems.push(`interface ${args.ifname} is missing in ${netns}`);
  } else {
    if (mac && link.address !== mac) {
      problems.push(`${args.ifname} has MAC ${link.address}, not ${mac}`);
    }
    if (ip && !link.addr_info.some((a) => a.family === "inet" && a.local === ip)) {
      problems.push(`${args.ifname} does not hold ${ip}`);
    }
    if (link.mtu !== conf.mtu) problems.push(`${args.ifname} has MTU ${link.mtu}, not ${conf.mtu}`);
  }
  if (
    !routes.some((r) => r.dst === "default" && r.gateway === conf.gateway && r.dev === args.ifname)
  ) {
    problems.push(`no default route via ${conf.gateway} on ${args.ifname}`);
  }
  const prev = conf.raw.prevResult as { ips?: { address?: string }[] } | undefined;
  const prevIp = prev?.ips?.[0]?.address?.split("/")[0];
  if (prevIp && ip && prevIp !== ip) {
    problems.push(`address ${ip} differs from prevResult's ${prevIp}`);
  }
  if (problems.length) throw new CniError(CniCode.CheckFailed, problems.join("; "));
}
