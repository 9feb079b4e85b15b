/**
 * A small OVSDB client (RFC 7047, JSON-RPC over a unix or TCP stream) for the
 * plugin's hot path: one connection per database instead of one `ovn-nbctl`
 * or `ovs-vsctl` process per step, and server-side waits ("wait" operations)
 * instead of polling.
 */

/** One operation of a transaction (RFC 7047 section 5.2). */
export type Op = Record<string, unknown>;

/** A failed transaction or request, with the server's error and details. */
export class OvsdbError extends Error {
  override name = "OvsdbError";
  constructor(msg: string, readonly error = "", readonly details = "") {
    super(msg);
  }
}

/** The database could not be reached or did not answer in time. */
export class OvsdbUnreachable extends OvsdbError {
  override name = "OvsdbUnreachable";
}

/**
 * Splits a byte stream of concatenated JSON texts into whole texts.
 *
 * @example
 * ```ts
 * import { JsonStream } from "./ovsdb.ts";
 * const s = new JsonStream();
 * const got = [...s.push('{"a":"}"}{"b"'), ...s.push(":[1]}")];
 * if (got.length !== 2 || got[1] !== '{"b":[1]}') throw new Error();
 * ```
 */
export class JsonStream {
  #buf = "";
  #depth = 0;
  #inString = false;
  #escape = false;
  #scanned = 0;

  /** Adds text; returns every JSON text completed by it. */
  push(text: string): string[] {
    this.#buf += text;
    const out: string[] = [];
    let start = 0;
    for (let i = this.#scanned; i < this.#buf.length; i++) {
      const ch = this.#buf[i];
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (ch === "\\") this.#escape = true;
        else if (ch === '"') this.#inString = false;
      } else if (ch === '"') {
        this.#inString = true;
      } else if (ch === "{" || ch === "[") {
        this.#depth++;
      } else if (ch === "}" || ch === "]") {
        if (--this.#depth === 0) {
          out.push(this.#buf.slice(start, i + 1).trim());
          start = i + 1;
        }
      }
    }
    this.#buf = this.#buf.slice(start);
    this.#scanned = this.#buf.length;
    return out;
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** One connection to one OVSDB server. */
export class OvsdbClient {
  #conn: Deno.Conn;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #closed: Error | undefined;
  #writing: Promise<void> = Promise.resolve();
  #encoder = new TextEncoder();

  private constructor(conn: Deno.Conn, readonly remote: string) {
    this.#conn = conn;
    this.#readLoop();
  }

  /**
   * Connects to `unix:PATH` or `tcp:HOST:PORT`; a comma-separated list (a
   * clustered database) is tried in order.
   */
  static async connect(remotes: string, timeoutMs: number): Promise<OvsdbClient> {
    const errors: string[] = [];
    for (const remote of remotes.split(",").map((r) => r.trim()).filter(Boolean)) {
      try {
        const conn = await withTimeout(dial(remote), timeoutMs, `connecting to ${remote}`);
        return new OvsdbClient(conn, remote);
      } catch (e) {
        errors.push(`${remote}: ${(e as Error).message}`);
      }
    }
    throw new OvsdbUnreachable(`cannot connect to the database (${errors.join("; ")})`);
  }

  /** Sends one request and waits for its reply. */
  request(method: string, params: unknown[], timeoutMs: number): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    const reply = new Promise<unknown>((resolve, reject) =>
      this.#pending.set(id, { resolve, reject })
    );
    this.#send({ method, params, id }).catch((e) => this.#fail(e));
    return withTimeout(reply, timeoutMs, `${method} on ${this.remote}`).finally(() =>
      this.#pending.delete(id)
    );
  }

  /**
   * Runs the operations as one transaction; throws when any operation
   * failed. `timeoutMs` bounds the whole call, including "wait" operations.
   */
  async transact(db: string, ops: Op[], timeoutMs: number): Promise<Record<string, unknown>[]> {
    const results = await this.request("transact", [db, ...ops], timeoutMs) as
      | (Record<string, unknown> | null)[]
      | null;
    for (const [i, r] of (results ?? []).entries()) {
      if (r && typeof r.error === "string") {
        const what = i < ops.length ? `${ops[i].op} on ${ops[i].table}` : "commit";
        throw new OvsdbError(
          `${what}: ${r.error}${r.details ? ` (${r.details})` : ""}`,
          r.error,
          String(r.details ?? ""),
        );
      }
    }
    return (results ?? []) as Record<string, unknown>[];
  }

  close(): void {
    this.#fail(new OvsdbUnreachable("connection closed"));
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }

  /** Writes one message whole; messages never interleave, however many are sent at once. */
  #send(msg: unknown): Promise<void> {
    const bytes = this.#encoder.encode(JSON.stringify(msg));
    const write = async () => {
      for (let n = 0; n < bytes.length;) n += await this.#conn.write(bytes.subarray(n));
    };
    const sent = this.#writing.then(write, write);
    this.#writing = sent.catch(() => {});
    return sent;
  }

