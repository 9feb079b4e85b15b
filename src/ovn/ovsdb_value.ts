/** Pure helpers for the value syntax of the OVSDB command-line tools. */

/** Quotes a string for the `ovs-vsctl`/`ovn-nbctl` database syntax. */
export function quote(value: string): string {
  return JSON.stringify(value);
}

/** `column:"key"="value"` for setting one map entry with `set`. */
export function mapEntry(column: string, key: string, value: string): string {
  return `${column}:${quote(key)}=${quote(value)}`;
}

/** `set` arguments for several external_ids entries at once. */
export function externalIds(ids: Record<string, string>): string[] {
  return Object.entries(ids).map(([k, v]) => mapEntry("external_ids", k, v));
}

/**
 * Parses one value as printed by `get`/`--bare`: a quoted or bare string, or
 * `[]` for none.
 *
 * @example
 * ```ts
 * import { parseString } from "./ovsdb_value.ts";
 * if (parseString('"0a:58:00:00:00:01 10.0.0.2"') !== "0a:58:00:00:00:01 10.0.0.2") throw new Error();
 * if (parseString("[]") !== undefined) throw new Error();
 * ```
 */
export function parseString(text: string): string | undefined {
  const t = text.trim();
  if (t === "" || t === "[]") return undefined;
  if (t.startsWith('"')) return JSON.parse(t);
  return t;
}

/**
 * Parses a map as printed by `get`, e.g. `{a="1", "b/c"=d}`.
 *
 * @example
 * ```ts
 * import { parseMap } from "./ovsdb_value.ts";
 * const m = parseMap('{"ovn-mesos/role"=host-port, x="a b"}');
 * if (m["ovn-mesos/role"] !== "host-port" || m.x !== "a b") throw new Error();
 * ```
 */
export function parseMap(text: string): Record<string, string> {
  const t = text.trim();
  const out: Record<string, string> = {};
  if (!t.startsWith("{") || t === "{}") return out;
  const tokens = tokenize(t.slice(1, -1));
  for (let i = 0; i + 2 < tokens.length + 1; i += 4) {
    // key = value [,]
    const key = tokens[i], eq = tokens[i + 1], value = tokens[i + 2];
    if (eq !== "=" || value === undefined) break;
    out[key] = value;
  }
  return out;
}

/** Splits `a="x y", b=c` into ["a", "=", "x y", ",", "b", "=", "c"]. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === " ") {
      i++;
    } else if (ch === "=" || ch === ",") {
      tokens.push(ch);
      i++;
    } else if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      tokens.push(JSON.parse(text.slice(i, j + 1)));
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !"=, ".includes(text[j])) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

/** Parses a set as printed by `get`, e.g. `["a b", c]` or a single bare value. */
export function parseSet(text: string): string[] {
  const t = text.trim();
  if (t === "" || t === "[]") return [];
  if (!t.startsWith("[")) return [parseString(t)!];
  return tokenize(t.slice(1, -1)).filter((x) => x !== ",");
}

/** A value decoded from `--format=json` output. */
export type JsonValue = string | number | boolean | string[] | Record<string, string>;

/**
 * Decodes `--format=json` table output into one record per row, turning
 * `["map", …]`, `["set", …]` and `["uuid", …]` into plain values.
 *
 * @example
 * ```ts
 * import { parseJsonTable } from "./ovsdb_value.ts";
 * const rows = parseJsonTable('{"data":[["sw",["map",[["subnet","10.0.0.0/24"]]]]],"headings":["name","other_config"]}');
 * if ((rows[0].other_config as Record<string, string>).subnet !== "10.0.0.0/24") throw new Error();
 * ```
 */
export function parseJsonTable(text: string): Record<string, JsonValue>[] {
  if (!text.trim()) return [];
  const t = JSON.parse(text) as { data: unknown[][]; headings: string[] };
  return t.data.map((row) => Object.fromEntries(row.map((v, i) => [t.headings[i], decode(v)])));
}

function decode(v: unknown): JsonValue {
  if (!Array.isArray(v)) return v as string | number | boolean;
  const [kind, inner] = v as [string, unknown];
  if (kind === "map") {
    return Object.fromEntries(
      (inner as [unknown, unknown][]).map(([k, x]) => [String(decode(k)), String(decode(x))]),
    );
  }
  if (kind === "set") return (inner as unknown[]).map((x) => String(decode(x)));
  return String(inner);
}
