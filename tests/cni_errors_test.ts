/** Bad input to the plugin: CNI error JSON with the right code, never a stack trace. No OVN needed. */
import assert from "node:assert/strict";
import { run } from "../src/exec.ts";
import { PLUGIN } from "../testing/cluster.ts";

const good = {
  cniVersion: "1.0.0",
  name: "ovn",
  type: "ovn-mesos-plugin",
  logicalSwitch: "mesos-h",
  subnet: "172.16.1.0/24",
  gateway: "172.16.1.1",
  hostId: "h",
  nbRemote: "unix:/nonexistent/ovnnb_db.sock",
  ovsDb: "unix:/nonexistent/db.sock",
  dbTimeoutSeconds: 1,
  runDir: Deno.makeTempDirSync({ prefix: "ovn-mesos-errors-" }),
};
// A container's namespace of its own (the plugin refuses the host's): removed when the module unloads.
const NETNS = `ovn-mesos-errors-${Deno.pid}`;
new Deno.Command("ip", { args: ["netns", "add", NETNS] }).outputSync();
globalThis.addEventListener("unload", () => {
  new Deno.Command("ip", { args: ["netns", "del", NETNS] }).outputSync();
});
const add = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c1",
  CNI_IFNAME: "eth0",
  CNI_NETNS: `/run/netns/${NETNS}`,
};

async function plugin(env: Record<string, string>, stdin: string) {
  const r = await run([
    "env",
    "-i",
    `PATH=${Deno.env.get("PATH")}`,
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    PLUGIN,
  ], {
    stdin,
    allowFailure: true,
  });
  let json;
  try {
    json = JSON.parse(r.stdout) as { cniVersion: string; code: number; msg: string };
  } catch {
    throw new Error(`not JSON: ${r.stdout} ${r.stderr}`);
  }
  return { ...r, json };
}

Deno.test("plugin errors: every bad input gets its CNI code on stdout and a log line on stderr", async () => {
  const rows: {
    name: string;
    env: Record<string, string>;
    stdin: string;
    code: number;
    msg: RegExp;
  }[] = [
    { name: "no CNI_COMMAND", env: {}, stdin: "{}", code: 4, msg: /CNI_COMMAND is not set/ },
    { name: "unknown command", env: { CNI_COMMAND: "FROB" }, stdin: "{}", code: 4, msg: /FROB/ },
    {
      name: "ADD without CNI_NETNS",
      env: { ...add, CNI_NETNS: "" },
      stdin: JSON.stringify(good),
      code: 4,
      msg: /CNI_NETNS is not set/,
    },
    {
      name: "ADD without container id and ifname",
      env: { CNI_COMMAND: "ADD", CNI_NETNS: "/x" },
      stdin: JSON.stringify(good),
      code: 4,
      msg: /CNI_CONTAINERID is not set; CNI_IFNAME is not set/,
    },
    {
      name: "ifname too long",
      env: { ...add, CNI_IFNAME: "a234567890123456" },
      stdin: JSON.stringify(good),
      code: 4,
      msg: /CNI_IFNAME/,
    },
    {
      name: "relative netns",
      env: { ...add, CNI_NETNS: "ns1" },
      stdin: JSON.stringify(good),
      code: 4,
      msg: /absolute/,
    },
    {
      name: "bad container id",
      env: { ...add, CNI_CONTAINERID: "a/b" },
      stdin: JSON.stringify(good),
      code: 4,
      msg: /CNI_CONTAINERID/,
    },
    { name: "not JSON", env: add, stdin: "{nope", code: 6, msg: /not valid JSON/ },
    { name: "JSON but not an object", env: add, stdin: "[1]", code: 6, msg: /object/ },
    {
      name: "unknown cniVersion",
      env: add,
      stdin: JSON.stringify({ ...good, cniVersion: "9.9.9" }),
      code: 1,
      msg: /9\.9\.9/,
    },
    {
      name: "missing keys",
      env: add,
      stdin: JSON.stringify({ name: "ovn", cniVersion: "1.0.0" }),
      code: 7,
      msg: /"logicalSwitch" is missing/,
    },
    {
      name: "bad subnet",
      env: add,
      stdin: JSON.stringify({ ...good, subnet: "172.16.1.0/33" }),
      code: 7,
      msg: /subnet/,
    },
    {
      name: "bad mtu",
      env: add,
      stdin: JSON.stringify({ ...good, mtu: 100 }),
      code: 7,
      msg: /mtu/,
    },
    {
      name: "NB unreachable on ADD",
      env: add,
      stdin: JSON.stringify(good),
      code: 11,
      msg: /unreachable or did not answer/,
    },
  ];
  for (const row of rows) {
    const r = await plugin(row.env, row.stdin);
    assert.equal(r.code, 1, `${row.name}: exit status`);
    assert.equal(r.json.code, row.code, `${row.name}: ${r.stdout}`);
    assert.match(r.json.msg, row.msg, row.name);
    assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, `${row.name}: stack trace`);
    assert.match(r.stderr, /ovn-mesos-plugin\[\d+\]/, `${row.name}: log line on stderr`);
  }
});

Deno.test("plugin tolerates unknown keys and answers VERSION without a valid environment", async () => {
  const stdin = JSON.stringify({
    ...good,
    capabilities: { portMappings: true },
    runtimeConfig: { portMappings: [] },
    prevResult: {},
    "cni.dev/attachment": "x",
    args: { "org.apache.mesos": { network_info: { name: "ovn" } } },
  });
  const r = await plugin(add, stdin);
  assert.equal(r.json.code, 11, "got past config parsing to the (unreachable) NB");
  const v = await plugin(
    { CNI_COMMAND: "VERSION", CNI_NETNS: "dummy", CNI_IFNAME: "dummy" },
    '{"cniVersion":"0.4.0"}',
  );
  assert.equal(v.code, 0);
  assert.deepEqual(JSON.parse(v.stdout), {
    cniVersion: "0.4.0",
    supportedVersions: ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"],
  });
});

Deno.test("DEL with NB and OVS unreachable answers 0 and records both removals for later", async () => {
  try {
    const r = await run([
      "env",
      "-i",
      `PATH=${Deno.env.get("PATH")}`,
      ...Object.entries({ ...add, CNI_COMMAND: "DEL" }).map(([k, v]) => `${k}=${v}`),
      PLUGIN,
    ], { stdin: JSON.stringify(good), allowFailure: true });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /nb removal deferred/);
    const pending = [...Deno.readDirSync(`${good.runDir}/pending`)].map((e) => e.name).sort();
    assert.equal(pending.length, 2, pending.join(" "));
    assert.match(pending.join(" "), /^nb-ovm\S+\.json ovs-ovm\S+\.json$/);
  } finally {
    await Deno.remove(good.runDir, { recursive: true });
  }
});
