/**
 * Port mappings a task asks for: from the Mesos agent
 * (`args["org.apache.mesos"].network_info.port_mappings`, snake_case) or
 * from other runtimes (`runtimeConfig.portMappings`, when the configuration
 * declares the `portMappings` capability). Checked here, in one place.
 */
import { parseIpv4 } from "../net/cidr.ts";

/** One mapping: `hostIp` (or any local address) `:hostPort` to the container's `containerPort`. */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
  /** Only this host address (runtimeConfig's hostIP); any local address when absent. */
  hostIp?: string;
}

/**
 * The mappings of a configuration; every problem is pushed to `problems`.
 *
 * @example
 * ```ts
 * import { parsePortMappings } from "./port_mappings.ts";
 * const problems: string[] = [];
 * const m = parsePortMappings({
 *   args: { "org.apache.mesos": { network_info: { port_mappings: [{ host_port: 8080, container_port: 80 }] } } },
 * }, problems);
 * if (problems.length || m[0].protocol !== "tcp" || m[0].hostPort !== 8080) throw new Error();
 * ```
 */
export function parsePortMappings(c: Record<string, unknown>, problems: string[]): PortMapping[] {
  const mesos = (c.args as Record<string, unknown> | undefined)?.["org.apache.mesos"] as
    | Record<string, unknown>
    | undefined;
  const info = mesos?.network_info as Record<string, unknown> | undefined;
  const fromMesos = info?.port_mappings;
  const capable = (c.capabilities as Record<string, unknown> | undefined)?.portMappings === true;
  const fromRuntime = capable
    ? (c.runtimeConfig as Record<string, unknown> | undefined)?.portMappings
    : undefined;
  const out: PortMapping[] = [];
  const read = (list: unknown, where: string, keys: [string, string, string]) => {
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) {
      problems.push(`${where} must be a list`);
      return;
    }
    for (const [i, m] of list.entries()) {
      const at = `${where}[${i}]`;
      if (typeof m !== "object" || m === null) {
        problems.push(`${at} must be an object`);
        continue;
      }
      const r = m as Record<string, unknown>;
      const port = (k: string) => {
        const v = r[k];
        if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535) {
          problems.push(`${at}.${k} ${JSON.stringify(v)} is not a port (1-65535)`);
          return 0;
        }
        return v;
      };
      const hostPort = port(keys[0]);
      const containerPort = port(keys[1]);
      const proto = r.protocol === undefined ? "tcp" : String(r.protocol).toLowerCase();
      if (proto !== "tcp" && proto !== "udp") {
        problems.push(`${at}.protocol ${JSON.stringify(r.protocol)} is not tcp or udp`);
        continue;
      }
      const hostIp = r[keys[2]];
      if (hostIp !== undefined && hostIp !== "" && parseIpv4(String(hostIp)) === undefined) {
        problems.push(`${at}.${keys[2]} ${JSON.stringify(hostIp)} is not an IPv4 address`);
        continue;
      }
      if (!hostPort || !containerPort) continue;
      out.push({
        hostPort,
        containerPort,
        protocol: proto,
        ...(hostIp ? { hostIp: String(hostIp) } : {}),
      });
    }
  };
  read(fromMesos, "port_mappings", ["host_port", "container_port", "host_ip"]);
  read(fromRuntime, "runtimeConfig.portMappings", ["hostPort", "containerPort", "hostIP"]);
  const seen = new Set<string>();
  const unique: PortMapping[] = [];
  for (const m of out) {
    const key = `${m.hostIp ?? "*"}:${m.hostPort}/${m.protocol}`;
    if (seen.has(key)) {
      // The same mapping from both sources is one mapping; another target is a conflict.
      const same = unique.find((u) => `${u.hostIp ?? "*"}:${u.hostPort}/${u.protocol}` === key);
      if (same?.containerPort !== m.containerPort) {
        problems.push(`host port ${m.hostPort}/${m.protocol} is mapped twice`);
      }
      continue;
    }
    seen.add(key);
    unique.push(m);
  }
  return unique;
}

/**
 * The text recorded on the logical port: `tcp:8080:80,udp:5353:53@10.0.0.5`.
 *
 * @example
 * ```ts
 * import { formatPortMappings } from "./port_mappings.ts";
 * const t = formatPortMappings([{ hostPort: 8080, containerPort: 80, protocol: "tcp" }]);
 * if (t !== "tcp:8080:80") throw new Error(t);
 * ```
 */
export function formatPortMappings(ms: PortMapping[]): string {
  return ms.map((m) =>
    `${m.protocol}:${m.hostPort}:${m.containerPort}${m.hostIp ? `@${m.hostIp}` : ""}`
  )
    .join(",");
}

/** The inverse of {@link formatPortMappings}. */
export function readPortMappings(text: string | undefined): PortMapping[] {
  if (!text) return [];
  return text.split(",").flatMap((t) => {
    const m = /^(tcp|udp):(\d+):(\d+)(?:@([\d.]+))?$/.exec(t);
    return m
      ? [{
        protocol: m[1] as "tcp" | "udp",
        hostPort: Number(m[2]),
        containerPort: Number(m[3]),
        ...(m[4] ? { hostIp: m[4] } : {}),
      }]
      : [];
  });
}
