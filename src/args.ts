/**
 * A small command-line parser for the driver: `--flag=value`, `--flag value`,
 * boolean `--flag`, and both spellings of every flag (`--cluster_subnet` and
 * `--cluster-subnet`). Unknown flags and stray arguments are errors. A value's
 * metavariable is also its kind: values of the kinds in {@link KINDS} are
 * checked here, once for every subcommand; the rest (CIDRs, addresses,
 * remotes) by the subcommand that reads them.
 */
import { UsageError } from "./errors.ts";

/** One flag: its canonical (dashed) name, whether it takes a value, and its help text. */
export interface FlagSpec {
  name: string;
  /** The value's metavariable (e.g. `DIR`), which is also its kind (see {@link KINDS}). */
  value?: string;
  help: string;
}

/** The longest any timeout flag may be: an hour (as the plugin's configuration allows). */
export const MAX_SECONDS = 3600;

/** A name that becomes part of OVN/OVS names or file names: no path, quote, space or shell syntax. */
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.\-]*$/;

/**
 * What a value of each kind must be; a check returns the problem, if any,
 * worded to follow `--flag=value`.
 */
export const KINDS: Record<string, (value: string) => string | undefined> = {
  SECONDS: (v) =>
    /^\d+(\.\d+)?$/.test(v) && Number(v) > 0 && Number(v) <= MAX_SECONDS
      ? undefined
      : `must be a positive number of seconds, at most ${MAX_SECONDS}`,
  BYTES: (v) => /^\d{1,9}$/.test(v) ? undefined : "must be a whole number of bytes",
  DIR: (v) => {
    if (!v.startsWith("/")) return "must be an absolute path";
    return statOf(v)?.isDirectory === false ? "is not a directory" : undefined;
  },
  FILE: (v) => statOf(v)?.isDirectory ? "is a directory, not a file" : undefined,
  NAME: (v) =>
    PLAIN_NAME.test(v) ? undefined : "may only hold A-Z a-z 0-9 _ . - (a letter or digit first)",
  "SYSTEM-ID": (v) =>
    PLAIN_NAME.test(v) && v.length <= 63
      ? undefined
      : "may only hold A-Z a-z 0-9 _ . - (a letter or digit first, at most 63)",
};

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function statOf(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch {
    return undefined; // absent (or unreadable): the subcommand that uses it says why
  }
}

/** Parsed flags by canonical name: strings for value flags, `true` for boolean ones. */
export type Flags = Record<string, string | true>;

/**
 * Parses argv against the flag specs.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./args.ts";
 * const f = parseFlags(["--cluster_subnet=10.0.0.0/8", "--json"], [
 *   { name: "cluster-subnet", value: "CIDR", help: "" },
 *   { name: "json", help: "" },
 * ]);
 * if (f["cluster-subnet"] !== "10.0.0.0/8" || f.json !== true) throw new Error();
 * ```
 */
export function parseFlags(argv: string[], specs: FlagSpec[]): Flags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags: Flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-h" && byName.has("help")) {
      flags.help = true;
      continue;
    }
    if (!arg.startsWith("--") || arg === "--") {
      throw new UsageError(`unexpected argument "${arg}"`);
    }
    const eq = arg.indexOf("=");
    const typed = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const name = typed.replaceAll("_", "-");
    const spec = byName.get(name);
    if (!spec) {
      const near = closest(name, [...byName.keys()]);
      const spelled = near && typed.includes("_") ? near.replaceAll("-", "_") : near;
      throw new UsageError(
        `unknown option "--${typed}"${near ? ` (did you mean --${spelled}?)` : ""}`,
      );
    }
    if (!spec.value) {
      if (eq >= 0) throw new UsageError(`option "--${name}" takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) value = argv[++i];
    if (value === undefined || value === "") {
      throw new UsageError(`option "--${name}" needs a value (${spec.value})`);
    }
    if (CONTROL.test(value)) {
      throw new UsageError(`--${typed}=${JSON.stringify(value)} holds control characters`);
    }
    const problem = KINDS[spec.value]?.(value);
    if (problem) throw new UsageError(`--${typed}=${value} ${problem}`);
    flags[name] = value;
  }
  return flags;
}

/** Help lines for a list of flags, aligned. */
export function formatFlags(specs: FlagSpec[]): string {
  const left = specs.map((s) => `  --${s.name}${s.value ? `=${s.value}` : ""}`);
  const width = Math.max(...left.map((l) => l.length)) + 2;
  return specs.map((s, i) => left[i].padEnd(width) + s.help).join("\n");
}

/**
 * Every one of `names` must be given; one error names all that are missing.
 *
 * @example
 * ```ts
 * import { requireFlags } from "./args.ts";
 * try {
 *   requireFlags({ a: "1" }, ["a", "b-c", "d"]);
 *   throw new Error("not reached");
 * } catch (e) {
 *   if ((e as Error).message !== "--b_c and --d are required") throw e;
 * }
 * ```
 */
export function requireFlags(flags: Flags, names: string[]): void {
  const missing = names.filter((n) => typeof flags[n] !== "string").map((n) =>
    `--${n.replaceAll("-", "_")}`
  );
  if (missing.length === 1) throw new UsageError(`${missing[0]} is required`);
  if (missing.length) {
    throw new UsageError(
      `${missing.slice(0, -1).join(", ")} and ${missing[missing.length - 1]} are required`,
    );
  }
}

/** The candidate within edit distance 2 of `name` (or a prefix match), if any. */
function closest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = c.startsWith(name) && name.length >= 3 ? 1 : editDistance(name, c);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/** A value flag that must be there; the error names it the way the how-to spells it. */
export function requiredFlag(flags: Flags, name: string): string {
  const v = flags[name];
  if (typeof v !== "string") throw new UsageError(`--${name.replaceAll("-", "_")} is required`);
  return v;
}
