/**
 * testing/run.ts, the process runner of testing/ and scripts/: what it keeps that plain dax
 * loses (exit codes of signals, stdin for a program that does not read it, timeouts that do
 * not wait for grandchildren, an exact clean environment, reserved words as arguments).
 */
import assert from "node:assert/strict";
import { command, run, runOk } from "../testing/run.ts";

Deno.test("run: exit codes, stdout, stderr, stdin", async () => {
  assert.deepEqual(await run(["sh", "-c", "echo out; echo err >&2; exit 7"]), {
    code: 7,
    stdout: "out\n",
    stderr: "err\n",
  });
  const text = 'it\'s "quoted" $HOME `x`\n\nand more';
  assert.equal((await run(["cat"], { stdin: text })).stdout, text);
  const big = "x".repeat(200_000);
  assert.equal((await run(["wc", "-c"], { stdin: big })).stdout.trim(), "200000");
  // no stdin: /dev/null, not this process' stdin
  assert.equal((await run(["cat"])).stdout, "");
});

Deno.test("run: a program that exits without reading its stdin is not an error", async () => {
  for (let i = 0; i < 50; i++) {
    assert.deepEqual(await run(["true"], { stdin: '{"cniVersion":"1.1.0"}' }), {
      code: 0,
      stdout: "",
      stderr: "",
    });
  }
});

Deno.test("run: death by a signal is 128+N (plain dax says 0)", async () => {
  const r = await run(["sh", "-c", "echo before >&2; kill -SEGV $$"]);
  assert.deepEqual(r, { code: 139, stdout: "", stderr: "before\n" });
  const plain = await command(["sh", "-c", "kill -SEGV $$"]).noThrow().quiet();
  assert.equal(plain.code, 0, "dax's node build: if this fails, run.ts's wrapper may go");
});

Deno.test("run: a timeout kills the process group at once: 137", async () => {
  const t0 = performance.now();
  const r = await run(["sh", "-c", "sleep 30 & sleep 30; echo never"], { timeoutMs: 200 });
  const ms = performance.now() - t0;
  assert.equal(r.code, 137);
  assert.equal(r.stdout, "");
  assert.ok(ms < 5000, `took ${ms} ms: a grandchild kept the pipes open`);
});

Deno.test("run: clearEnv gives exactly env; arguments pass unchanged", async () => {
  const env = await run(["env"], { clearEnv: true, env: { A: "1", PATH: "/nowhere" } });
  assert.equal(env.stdout, "A=1\nPATH=/nowhere\n");
  const args = ["in", "do", "done", "", "a b", "'", '"', "$x", "*", "#", ";", "|", "\n"];
  const r = await run(["printf", "%s|", ...args]);
  assert.equal(r.stdout, args.map((a) => `${a}|`).join(""));
  const cwd = await run(["pwd"], { cwd: "/tmp" });
  assert.equal(cwd.stdout, "/tmp\n");
});

Deno.test("runOk: stdout, or an error naming the command and its stderr", async () => {
  assert.equal(await runOk(["echo", "hi"]), "hi\n");
  await assert.rejects(
    runOk(["sh", "-c", "echo why >&2; exit 3"]),
    /command failed \(exit 3\): sh -c .*\nwhy/,
  );
  await assert.rejects(run(["no-such-program-here"]), /command not found: no-such-program-here/);
});
