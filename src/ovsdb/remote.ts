/**
 * OVSDB remotes as OVS tools take them: `unix:PATH`, `tcp:HOST:PORT`,
 * `ssl:HOST:PORT`, and a comma-separated list of them for a clustered
 * database. Parsed here and nowhere else.
 */

/** One server address. */
export type Remote =
  | { kind: "unix"; path: string }
  | { kind: "tcp" | "ssl"; host: string; port: number };

/** The OVS PKI files an `ssl:` remote is reached with. */
export interface SslFiles {
  privateKey: string;
  certificate: string;
  caCert: string;
}

/** A remote that cannot be parsed. */
export class BadRemote extends Error {
  override name = "BadRemote";
}

/**
 * Parses one remote or a comma-separated list (the members of a cluster).
 *
 * @example
 * ```ts
 * import { parseRemotes } from "./remote.ts";
 * const [a, b] = parseRemotes("unix:/run/ovn/nb.sock, tcp:[::1]:6641");
 * if (a.kind !== "unix" || b.kind !== "tcp" || b.host !== "::1" || b.port !== 6641) {
 *   throw new Error();
 * }
 * ```
 */
export function parseRemotes(text: string): Remote[] {
  const parts = text.split(",").map((r) => r.trim());
  if (parts.length === 1 && !parts[0]) throw new BadRemote(`no database remote given`);
  if (parts.some((p) => !p)) throw new BadRemote(`"${text}" has an empty member in its list`);
  return parts.map(parseRemote);
}

function parseRemote(text: string): Remote {
  if (text.startsWith("unix:") && text.length > 5) return { kind: "unix", path: text.slice(5) };
  const m = /^(tcp|ssl):(\[[0-9a-fA-F:.]+\]|[^\s:\[\]]+):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || !(port > 0 && port < 65536)) {
    throw new BadRemote(
      `"${text}" is not a database remote (unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT)`,
    );
  }
  return { kind: m[1] as "tcp" | "ssl", host: m[2].replace(/^\[|\]$/g, ""), port };
}

/**
 * The remote as OVS tools write it.
 *
 * @example
 * ```ts
 * import { formatRemote } from "./remote.ts";
 * if (formatRemote({ kind: "ssl", host: "::1", port: 6641 }) !== "ssl:[::1]:6641") throw new Error();
 * ```
 */
export function formatRemote(r: Remote): string {
  if (r.kind === "unix") return `unix:${r.path}`;
  return `${r.kind}:${r.host.includes(":") ? `[${r.host}]` : r.host}:${r.port}`;
}

/** True when any member of the list is reached over SSL. */
export function usesSsl(text: string): boolean {
  return text.split(",").some((r) => r.trim().startsWith("ssl:"));
}
