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
import type { Op, OpResult, Row } from "./ops.ts";
import { formatRemote, parseRemotes, type Remote, type SslFiles } from "./remote.ts";
import { openTransport, RequestTimeout, type Transport } from "./transport.ts";

/** How to open a database. */
export interface OpenOptions {
  /** Bounds connecting and, by default, each transaction. */
  timeoutMs: number;
  /** For `ssl:` remotes. */
  ssl?: SslFiles;
}

/** How long a cluster member may take to answer before the next one is asked as well. */
const STAGGER_MS = 250;
/** Pause between two rounds over the members while the cluster has no leader (an election). */
const ELECTION_POLL_MS = 100;
/**
 * Errors with which a cluster member refuses or loses a transaction
 * (`"cluster error"`, details from raft): another member is the leader now.
 */
const CLUSTER_RETRY = /^(not leader|lost leadership|server shutdown)$/;

/** The members of a clustered database, for moving on to the next leader. */
interface Cluster {
  members: Remote[];
  ssl?: SslFiles;
}

/** One database, reached through one transport (for a cluster: its leader's). */
export class Database {
  #transport: Transport;
  #cluster: Cluster | undefined;
  #moving: Promise<void> | undefined;
  #closed = false;

  constructor(
    transport: Transport,
    readonly name: string,
    readonly timeoutMs: number,
    cluster?: Cluster,
  ) {
    this.#transport = transport;
    this.#cluster = cluster;
  }

  /** The transport in use (the leader's, for a cluster). */
  get transport(): Transport {
    return this.#transport;
  }

  /** Where it is (for messages). */
  get remote(): string {
    return this.#transport.remote;
  }

  /**
   * Opens `name` at `remotes`. A list is a cluster: the member that is the
   * connected leader is taken, as OVN's own tools do (a follower answers reads
   * and waits from a copy that may lag, and a member that has just restarted
   * serves its old copy until it has caught up). The members are asked in
   * order, the next one as well when one has not answered within 250 ms (so a
   * hung member costs that, not the whole timeout). While the members answer
   * but none is the leader (an election), they are asked again until one is
   * or `timeoutMs` has passed; when none answers at all, it fails at once.
   */
  static async open(remotes: string, name: string, opts: OpenOptions): Promise<Database> {
    const members = parseRemotes(remotes);
    if (members.length === 1) {
      return new Database(
        await openTransport(members[0], opts.timeoutMs, opts.ssl),
        name,
        opts.timeoutMs,
      );
    }
    const transport = await findLeader(members, name, opts.ssl, Date.now() + opts.timeoutMs);
    return new Database(transport, name, opts.timeoutMs, { members, ssl: opts.ssl });
  }

  /**
   * Runs the operations as one transaction and returns each one's result;
   * throws an {@link OvsdbError} naming the operation that failed.
   * `timeoutMs` bounds the whole call, including server-side waits.
   *
   * On a cluster, a transaction whose connection to the leader was lost, or
   * that the member refused or lost because it is no longer the leader, is
   * sent again to the new leader within the same `timeoutMs`. It may then
   * run twice (a lost connection does not tell whether it was committed):
   * the program's writes are guarded (`wait` on what was read: a second run
   * fails its guard and is planned again), idempotent (updates, removals), or
   * inserts of a uniquely named row (a second run fails on the index, which
   * the caller handles).
   */
  async transact(ops: Op[], timeoutMs = this.timeoutMs): Promise<OpResult[]> {
    if (!ops.length) return [];
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1;; attempt++) {
      const transport = this.#transport;
      let results: (OpResult | null)[];
      try {
        results = (await transport.request(
          "transact",
          [this.name, ...ops],
          Math.max(1, deadline - Date.now()),
        ) ?? []) as (OpResult | null)[];
      } catch (e) {
        if (this.#mayMoveOn(e, deadline, attempt)) {
          await this.#moveOn(transport, deadline, e as Error);
          continue;
        }
        if (!(e instanceof OvsdbUnreachable) || e.message.startsWith("cannot reach")) throw e;
        const wrapped = new OvsdbUnreachable(`cannot reach ${this.name}: ${e.message}`);
        wrapped.unsent = e.unsent;
        throw wrapped;
      }
      const refused = results.find((r) => r?.error === "cluster error");
      if (refused && this.#mayMoveOn(refused, deadline, attempt)) {
        await this.#moveOn(transport, deadline, new OvsdbError(String(refused.details)));
        continue;
      }
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
  }

  /** The rows each `select` operation found, in order (one transaction: one consistent view). */
  async read(selects: Op[], timeoutMs = this.timeoutMs): Promise<Row[][]> {
    return (await this.transact(selects, timeoutMs)).map((r) => r.rows ?? []);
  }

  close(): void {
    this.#closed = true;
    this.#transport.close();
  }

  /**
   * True when a failed request should go to the cluster's (new) leader: its
   * connection was lost (not timed out: that time is spent), or the member
   * refused or lost it as a non-leader; time is left, and it was not tried
   * too often.
   */
  #mayMoveOn(e: unknown, deadline: number, attempt: number): boolean {
    if (!this.#cluster || this.#closed || attempt > 3 || Date.now() >= deadline) return false;
    if (e instanceof RequestTimeout) return false;
    if (e instanceof OvsdbUnreachable) return true;
    const r = e as OpResult;
    return r?.error === "cluster error" && CLUSTER_RETRY.test(String(r.details ?? ""));
  }

