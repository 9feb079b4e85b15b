/** The built program chooses plugin or driver by its name, CNI_COMMAND, or the `cni` subcommand. */
import assert from "node:assert/strict";
import { run } from "../src/exec.ts";
import { DIST, DRIVER, PLUGIN } from "../testing/cluster.ts";

const MAIN = `${DIST}ovn-mesos`;
const PATH = Deno.env.get("PATH")!;

function call(argv: string[], env: Record<string, string> = {}, stdin = "") {
  const vars = Object.entries({ PATH, ...env }).map(([k, v]) => `${k}=${v}`);
  return run(["env", "-i", ...vars, ...argv], { stdin, allowFailure: true });
}

const VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

Deno.test("invoked as ovn-mesos-plugin with CNI_COMMAND=VERSION: the version JSON", async () => {
  const r = await call([PLUGIN], { CNI_COMMAND: "VERSION" });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { cniVersion: "1.1.0", supportedVersions: VERSIONS });
});

Deno.test("invoked as ovn-mesos-plugin without CNI_COMMAND: CNI error code 4", async () => {
  const r = await call([PLUGIN]);
  assert.equal(r.code, 1);
  const e = JSON.parse(r.stdout);
  assert.equal(e.code, 4);
  assert.match(e.msg, /CNI_COMMAND/);
});

Deno.test("CNI_COMMAND makes any name the plugin; `ovn-mesos cni` is the plugin too", async () => {
  for (const argv of [[DRIVER], [MAIN], [MAIN, "cni"]]) {
    const r = await call(argv, { CNI_COMMAND: "VERSION" }, '{"cniVersion":"0.2.0"}');
    assert.equal(JSON.parse(r.stdout).cniVersion, "0.2.0", argv.join(" "));
  }
  const explicit = await call([MAIN, "cni"]);
  assert.equal(JSON.parse(explicit.stdout).code, 4);
});

Deno.test("invoked as ovn-mesos-overlay-driver: --help lists the subcommands, --version answers", async () => {
  const help = await call([DRIVER, "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: ovn-mesos-overlay-driver <subcommand>/);
  for (const sub of ["plugin-init", "node-init", "gateway-init", "node-remove", "status"]) {
    assert.match(help.stdout, new RegExp(`^  ${sub} `, "m"));
  }
  const sub = await call([DRIVER, "node-init", "--help"]);
  assert.match(sub.stdout, /--cluster-subnet=CIDR/);
  const version = await call([MAIN, "--version"]);
  assert.match(version.stdout, /^ovn-mesos \d+\.\d+\.\d+/);
  const main = await call([MAIN, "--help"]);
  assert.match(main.stdout, /^ {2}cni /m);
  const none = await call([DRIVER]);
  assert.equal(none.code, 2, "no subcommand is a usage error");
});
