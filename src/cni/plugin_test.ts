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
