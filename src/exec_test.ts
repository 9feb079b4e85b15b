import assert from "node:assert/strict";
import { ExecError, formatArgv, isTimeout, run } from "./exec.ts";

Deno.test("run() captures stdout and stderr and feeds stdin", async () => {
  const r = await run(["sh", "-c", "cat; echo err >&2"], { stdin: "in\n" });
  assert.equal(r.stdout, "in\n");
  assert.equal(r.stderr, "err\n");
  assert.equal(r.code, 0);
});

Deno.test("run() errors carry the command line, the exit status and stderr", async () => {
  const e = await run(["sh", "-c", "echo bad thing >&2; exit 3"]).catch((e) => e);
  assert.ok(e instanceof ExecError);
  assert.equal(e.result.code, 3);
  assert.match(e.message, /^sh -c 'echo bad thing >&2; exit 3': exited with status 3: bad thing$/);
});

Deno.test("run() kills a child that outlives its timeout", async () => {
  const started = performance.now();
  const e = await run(["sleep", "10"], { timeoutMs: 200 }).catch((e) => e);
  assert.ok(isTimeout(e), String(e));
  assert.match(e.message, /sleep 10: timed out/);
  assert.ok(performance.now() - started < 5000);
});

Deno.test("run() reports death by a signal as a failure", async () => {
  const e = await run(["sh", "-c", "kill -TERM $$"]).catch((e) => e);
  assert.ok(e instanceof ExecError);
  assert.equal(e.result.signal, "SIGTERM");
  assert.match(e.message, /killed by SIGTERM/);
  assert.equal(isTimeout(e), false);
});

Deno.test("run() reports a missing program as a failure, or a result with allowFailure", async () => {
  const e = await run(["/nonexistent/tool"]).catch((e) => e);
  assert.ok(e instanceof ExecError);
  assert.equal(e.result.code, 127);
  const r = await run(["sh", "-c", "exit 2"], { allowFailure: true });
  assert.equal(r.code, 2);
});

Deno.test("formatArgv() quotes what a shell would split", () => {
  assert.equal(
    formatArgv(["ovn-nbctl", "--db=unix:/a b", "it's"]),
    `ovn-nbctl '--db=unix:/a b' 'it'\\''s'`,
  );
});
