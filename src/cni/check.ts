/** CNI CHECK: the logical port, its binding, and the container interface are as ADD made them. */
import { CniCode, CniError } from "../errors.ts";
import { ipJson } from "../net/ip.ts";
import * as lsp from "../ovn/nb/logical_switch_port.ts";
import { selectInterface } from "../ovs/port.ts";
import { atoms, entries } from "../ovsdb/ops.ts";
import { planAttachment } from "./attachment.ts";
import type { NetConf } from "./config.ts";
import { withDatabases } from "./databases.ts";
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
  const [[[port], [iface]], links, routes] = await Promise.all([
    withDatabases(conf, ({ nb, ovs }) =>
      Promise.all([
        nb.read([lsp.selectPort(plan.lsp)]).then(([rows]) => rows),
        ovs.read([selectInterface(plan.veth)]).then(([rows]) => rows),
      ])),
    ipJson<IpAddr[]>(["addr", "show"], { netns }).catch(() => [] as IpAddr[]),
    ipJson<IpRoute[]>(["route", "show"], { netns }).catch(() => [] as IpRoute[]),
  ]);
  const problems: string[] = [];
  const { mac, ip } = lsp.portAddress(port) ?? { mac: "", ip: "" };
  if (!mac) problems.push(`logical port ${plan.lsp} is missing or has no address`);
  if (mac && !atoms(port?.port_security).includes(`${mac} ${ip}`)) {
    problems.push(`port security of ${plan.lsp} is not "${mac} ${ip}"`);
  }
  const ifaceIds = entries(iface?.external_ids);
  if (ifaceIds["iface-id"] !== plan.lsp) {
    problems.push(`OVS port ${plan.veth} is missing or does not carry ${plan.lsp}`);
  }
  if (ifaceIds["ovn-installed"] !== "true") {
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
