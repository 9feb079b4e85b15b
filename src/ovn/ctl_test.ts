import assert from "node:assert/strict";
import { ExecError } from "../exec.ts";
import { ctlArgv, isUnreachable, splitOneline } from "./ctl.ts";
import { nbOptions } from "./nbctl.ts";

Deno.test("nbOptions() passes SSL files on only for ssl: remotes, clustered lists included", () => {
  const ssl = { privateKey: "/k.pem", certificate: "/c.pem", caCert: "/ca.pem" };
  const rows: [string, string[]][] = [
    ["tcp:10.0.0.1:6641", ["--db=tcp:10.0.0.1:6641"]],
    ["unix:/run/ovn/ovnnb_db.sock", ["--db=unix:/run/ovn/ovnnb_db.sock"]],
    [
      "ssl:10.0.0.1:6641,ssl:10.0.0.2:6641",
      [
        "--db=ssl:10.0.0.1:6641,ssl:10.0.0.2:6641",
        "--private-key=/k.pem",
        "--certificate=/c.pem",
        "--ca-cert=/ca.pem",
      ],
    ],
  ];
  for (const [remote, want] of rows) assert.deepEqual(nbOptions({ remote, ...ssl }), want, remote);
});

Deno.test("ctlArgv() and splitOneline() keep one output per command", () => {
  assert.deepEqual(ctlArgv("ovs-vsctl", [], [["get", "a"], ["get", "b"]]), [
    "ovs-vsctl",
    "--oneline",
    "--format=json",
    "--",
    "get",
    "a",
    "--",
    "get",
    "b",
  ]);
  assert.deepEqual(splitOneline("x\n\ny\\nz\n", 3), ["x", "", "y\nz"]);
  assert.deepEqual(splitOneline("", 2), ["", ""]);
});

Deno.test("isUnreachable() tells a dead database from a failed command", () => {
  const failure = (stderr: string, signal: string | null = null) =>
    new ExecError({ argv: ["ovn-nbctl"], code: 1, signal, timedOut: false, stdout: "", stderr });
  assert.equal(
    isUnreachable(failure("ovn-nbctl: unix:/x: database connection failed (No such file)")),
    true,
  );
  assert.equal(isUnreachable(failure("", "SIGALRM")), true);
  assert.equal(
    isUnreachable(failure('ovn-nbctl: lsp-add: a port named "x" already exists')),
    false,
  );
});
