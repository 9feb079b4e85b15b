/** The OVN Northbound database, through `ovn-nbctl`. */
import { type Command, runCtl } from "./ctl.ts";

/** How to reach the Northbound database. */
export interface NbConnection {
  /** One remote or a comma-separated list (a clustered NB), e.g. `tcp:10.0.0.1:6641`. */
  remote: string;
  /** For `ssl:` remotes. */
  privateKey?: string;
  certificate?: string;
  caCert?: string;
}

/** The ovn-nbctl options that select and authenticate the database. */
export function nbOptions(conn: NbConnection): string[] {
  const opts = [`--db=${conn.remote}`];
  if (conn.remote.split(",").some((r) => r.trim().startsWith("ssl:"))) {
    if (conn.privateKey) opts.push(`--private-key=${conn.privateKey}`);
    if (conn.certificate) opts.push(`--certificate=${conn.certificate}`);
    if (conn.caCert) opts.push(`--ca-cert=${conn.caCert}`);
  }
  return opts;
}

/** Options of one Northbound transaction. */
export interface NbTransactOptions {
  timeoutSec?: number;
  /** Wait for northd (`sb`) or for every hypervisor (`hv`) to catch up. */
  wait?: "sb" | "hv";
}

/** Runs the commands as one Northbound transaction; returns each command's output. */
export function nbctl(
  conn: NbConnection,
  commands: Command[],
  opts: NbTransactOptions = {},
): Promise<string[]> {
  const options = nbOptions(conn);
  if (opts.wait) options.push(`--wait=${opts.wait}`);
  return runCtl("ovn-nbctl", options, commands, opts.timeoutSec ?? 10);
}

/** One `find` command for the given columns (printed as JSON, see `parseJsonTable`). */
export function findCommand(table: string, columns: string[], conditions: string[]): string[] {
  return [`--columns=${columns.join(",")}`, "find", table, ...conditions];
}
