/**
 * An ovn-mesos cluster on the real sandbox: plugin-init and node-init done
 * with the built dist/ programs, and a CNI caller that behaves exactly like
 * the Mesos agent (its environment, its injected args, no cniVersion).
 */
import assert from "node:assert/strict";
import { run, runOk } from "./run.ts";
import type { RunResult, Sandbox, SandboxHost } from "./sandbox.ts";

export const DIST = new URL("../dist/", import.meta.url).pathname;
export const DRIVER = `${DIST}ovn-mesos-overlay-driver`;
export const PLUGIN = `${DIST}ovn-mesos-plugin`;
const PATH = Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin";

/** One host after node-init. */
export interface ClusterHost {
  host: SandboxHost;
  /** The CNI configuration node-init wrote. */
  config: Record<string, unknown>;
  configDir: string;
  /** node-init's --json outcome (address, mac, port, subnet, gateway…). */
  init: Record<string, string>;
}

/** Runs the driver on a host (inside its netns, with its OVS environment). */
export function driver(sb: Sandbox, host: SandboxHost, args: string[]): Promise<RunResult> {
  return sb.run(host, [DRIVER, ...args], { timeoutMs: 60_000 });
}

/** Like {@link driver}, but fails the test unless it succeeds; returns the --json outcome. */
export async function driverOk(
  sb: Sandbox,
  host: SandboxHost,
  args: string[],
): Promise<Record<string, string>> {
  const r = await driver(sb, host, [...args, "--json"]);
  assert.equal(r.code, 0, `driver ${args.join(" ")} failed: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The node-init flags of host number i (0-based): subnet 172.16.(i+1).0/24. */
export function nodeInitArgs(sb: Sandbox, i: number): string[] {
  return [
    "node-init",
    `--subnet=172.16.${i + 1}.0/24`,
    "--cluster_subnet=172.16.0.0/16",
    `--gateway=172.16.${i + 1}.1/24`,
    `--config_dir=${sb.dir}/cni-${sb.hosts[i].name}`,
    `--log-file=${sb.dir}/plugin-${sb.hosts[i].name}.log`,
    "--bind-timeout=20",
    `--run_dir=${sb.dir}/run`,
  ];
}

/** plugin-init once, node-init on every host. */
export async function initCluster(sb: Sandbox): Promise<ClusterHost[]> {
  await driverOk(sb, sb.hosts[0], ["plugin-init"]);
  return await Promise.all(sb.hosts.map(async (host, i) => {
    const init = await driverOk(sb, host, nodeInitArgs(sb, i));
    const config = JSON.parse(await Deno.readTextFile(init.configFile));
    return { host, config, configDir: `${sb.dir}/cni-${host.name}`, init };
  }));
}

/** What one plugin call returned. */
export interface CniReply {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed, when it is JSON. */
  json?: Record<string, unknown>;
}

/** Calls the plugin on a host with exactly this environment (plus PATH) and stdin. */
export async function callPlugin(
  host: SandboxHost,
  env: Record<string, string>,
  stdin: string,
): Promise<CniReply> {
  const vars = Object.entries({ PATH, ...env }).map(([k, v]) => `${k}=${v}`);
  const r = await run(["ip", "netns", "exec", host.netns, "env", "-i", ...vars, PLUGIN], {
    stdin,
    timeoutMs: 60_000,
  });
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(r.stdout);
  } catch { /* not JSON */ }
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, json };
}

/** The stdin the Mesos agent sends: the config file without cniVersion, plus its args. */
export function mesosStdin(
  config: Record<string, unknown>,
  network = String(config.name),
  portMappings?: { host_port: number; container_port: number; protocol?: string }[],
): string {
  const { cniVersion: _, ...rest } = config;
  return JSON.stringify({
    ...rest,
    name: network,
    args: {
      "org.apache.mesos": {
        network_info: {
          name: network,
          labels: { labels: [{ key: "app", value: "test" }] },
          ...(portMappings ? { port_mappings: portMappings } : {}),
        },
      },
    },
  });
}

/** ADD or DEL as the Mesos agent does it. */
export function mesosCni(
  c: ClusterHost,
  command: "ADD" | "DEL",
  containerId: string,
  netns: string | undefined,
  opts: {
    ifname?: string;
    config?: Record<string, unknown>;
    portMappings?: { host_port: number; container_port: number; protocol?: string }[];
  } = {},
): Promise<CniReply> {
  const env: Record<string, string> = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: containerId,
    CNI_PATH: DIST,
    CNI_IFNAME: opts.ifname ?? "eth0",
  };
  if (netns) env.CNI_NETNS = netns;
  return callPlugin(
    c.host,
    env,
    mesosStdin(opts.config ?? c.config, undefined, opts.portMappings),
  );
}

/** Parses an ADD result the way the Mesos agent does: only `ip4` counts. */
export function mesosIp(reply: CniReply): string {
  assert.equal(reply.code, 0, `ADD failed: ${reply.stdout}${reply.stderr}`);
  const ip4 = reply.json?.ip4 as { ip?: string } | undefined;
  assert.ok(ip4?.ip, `no ip4.ip in ${reply.stdout}`);
  return ip4.ip.split("/")[0];
}

/** Logical switch ports the plugin made (role container-port). */
export async function pluginPorts(sb: Sandbox): Promise<string[]> {
  const out = await sb.nbctl(
    "--bare",
    "--columns=name",
    "find",
    "Logical_Switch_Port",
    'external_ids:"ovn-mesos/role"="container-port"',
  );
  return out.split("\n").filter(Boolean).sort();
}

/** The plugin's OVS ports and veths (names start with "ovm", or "ovx" once retired) on a host. */
export async function pluginLinks(sb: Sandbox, host: SandboxHost): Promise<string[]> {
  const ports = (await sb.vsctl(host, "list-ports", "br-int")).split("\n");
  // A veth DEL retired (ovx…) is deleted by a process DEL does not wait for:
  // given 2 s to go before it counts as left.
  let veths: string[] = [];
  for (let i = 0; i < 40; i++) {
    const links = await runOk(["ip", "-n", host.netns, "-o", "link", "show"]);
    veths = links.split("\n").map((l) => l.split(":")[1]?.trim().split("@")[0] ?? "");
    if (!veths.some((n) => n.startsWith("ovx"))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return [...ports, ...veths].filter((n) => n.startsWith("ovm") || n.startsWith("ovx")).sort();
}

/** Pings from a namespace path; true when every reply came back. */
export async function pings(sb: Sandbox, nsPath: string, ip: string, count = 2): Promise<boolean> {
  const r = await sb.execIn(nsPath, ["ping", "-c", String(count), "-i", "0.2", "-W", "3", ip], {
    timeoutMs: 20_000,
  });
  return r.code === 0;
}