  #fail(e: Error): void {
    this.#closed ??= e instanceof OvsdbError ? e : new OvsdbUnreachable(e.message);
    for (const p of this.#pending.values()) p.reject(this.#closed);
    this.#pending.clear();
  }

  async #readLoop(): Promise<void> {
    const stream = new JsonStream();
    const decoder = new TextDecoder();
    const buf = new Uint8Array(65536);
    try {
      while (true) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        for (const text of stream.push(decoder.decode(buf.subarray(0, n), { stream: true }))) {
          this.#dispatch(JSON.parse(text));
        }
      }
      this.#fail(new OvsdbUnreachable(`${this.remote} closed the connection`));
    } catch (e) {
      if (!this.#closed) this.#fail(e as Error);
    }
  }

  #dispatch(
    msg: { id?: unknown; method?: string; params?: unknown; result?: unknown; error?: unknown },
  ) {
    if (msg.method === "echo") {
      this.#send({ id: msg.id, result: msg.params, error: null }).catch(() => {});
      return;
    }
    if (msg.method !== undefined) return; // notifications: none subscribed
    const p = this.#pending.get(msg.id as number);
    if (!p) return;
    if (msg.error) {
      const err = msg.error as { error?: string; details?: string } | string;
      const text = typeof err === "string" ? err : `${err.error ?? "error"}: ${err.details ?? ""}`;
      p.reject(new OvsdbError(text));
    } else {
      p.resolve(msg.result);
    }
  }
}

function dial(remote: string): Promise<Deno.Conn> {
  if (remote.startsWith("unix:")) return Deno.connect({ transport: "unix", path: remote.slice(5) });
  const m = /^tcp:(.+):(\d+)$/.exec(remote);
  if (m) return Deno.connect({ hostname: m[1].replace(/^\[|\]$/g, ""), port: Number(m[2]) });
  return Promise.reject(new Error(`unsupported remote "${remote}"`));
}

/** Rejects with OvsdbUnreachable when `p` takes longer than `ms`. */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  // AbortSignal.timeout, not setTimeout: Deno's first setTimeout costs ~10 ms.
  const signal = AbortSignal.timeout(ms);
  let onAbort = () => {};
  const timeout = new Promise<never>((_, reject) => {
    onAbort = () => reject(new OvsdbUnreachable(`${what}: no answer within ${ms} ms`));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([p, timeout]).finally(() => signal.removeEventListener("abort", onAbort));
}

/**
 * Deletes rows of a non-root table by name: drops them from whichever rows of
 * `parent` hold them in `column`, and the server garbage-collects them.
 * Absent names are no error.
 */
export async function detachByName(
  db: OvsdbClient,
  dbName: string,
  child: { table: string; names: string[] },
  parent: { table: string; column: string },
  timeoutMs: number,
): Promise<void> {
  if (!child.names.length) return;
  const selects = child.names.map((name) => ({
    op: "select",
    table: child.table,
    where: [["name", "==", name]],
    columns: ["_uuid"],
  }));
  const found = await db.transact(dbName, selects, timeoutMs);
  const uuids = found.flatMap((r) => (r.rows as { _uuid: unknown }[]).map((row) => row._uuid));
  if (!uuids.length) return;
  const mutations = uuids.map((u) => ({
    op: "mutate",
    table: parent.table,
    where: [[parent.column, "includes", u]],
    mutations: [[parent.column, "delete", u]],
  }));
  await db.transact(dbName, mutations, timeoutMs);
}

/** The external_ids of the rows whose external_ids include every entry of `ids`. */
export async function selectByExternalIds(
  db: OvsdbClient,
  dbName: string,
  table: string,
  ids: Record<string, string>,
  timeoutMs: number,
): Promise<Record<string, string>[]> {
  const [r] = await db.transact(dbName, [{
    op: "select",
    table,
    where: [["external_ids", "includes", ovsMap(ids)]],
    columns: ["external_ids"],
  }], timeoutMs);
  return (r.rows as { external_ids: ["map", [string, string][]] }[]).map((row) =>
    Object.fromEntries(row.external_ids[1])
  );
}

/** `["map", [[k, v], ...]]`. */
export function ovsMap(entries: Record<string, string>): unknown {
  return ["map", Object.entries(entries)];
}

/** The atoms of a set column's value. */
export function setValues(v: unknown): unknown[] {
  return Array.isArray(v) && v[0] === "set" ? v[1] as unknown[] : [v];
}
