/**
 * A small command-line parser for the driver: `--flag=value`, `--flag value`,
 * boolean `--flag`, and both spellings of every flag (`--cluster_subnet` and
 * `--cluster-subnet`). Unknown flags and stray arguments are errors.
 */
import { UsageError } from "./errors.ts";

/** One flag: its canonical (dashed) name, whether it takes a value, and its help text. */
export interface FlagSpec {
  name: string;
  value?: string;
  help: string;
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
    if (!arg.startsWith("--") || arg === "--") {
      throw new UsageError(`unexpected argument "${arg}"`);
    }
    const eq = arg.indexOf("=");
    const name = (eq < 0 ? arg.slice(2) : arg.slice(2, eq)).replaceAll("_", "-");
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown option "--${name}"`);
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

/** A value flag that must be there; the error names it the way the how-to spells it. */
export function requiredFlag(flags: Flags, name: string): string {
  const v = flags[name];
  if (typeof v !== "string") throw new UsageError(`--${name.replaceAll("-", "_")} is required`);
  return v;
}
