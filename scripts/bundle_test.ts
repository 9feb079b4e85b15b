import assert from "node:assert/strict";
import { eagerFunctions, spliceDriver } from "./bundle.ts";

/** Evaluates an ES module's source; answers what it exports. */
async function evaluate(code: string): Promise<Record<string, unknown>> {
  return await import(`data:text/javascript;base64,${btoa(code)}`);
}

const cases: { name: string; code: string; eager: number; expect: Record<string, unknown> }[] = [
  {
    name: "a function called before its declaration, at the top level",
    code: "export const x = f(2);\nfunction f(n) { return n * 3; }\n",
    eager: 1,
    expect: { x: 6 },
  },
  {
    name: "an async function and a generator (left as it is)",
    code: "export const p = await a();\nexport const g = [...gen()];\n" +
      "async function a() { return 5; }\nfunction* gen() { yield 1; yield 2; }\n",
    eager: 1,
    expect: { p: 5, g: [1, 2] },
  },
  {
    name: "functions inside functions and classes stay lazy; only the top level moves",
    code: "export const y = outer();\n" +
      "function outer() { function inner() { return 7; } return inner(); }\n" +
      "class K { m() { return 1; } }\nexport const k = new K().m();\n",
    eager: 1,
    expect: { y: 7, k: 1 },
  },
  {
    name: "mutual recursion across the moved functions",
    code: "export const even10 = even(10);\n" +
      "function even(n) { return n === 0 ? true : odd(n - 1); }\n" +
      "function odd(n) { return n === 0 ? false : even(n - 1); }\n",
    eager: 2,
    expect: { even10: true },
  },
  {
    name: "a statement without its semicolon before a declaration does not join the next one",
    code:
      "export let a = 1\nfunction f() { return 2; }\n(() => { a = 3; })()\nexport const b = f();\n",
    eager: 1,
    expect: { a: 3, b: 2 },
  },
  {
    name: "no function at all",
    code: "export const z = 1;\n",
    eager: 0,
    expect: { z: 1 },
  },
];

for (const c of cases) {
  Deno.test(`eagerFunctions: ${c.name}`, async () => {
    const { code, count } = eagerFunctions(c.code);
    assert.equal(count, c.eager);
    assert.deepEqual({ ...await evaluate(code) }, c.expect);
    assert.deepEqual({ ...await evaluate(code) }, { ...await evaluate(c.code) });
  });
}

Deno.test("spliceDriver: the one driver import becomes a data: URL that imports the driver", async () => {
  const driver = new TextEncoder().encode("export const answer = 42;\n");
  const main = 'export async function load() { return await import("./driver/cli.ts"); }\n';
  const spliced = spliceDriver(main, driver);
  assert.ok(!spliced.includes('"./driver/cli.ts"'));
  const { load } = await evaluate(spliced) as { load: () => Promise<{ answer: number }> };
  assert.equal((await load()).answer, 42);
  assert.throws(() => spliceDriver("export {};\n", driver), /0 imports of the driver/);
  assert.throws(() => spliceDriver(main + main, driver), /2 imports of the driver/);
});

Deno.test("eagerFunctions: a module that reassigns a top-level function is refused", () => {
  assert.throws(
    () => eagerFunctions("function f() { return 1; }\nf = () => 2;\nexport const x = f();\n"),
    /assigned to, not made eager: f/,
  );
});
