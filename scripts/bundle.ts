/**
 * The bundled form's last step (scripts/build): makes the plugin's bundle the program.
 *
 *   deno run -A scripts/bundle.ts MAIN.js DRIVER.js     (rewrites MAIN.js)
 *
 * - {@link spliceDriver}: the driver's bundle goes inside the plugin's as a `data:` URL, which
 *   only the driver imports: a CNI call never parses or compiles the driver's code.
 * - {@link eagerFunctions}: the top-level functions become parenthesized function expressions,
 *   which V8 compiles when it compiles the script. Deno's code cache holds what was compiled
 *   then, so every later call of the program deserializes them instead of compiling each one at
 *   its first call (ADD measured ~1.3 ms faster, DEL ~1 ms).
 */
import { parse } from "acorn";

/**
 * Replaces the one `import("./driver/cli.ts")` specifier of `main` with a `data:` URL of
 * `driver`, built from two strings so that Deno does not load it ahead as a dependency.
 */
export function spliceDriver(main: string, driver: Uint8Array): string {
  const specifier = JSON.stringify("./driver/cli.ts");
  const found = main.split(specifier).length - 1;
  if (found !== 1) throw new Error(`${found} imports of the driver in the bundle, expected 1`);
  let binary = "";
  for (let i = 0; i < driver.length; i += 0x8000) {
    binary += String.fromCharCode(...driver.subarray(i, i + 0x8000));
  }
  const url = `"data:text/javascript;base64,"+${JSON.stringify(btoa(binary))}`;
  return main.replace(specifier, () => url);
}

/**
 * Rewrites each top-level declaration `function f() {}` (and `async function`) of an ES module
 * as `var f = (function f() {});` at the very top: defined before any other statement runs, as
 * a hoisted declaration is, and compiled eagerly. Generators, `export function` and everything
 * else stay as they are. Each declaration removed leaves a `;`, so that its neighbours never run
 * together. Refuses a module that assigns to one of those names (a declaration's binding can be
 * reassigned; a named function expression's own name cannot).
 *
 * @example
 * ```ts
 * import { eagerFunctions } from "./bundle.ts";
 * const { code, count } = eagerFunctions("g();\nfunction g() { return 1; }\n");
 * if (count !== 1 || !code.startsWith("var g = (function g() { return 1; });")) throw new Error();
 * ```
 */
export function eagerFunctions(code: string): { code: string; count: number } {
  const program = parse(code, { ecmaVersion: "latest", sourceType: "module" });
  const eager: string[] = [];
  const names = new Set<string>();
  let rest = "";
  let at = 0;
  for (const node of program.body) {
    if (node.type !== "FunctionDeclaration" || node.generator || !node.id) continue;
    eager.push(`var ${node.id.name} = (${code.slice(node.start, node.end)});`);
    names.add(node.id.name);
    rest += `${code.slice(at, node.start)};`;
    at = node.end;
  }
  rest += code.slice(at);
  const assigned = assignedNames(program).filter((n) => names.has(n));
  if (assigned.length) {
    throw new Error(`top-level functions assigned to, not made eager: ${assigned.join(", ")}`);
  }
  return { code: eager.length ? `${eager.join("\n")}\n${rest}` : code, count: eager.length };
}

/** Every identifier assigned to (`x = …`, `x += …`, `x++`) anywhere in the tree. */
function assignedNames(root: unknown): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== "object") return;
    const n = node as {
      type?: string;
      left?: { type: string; name: string };
      argument?: { type: string; name: string };
    };
    if (n.type === "AssignmentExpression" && n.left?.type === "Identifier") found.push(n.left.name);
    if (n.type === "UpdateExpression" && n.argument?.type === "Identifier") {
      found.push(n.argument.name);
    }
    for (const value of Object.values(node)) visit(value);
  };
  visit(root);
  return found;
}

if (import.meta.main) {
  const [mainPath, driverPath] = Deno.args;
  if (!mainPath || !driverPath) {
    console.error("usage: deno run -A scripts/bundle.ts MAIN.js DRIVER.js");
    Deno.exit(2);
  }
  const spliced = spliceDriver(Deno.readTextFileSync(mainPath), Deno.readFileSync(driverPath));
  Deno.writeTextFileSync(mainPath, eagerFunctions(spliced).code);
}
