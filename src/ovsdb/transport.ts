/**
 * How requests reach one OVSDB server. A transport moves JSON-RPC requests
 * and replies; it knows nothing of databases or transactions.
 *
 * - {@link SocketTransport}: one long-lived `unix:` or `tcp:` stream.
 * - {@link ProcessTransport}: one `ovsdb-client` process per request, for
 *   `ssl:` remotes. OVS PKI certificates carry no host names, which Deno's
 *   TLS insists on; `ovsdb-client` verifies them the way every OVS tool does
 *   (against the CA, not a name) and speaks the same JSON.
 */
import { formatArgv, run } from "../exec.ts";
import { OvsdbError, OvsdbUnreachable } from "./errors.ts";
import { JsonStream } from "./json_stream.ts";
import { formatRemote, type Remote, type SslFiles } from "./remote.ts";

/** One server, requests in, replies out. */
export interface Transport {
  /** The remote as OVS tools write it (for messages). */
  readonly remote: string;
  /** Sends one request; resolves with its `result`, rejects with its `error`. */
  request(method: string, params: unknown[], timeoutMs: number): Promise<unknown>;
  close(): void;
}

/** Opens the right transport for a remote. */
export function openTransport(
  remote: Remote,
  timeoutMs: number,
  ssl?: SslFiles,
): Promise<Transport> {
  if (remote.kind === "ssl") {
    if (!ssl) {
      return Promise.reject(
        new OvsdbError(`${formatRemote(remote)} needs a private key, certificate and CA`),
      );
    }
    return Promise.resolve(new ProcessTransport(remote, ssl));
  }
  return SocketTransport.connect(remote, timeoutMs);
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** JSON-RPC over one unix or TCP connection; answers the server's echo requests. */
export class SocketTransport implements Transport {
  #conn: Deno.Conn;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #closed: Error | undefined;
  #writing: Promise<void> = Promise.resolve();
  /** Messages being written or waiting to be. */
  #writes = 0;
  #encoder = new TextEncoder();

  private constructor(conn: Deno.Conn, readonly remote: string) {
    this.#conn = conn;
    this.#readLoop();
  }

  static async connect(remote: Remote, timeoutMs: number): Promise<SocketTransport> {
    const text = formatRemote(remote);
    const dial: Promise<Deno.Conn> = remote.kind === "unix"
      ? Deno.connect({ transport: "unix", path: remote.path })
      : Deno.connect({ hostname: remote.host, port: remote.port });
    dial.catch(() => {}); // a late failure after our timeout is nobody's business
    try {
      return new SocketTransport(await withTimeout(dial, timeoutMs, `connecting to ${text}`), text);
    } catch (e) {
      if (e instanceof OvsdbUnreachable) throw e;
      throw new OvsdbUnreachable(`cannot connect to ${text}: ${(e as Error).message}`);
    }
  }

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

  close(): void {
    this.#fail(new OvsdbUnreachable("connection closed"));
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }

  /**
   * Writes one message whole; messages never interleave, however many are sent
   * at once. With nothing being written, the write starts before this returns
   * (not in a later microtask), so a request is on its way while the caller's
   * synchronous work goes on.
   */
  #send(msg: unknown): Promise<void> {
    const bytes = this.#encoder.encode(JSON.stringify(msg));
    const write = async () => {
      for (let n = 0; n < bytes.length;) n += await this.#conn.write(bytes.subarray(n));
    };
    const sent = this.#writes === 0 ? write() : this.#writing.then(write, write);
    this.#writes++;
    this.#writing = sent.catch(() => {}).then(() => {
      this.#writes--;
    });
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
    if (msg.error) p.reject(replyError(msg.error));
    else p.resolve(msg.result);
  }
}

/**
 * One `ovsdb-client` process per request (its `transact`, which takes the
 * same JSON as the protocol's params and prints the same JSON result).
 */
export class ProcessTransport implements Transport {
  readonly remote: string;
  constructor(remote: Remote, readonly ssl: SslFiles) {
    this.remote = formatRemote(remote);
  }

  async request(method: string, params: unknown[], timeoutMs: number): Promise<unknown> {
    if (method !== "transact") {
      throw new OvsdbError(`${method} is not available over ovsdb-client`);
    }
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const argv = [
      "ovsdb-client",
      `--timeout=${seconds}`,
      `--private-key=${this.ssl.privateKey}`,
      `--certificate=${this.ssl.certificate}`,
      `--ca-cert=${this.ssl.caCert}`,
      "transact",
      this.remote,
      JSON.stringify(params),
    ];
    const r = await run(argv, { allowFailure: true, timeoutMs: timeoutMs + 2000 });
    if (r.code === 0) return JSON.parse(r.stdout);
    const why = r.stderr.trim().split("\n").pop() ?? `exit status ${r.code}`;
    const m = /transaction returned error: (.*)$/.exec(why);
    if (m) throw replyError(m[1]);
    const hint = /Protocol error|certificate|SSL/i.test(r.stderr)
      ? " (do the CA certificate, private key and certificate match the server's?)"
      : "";
    const e = new OvsdbUnreachable(`${this.remote}: ${why || formatArgv(argv.slice(0, 2))}${hint}`);
    // ovsdb-client sends nothing until it is connected (and the TLS handshake is done).
    e.unsent = /failed to connect/.test(r.stderr);
    throw e;
  }

  close(): void {}
}

function replyError(err: unknown): OvsdbError {
  if (typeof err === "string") {
    try {
      return replyError(JSON.parse(err));
    } catch {
      return new OvsdbError(err, err);
    }
  }
  const e = err as { error?: string; details?: string };
  return new OvsdbError(`${e.error ?? "error"}: ${e.details ?? ""}`, e.error, e.details);
}

/**
 * A request (or a connection) that got no answer in time. Unlike a lost
 * connection, the time it was given is spent: nothing is tried again.
 */
export class RequestTimeout extends OvsdbUnreachable {
  override name = "RequestTimeout";
}

/** Rejects with {@link RequestTimeout} when `p` takes longer than `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  // AbortSignal.timeout, not setTimeout: Deno's first setTimeout costs ~10 ms.
  const signal = AbortSignal.timeout(ms);
  let onAbort = () => {};
  const timeout = new Promise<never>((_, reject) => {
    onAbort = () => reject(new RequestTimeout(`${what}: no answer within ${ms} ms`));
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([p, timeout]).finally(() => signal.removeEventListener("abort", onAbort));
}
