import assert from "node:assert/strict";
import { CniError } from "../errors.ts";
import { checkNetns, readCmdArgs } from "./env.ts";

const add = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c1",
  CNI_IFNAME: "eth0",
  CNI_NETNS: "/var/run/x/ns",
};

Deno.test("readCmdArgs() accepts what each command needs", () => {
  assert.equal(readCmdArgs(add).netns, "/var/run/x/ns");
  assert.equal(readCmdArgs({ ...add, CNI_COMMAND: "DEL", CNI_NETNS: "" }).netns, undefined);
  assert.equal(
    readCmdArgs({ CNI_COMMAND: "VERSION", CNI_NETNS: "dummy", CNI_IFNAME: "dummy" }).command,
    "VERSION",
  );
  assert.equal(readCmdArgs({ CNI_COMMAND: "GC" }).command, "GC");
  assert.equal(
    readCmdArgs({ ...add, CNI_CONTAINERID: "parent.child-1_2" }).containerId,
    "parent.child-1_2",
  );
});

Deno.test("readCmdArgs() names every bad variable with code 4", () => {
  const rows: [Record<string, string>, RegExp][] = [
    [{}, /CNI_COMMAND is not set/],
    [{ CNI_COMMAND: "add" }, /unknown CNI_COMMAND "add"/],
    [
      { CNI_COMMAND: "ADD" },
      /CNI_CONTAINERID is not set; CNI_NETNS is not set; CNI_IFNAME is not set/,
    ],
    [{ ...add, CNI_IFNAME: "eth0/1" }, /CNI_IFNAME "eth0\/1"/],
    [{ ...add, CNI_IFNAME: "x".repeat(16) }, /CNI_IFNAME/],
    [{ ...add, CNI_CONTAINERID: "-bad" }, /CNI_CONTAINERID "-bad"/],
    [{ ...add, CNI_NETNS: "netns-1" }, /CNI_NETNS "netns-1" is not an absolute path/],
    [{ ...add, CNI_COMMAND: "CHECK", CNI_NETNS: "" }, /CNI_NETNS is not set/],
  ];
  for (const [env, msg] of rows) {
    assert.throws(
      () => readCmdArgs(env),
      (e: Error) => e instanceof CniError && e.code === 4 && msg.test(e.message),
    );
  }
});

Deno.test("readCmdArgs() refuses ids and names that are unsafe anywhere, quoting them", () => {
  const rows: [Record<string, string>, RegExp][] = [
    [{ ...add, CNI_CONTAINERID: "c".repeat(256) }, /256 characters long, more than 255/],
    [{ ...add, CNI_CONTAINERID: "a\nb" }, /CNI_CONTAINERID "a\\nb"/],
    [{ ...add, CNI_IFNAME: "ethü" }, /CNI_IFNAME "ethü"/],
    [{ ...add, CNI_IFNAME: 'e"0' }, /CNI_IFNAME "e\\"0"/],
    [{ ...add, CNI_IFNAME: ".." }, /CNI_IFNAME "\.\."/],
  ];
  for (const [env, msg] of rows) {
    assert.throws(
      () => readCmdArgs(env),
      (e: Error) => e instanceof CniError && e.code === 4 && msg.test(e.message),
    );
  }
  assert.equal(readCmdArgs({ ...add, CNI_CONTAINERID: "c".repeat(255) }).containerId.length, 255);
});

Deno.test("checkNetns() takes a network namespace other than this process' own", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/file`, "");
    // (Another kind of namespace, e.g. /proc/self/ns/mnt, is refused by the kernel at ADD: see
    // tests/hostile_input_test.ts.)
    const rows: [string, RegExp][] = [
      [`${dir}/file`, /is not a network namespace/],
      [dir, /is a directory/],
      [`${dir}/gone`, /does not exist/],
      ["/proc/self/ns/net", /this host's own network namespace/],
    ];
    for (const [path, msg] of rows) {
      assert.throws(
        () => checkNetns(path),
        (e: Error) => e instanceof CniError && e.code === 4 && msg.test(e.message),
        path,
      );
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
