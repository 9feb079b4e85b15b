import assert from "node:assert/strict";
import { CniError } from "../errors.ts";
import { readCmdArgs } from "./env.ts";

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