  /**
   * Replaces the failed transport by the current leader's. Requests that
   * failed together (the same transport) share one search.
   */
  async #moveOn(failed: Transport, deadline: number, why: Error): Promise<void> {
    if (this.#transport !== failed) return; // another request moved on already
    this.#moving ??= (async () => {
      try {
        const next = await findLeader(
          this.#cluster!.members,
          this.name,
          this.#cluster!.ssl,
          deadline,
        );
        if (this.#closed) next.close();
        else this.#transport = next;
        failed.close();
      } catch (e) {
        throw new OvsdbUnreachable(
          `${(e as Error).message}, after ${failed.remote}: ${why.message}`,
        );
      } finally {
        this.#moving = undefined;
      }
    })();
    await this.#moving;
  }
}

/** What asking one member found. */
interface Probe {
  /** Open to the member, when it is the connected leader. */
  transport?: Transport;
  /** Why not. */
  why?: string;
  /** It may become the leader soon (it answers, but an election or catch-up is on). */
  soon?: boolean;
}

/**
 * The transport of the member that is the connected leader. Rounds over the
 * members go on while some answer that they are not (yet) the connected
 * leader, until `deadline`.
 */
async function findLeader(
  members: Remote[],
  name: string,
  ssl: SslFiles | undefined,
  deadline: number,
): Promise<Transport> {
  while (true) {
    const round = await probeRound(members, name, ssl, deadline);
    if (round.transport) return round.transport;
    const why = round.errors.join("; ");
    if (!round.soon || deadline - Date.now() <= ELECTION_POLL_MS) {
      throw new OvsdbUnreachable(`cannot reach database ${name} (${why})`);
    }
    await new Promise((r) => setTimeout(r, ELECTION_POLL_MS));
  }
}

/**
 * Asks the members in order, starting the next one when the previous has
 * failed or has not answered within {@link STAGGER_MS}; resolves with the
 * first that is the connected leader (closing any other that turns out to be
 * one later), else once all have answered.
 */
function probeRound(
  members: Remote[],
  name: string,
  ssl: SslFiles | undefined,
  deadline: number,
): Promise<{ transport?: Transport; soon: boolean; errors: string[] }> {
  return new Promise((resolve) => {
    const errors: string[] = [];
    let started = 0, settled = 0, soon = false, done = false;
    let stagger: AbortSignal | undefined;
    // Connections still being asked: closed when the round is decided (a hung member's
    // request then fails at once instead of holding on until the deadline).
    const asking = new Set<Transport>();
    const track = (t: Transport) => {
      if (done) return false;
      asking.add(t);
      return true;
    };
    const finish = (transport?: Transport) => {
      done = true;
      for (const t of asking) if (t !== transport) t.close();
      resolve({ transport, soon, errors: errors.filter(Boolean) });
    };
    const startNext = () => {
      if (done || started >= members.length) return;
      const i = started++;
      probe(members[i], name, ssl, deadline, track).then((p) => {
        settled++;
        if (p.transport) {
          if (done) p.transport.close();
          else finish(p.transport);
          return;
        }
        soon ||= p.soon ?? false;
        errors[i] = `${formatRemote(members[i])}: ${p.why}`;
        if (settled === members.length) finish();
        else if (started === settled) startNext();
      });
      if (started < members.length) {
        // AbortSignal.timeout, not setTimeout: Deno's first setTimeout costs ~10 ms.
        const signal = stagger = AbortSignal.timeout(STAGGER_MS);
        signal.addEventListener("abort", () => {
          if (stagger === signal) startNext();
        }, { once: true });
      }
    };
    startNext();
  });
}

/**
 * Connects to one member and asks its `_Server` database whether it is the
 * connected leader. `track` is told of the connection (false: no longer needed).
 */
async function probe(
  member: Remote,
  name: string,
  ssl: SslFiles | undefined,
  deadline: number,
  track: (t: Transport) => boolean,
): Promise<Probe> {
  let transport: Transport | undefined;
  try {
    transport = await openTransport(member, Math.max(1, deadline - Date.now()), ssl);
    if (!track(transport)) {
      transport.close();
      return { why: "not needed" };
    }
    const reply = await transport.request("transact", [
      "_Server",
      { op: "select", table: "Database", where: [["name", "==", name]] },
    ], Math.max(1, deadline - Date.now())) as OpResult[];
    const row = reply[0]?.rows?.[0];
    let why: string | undefined;
    if (!row) why = `it does not serve ${name}`;
    else if (row.model !== "clustered") why = undefined;
    else if (row.connected !== true) why = "not connected to its cluster yet";
    else if (row.leader !== true) why = "not the cluster leader";
    if (!why) return { transport };
    transport.close();
    return { why, soon: row !== undefined };
  } catch (e) {
    transport?.close();
    return { why: (e as Error).message };
  }
}
