/**
 * Results in the shape of each CNI version. Handlers build one
 * {@link Attachment}; {@link formatResult} renders it once, on output.
 */
import type { Dns } from "./config.ts";

/** What ADD made, independent of any CNI version. */
export interface Attachment {
  ifname: string;
  mac: string;
  /** The namespace path. */
  sandbox: string;
  /** Address with prefix, e.g. 172.16.1.5/24. */
  address: string;
  gateway: string;
  routes: { dst: string; gw?: string }[];
  mtu: number;
  dns?: Dns;
}

/**
 * Renders the attachment in the result shape of `cniVersion`: `ip4` up to
 * 0.2.0 (the only shape the Mesos agent reads), `interfaces`/`ips` after.
 *
 * @example
 * ```ts
 * import { formatResult } from "./result.ts";
 * const r = formatResult("0.2.0", {
 *   ifname: "eth0", mac: "0a:58:00:00:00:05", sandbox: "/ns", address: "172.16.1.5/24",
 *   gateway: "172.16.1.1", routes: [{ dst: "0.0.0.0/0", gw: "172.16.1.1" }], mtu: 1400,
 * });
 * if ((r.ip4 as { ip: string }).ip !== "172.16.1.5/24") throw new Error();
 * ```
 */
export function formatResult(cniVersion: string, a: Attachment): Record<string, unknown> {
  const dns = a.dns && Object.keys(a.dns).length ? { dns: a.dns } : {};
  if (cniVersion === "0.1.0" || cniVersion === "0.2.0") {
    return {
      cniVersion,
      ip4: { ip: a.address, gateway: a.gateway, routes: a.routes },
      ...dns,
    };
  }
  const legacy = cniVersion.startsWith("0.");
  const iface: Record<string, unknown> = { name: a.ifname, mac: a.mac, sandbox: a.sandbox };
  if (cniVersion === "1.1.0") iface.mtu = a.mtu;
  const ip: Record<string, unknown> = legacy ? { version: "4" } : {};
  Object.assign(ip, { address: a.address, gateway: a.gateway, interface: 0 });
  return { cniVersion, interfaces: [iface], ips: [ip], routes: a.routes, ...dns };
}
