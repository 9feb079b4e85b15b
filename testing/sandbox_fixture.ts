/**
 * Test helpers around the real OVN sandbox (testing/sandbox.ts).
 *
 *   import { assertNoLeaks, withSandbox } from "../testing/sandbox_fixture.ts";
 *   Deno.test("…", async () => {
 *     await withSandbox({ hosts: 2 }, async (sb) => { … });   // always torn down
 *   });
 */
import assert from "node:assert/strict";
import { findLeftovers, gcStale, Sandbox, withSandbox } from "./sandbox.ts";

export { findLeftovers, gcStale, Sandbox, withSandbox };
export type { Leftovers, RunOptions, RunResult, SandboxHost, SandboxOptions } from "./sandbox.ts";

/** Assert that a (torn down) sandbox left nothing behind: no daemons, netns, mounts, dir. */
export async function assertNoLeaks(sb: Sandbox | { name: string; dir: string }): Promise<void> {
  const left = sb instanceof Sandbox ? await sb.leftovers() : findLeftovers(sb.name, sb.dir);
  assert.deepEqual(left, { pids: [], netns: [], mounts: [] }, `sandbox ${sb.name} leaked`);
  let dirLeft = true;
  try {
    await Deno.lstat(sb.dir);
  } catch {
    dirLeft = false;
  }
  assert.equal(dirLeft, false, `sandbox ${sb.name} left its dir ${sb.dir}`);
}

export interface AttachedPort {
  lsp: string;
  mac: string;
  ip: string;
  prefixLen: number;
  /** veth end in the host netns, added to br-int with external_ids:iface-id=lsp */
  hostIf: string;
}

/**
 * Plug the container netns at nsPath into logical switch port `lsp` (which must exist, with
 * `addresses=dynamic` or a fixed "MAC IP") the way the recipe does: a veth whose host end is
 * in br-int with iface-id, eth0 in the container with the port's MAC/IP, TX checksum offload
 * off.  Waits for the port's `up=true` in NB.  Optional default gateway.
 */
export async function attachPort(
  sb: Sandbox,
  host: string,
  nsPath: string,
  lsp: string,
  gateway?: string,
): Promise<AttachedPort> {
  const h = sb.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no host ${host}`);
  let addrs = "";
  const end = Date.now() + 10_000;
  while (true) {
    const dyn = (await sb.nbctl("get", "Logical_Switch_Port", lsp, "dynamic_addresses"))
      .replaceAll('"', "");
    const fixed = (await sb.nbctl("get", "Logical_Switch_Port", lsp, "addresses"))
      .replace(/^\[|\]$/g, "").replaceAll('"', "");
    addrs = dyn.includes(":") ? dyn : fixed.includes(":") && fixed !== "dynamic" ? fixed : "";
    if (addrs) break;
    if (Date.now() > end) throw new Error(`no addresses for ${lsp}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const [mac, ip] = addrs.split(/\s+/);
  const ls = (await sb.nbctl("lsp-get-ls", lsp)).split(/\s+/)[0];
  const subnet = (await sb.nbctl("get", "Logical_Switch", ls, "other_config:subnet"))
    .replaceAll('"', "");
  const prefixLen = Number(subnet.split("/")[1]);
  const hostIf = `v${lsp}`.slice(0, 15);
  const must = async (p: Promise<{ code: number; stderr: string }>, what: string) => {
    const r = await p;
    if (r.code !== 0) throw new Error(`${what}: ${r.stderr.trim()}`);
  };
  await must(
    sb.run(host, [
      "ip",
      "link",
      "add",
      hostIf,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      nsPath,
    ]),
    "veth",
  );
  await must(sb.execIn(nsPath, ["ip", "link", "set", "eth0", "address", mac]), "mac");
  await must(sb.execIn(nsPath, ["ip", "addr", "add", `${ip}/${prefixLen}`, "dev", "eth0"]), "addr");
  await must(sb.execIn(nsPath, ["ip", "link", "set", "eth0", "up"]), "eth0 up");
  // userspace datapath + veth: TCP/UDP is dropped unless TX checksum offload is off
  await must(sb.execIn(nsPath, ["ethtool", "-K", "eth0", "tx", "off"]), "ethtool");
  if (gateway) {
    await must(sb.execIn(nsPath, ["ip", "route", "add", "default", "via", gateway]), "route");
  }
  await must(sb.run(host, ["ip", "link", "set", hostIf, "up"]), "host if up");
  await sb.vsctl(
    h,
    ...["add-port", "br-int", hostIf, "--", "set", "Interface", hostIf],
    `external_ids:iface-id=${lsp}`,
  );
  await waitPortUp(sb, lsp);
  return { lsp, mac, ip, prefixLen, hostIf };
}

/** Wait until NB Logical_Switch_Port `lsp` has up=true. */
export async function waitPortUp(sb: Sandbox, lsp: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await sb.nbctl("get", "Logical_Switch_Port", lsp, "up")) !== "true") {
    if (Date.now() > end) throw new Error(`timeout waiting for ${lsp} up=true`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
