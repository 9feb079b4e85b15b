/**
 * One database on one OVSDB server: open it (choosing the leader of a
 * cluster), run transactions on it. The only way the program reads or writes
 * NB and the local Open vSwitch.
 *
 * ```ts ignore
 * const nb = await Database.open("tcp:127.0.0.1:6641", "OVN_Northbound", { timeoutMs: 5000 });
 * const [r] = await nb.transact([select("Logical_Router", [eq("name", "mesos-router")])]);
 * nb.close();
 * ```
 */
import { OvsdbError, OvsdbUnreachable } from "./errors.ts";
import { entries, type Op, type OpResult, type Row } from "./ops.ts";
import { formatRemote, parseRemotes, type SslFiles } from "./remote.ts";
import { openTransport, type Transport } from "./transport.ts";

/** How to open a database. */
export interface OpenOptions {
  /** Bounds connecting and, by default, each transaction. */
  timeoutMs: number;
  /** For `ssl:` remotes. */
  ssl?: SslFiles;
}

/** One database, reached through one transport. */
export class Database {
  constructor(
    readonly transport: Transport,
    readonly name: string,
    readonly timeoutMs: number,
  ) {}

  /** Where it is (for messages). */
  get remote(): string {
    return this.transport.remote;
  }

  /**
   * Opens `name` at `remotes`. A list is a cluster: its members are tried in
   * order and the first that is the connected leader is taken, as OVN's own
   * tools do (a follower answers reads and waits from a copy that may lag).
   */
  static async open(remotes: string, name: string, opts: OpenOptions): Promise<Database> {
    const members = parseRemotes(remotes);
    const errors: string[] = [];
    for (const member of members) {
      let db: Database | undefined;
      try {
        db = new Database(
          await openTransport(member, opts.timeoutMs, opts.ssl),
          name,
          opts.timeoutMs,
        );
        if (members.length === 1) return db;
        const why = await db.#notLeader();
        if (!why) return db;
        errors.push(`${formatRemote(member)}: ${why}`);
      } catch (e) {
        errors.push(`${formatRemote(member)}: ${(e as Error).message}`);
      }
      db?.close();
    }
    throw new OvsdbUnreachable(`cannot reach database ${name} (${errors.join("; ")})`);
  }

  /** Why this member should not be used, or undefined when it is the (connected) leader. */
  async #notLeader(): Promise<string | undefined> {
    const reply = await this.transport.request("transact", [
      "_Server",
      { op: "select", table: "Database", where: [["name", "==", this.name]] },
    ], this.timeoutMs) as OpResult[];
    const row = reply[0]?.rows?.[0];
    if (!row) return `it does not serve ${this.name}`;
    if (row.model !== "clustered") return undefined;
    if (row.connected !== true) return "not connected to its cluster yet";
    if (row.leader !== true) return "not the cluster leader";
    return undefined;
  }

  /**
   * Runs the operations as one transaction and returns each one's result;
   * throws an {@link OvsdbError} naming the operation that failed.
   * `timeoutMs` bounds the whole call, including server-side waits.
   */
  async transact(ops: Op[], timeoutMs = this.timeoutMs): Promise<OpResult[]> {
    if (!ops.length) return [];
    const results = (await this.transport.request("transact", [this.name, ...ops], timeoutMs)
      .catch((e) => {
        if (!(e instanceof OvsdbUnreachable) || e.message.startsWith("cannot reach")) throw e;
        throw new OvsdbUnreachable(`cannot reach ${this.name}: ${e.message}`);
      }) ?? []) as (OpResult | null)[];
    for (const [i, r] of results.entries()) {
      if (r && typeof r.error === "string") {
        const op = ops[i];
        const what = op ? `${op.op}${"table" in op ? ` on ${op.table}` : ""}` : "commit";
        throw new OvsdbError(
          `${what}: ${r.error}${r.details ? ` (${r.details})` : ""}`,
          r.error,
          String(r.details ?? ""),
          op,
        );
      }
    }
    return results as OpResult[];
  }

  /** The rows each `select` operation found, in order (one transaction: one consistent view). */
  async read(selects: Op[], timeoutMs = this.timeoutMs): Promise<Row[][]> {
    return (await this.transact(selects, timeoutMs)).map((r) => r.rows ?? []);
  }

  close(): void {
    this.transport.close();
  }
}

/** The external_ids of each row (a helper for callers that read by external_ids). */
export function externalIdsOf(rows: Row[]): Record<string, string>[] {
  return rows.map((r) => entries(r.external_ids));
}
