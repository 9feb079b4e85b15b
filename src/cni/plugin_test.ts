import assert from "node:assert/strict";
import { runPlugin } from "./plugin.ts";

async function call(env: Record<string, string>, stdin = "") {
  let out = "";
  const code = await runPlugin({
    env,
    readStdin: () => Promise.resolve(stdin),
    writeStdout: (t) => out += t,
  });
  return { code, json: JSON.parse(out) };
}

Deno.test("runPlugin() answers VERSION in the version it was asked in", async () => {
  const r = await call({ CNI_COMMAND: "VERSION" }, '{"cniVersion":"0.3.1"}');
  assert.equal(r.code, 0);
  assert.equal(r.json.cniVersion, "0.3.1");
  assert.deepEqual(r.json.supportedVersions, [
    "0.1.0",
    "0.2.0",
    "0.3.0",
    "0.3.1",
    "0.4.0",
    "1.0.0",
    "1.1.0",
  ]);
  assert.equal((await call({ CNI_COMMAND: "VERSION" })).json.cniVersion, "1.1.0");
});

Deno.test("runPlugin() answers errors in the configuration's version", async () => {
  const r = await call({ CNI_COMMAND: "ADD" }, '{"cniVersion":"0.4.0"}');
  assert.equal(r.code, 1);
  assert.equal(r.json.cniVersion, "0.4.0");
  assert.equal(r.json.code, 4);
});

Deno.test("runPlugin() refuses CHECK before 0.4.0 and GC/STATUS before 1.1.0 with code 1", async () => {
  const conf = {
    name: "ovn",
    type: "ovn-mesos-plugin",
    logicalSwitch: "mesos-h",
    subnet: "172.16.1.0/24",
    gateway: "172.16.1.1",
    hostId: "h",
    nbRemote: "unix:/nonexistent.sock",
  };
  const env = { CNI_CONTAINERID: "c", CNI_IFNAME: "eth0", CNI_NETNS: "/x" };
  const rows: [string, string][] = [["CHECK", "0.3.1"], ["GC", "1.0.0"], ["STATUS", "0.4.0"]];
  for (const [command, cniVersion] of rows) {
    const r = await call({ ...env, CNI_COMMAND: command }, JSON.stringify({ ...conf, cniVersion }));
    assert.equal(r.json.code, 1, `${command} ${cniVersion}: ${JSON.stringify(r.json)}`);
    assert.match(r.json.msg, new RegExp(`${command} needs cniVersion`));
  }
});
