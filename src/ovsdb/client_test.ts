import assert from "node:assert/strict";
import { Database } from "./client.ts";
import { OvsdbUnreachable } from "./errors.ts";
import { JsonStream } from "./json_stream.ts";
import { atoms } from "./ops.ts";
import { SocketTransport } from "./transport.ts";

Deno.test("JsonStream splits concatenated JSON texts across chunk boundaries", () => {
  const s = new JsonStream();
  const texts = [
    '{"id":1,"result":["a}b",{"x":"\\"{"}]}',
    ' {"method":"echo","params":[]}\n',
    '{"id":2}',
  ];
  const all = texts.join("");
  for (const size of [1, 2, 3, 7, all.length]) {
    const got: string[] = [];
    for (let i = 0; i < all.length; i += size) got.push(...s.push(all.slice(i, i + size)));
    assert.deepEqual(
      got.map((t) => JSON.parse(t)),
      texts.map((t) => JSON.parse(t)),
      `chunks of ${size}`,
    );
  }
});

Deno.test("atoms() reads sets and single atoms", () => {
  assert.deepEqual(atoms(["set", []]), []);
  assert.deepEqual(atoms("dynamic"), ["dynamic"]);
  assert.deepEqual(atoms(["set", ["a", "b"]]), ["a", "b"]);
});

Deno.test("Database.open() names every member it could not reach", async () => {
  const err = await Database.open("unix:/nonexistent/a.sock,tcp:127.0.0.1:1", "db", {
    timeoutMs: 1000,
  }).catch((e) => e);
  assert.ok(err instanceof OvsdbUnreachable);
  assert.match(err.message, /unix:\/nonexistent\/a\.sock: .*; tcp:127\.0\.0\.1:1: /);
});

Deno.test("SocketTransport answers echo, matches replies by id, and times out", async () => {
  const path = await Deno.makeTempFile({ suffix: ".sock" });
  await Deno.remove(path);
  const listener = Deno.listen({ transport: "unix", path });
  const server = (async () => {
    const conn = await listener.accept();
    const enc = new TextEncoder();
    const stream = new JsonStream();
    const buf = new Uint8Array(4096);
    // Ask the client for an echo first, then answer its two requests in reverse order.
    await conn.write(enc.encode('{"id":"e1","method":"echo","params":["ping"]}'));
    const got: { id: unknown; method?: string }[] = [];
    while (got.length < 3) {
      const n = await conn.read(buf);
      if (n === null) break;
      got.push(
        ...stream.push(new TextDecoder().decode(buf.subarray(0, n))).map((t) => JSON.parse(t)),
      );
    }
    const reqs = got.filter((m) => m.method === "transact");
    for (const r of reqs.reverse()) {
      await conn.write(
        enc.encode(JSON.stringify({ id: r.id, result: [{ count: r.id }], error: null })),
      );
    }
    return got;
  })();
  const c = await SocketTransport.connect({ kind: "unix", path }, 1000);
  try {
    const [a, b] = await Promise.all([
      c.request("transact", ["db"], 2000) as Promise<{ count: number }[]>,
      c.request("transact", ["db"], 2000) as Promise<{ count: number }[]>,
    ]);
    assert.equal(a[0].count, 1);
    assert.equal(b[0].count, 2);
    const seen = await server;
    assert.deepEqual(seen.find((m) => m.id === "e1"), { id: "e1", result: ["ping"], error: null });
    const late = await c.request("list_dbs", [], 100).catch((e) => e);
    assert.ok(late instanceof OvsdbUnreachable, String(late));
  } finally {
    c.close();
    listener.close();
    await Deno.remove(path).catch(() => {});
  }
});

Deno.test("SocketTransport.close() fails pending requests at once", async () => {
  const path = await Deno.makeTempFile({ suffix: ".sock" });
  await Deno.remove(path);
  const listener = Deno.listen({ transport: "unix", path });
  const accepted = listener.accept();
  const c = await SocketTransport.connect({ kind: "unix", path }, 1000);
  try {
    const pending = c.request("list_dbs", [], 60_000);
    c.close();
    const err = await pending.catch((e) => e);
    assert.ok(err instanceof OvsdbUnreachable, String(err));
  } finally {
    (await accepted).close();
    listener.close();
    await Deno.remove(path).catch(() => {});
  }
});

// ---------------------------------------------------------------- clusters, with fake members

/** What a fake member does with a transaction on its database. */
type OnTransact = (params: unknown[]) => unknown | "drop" | "hang";

/** A fake cluster member on a unix socket: answers `_Server` from `row()`, the rest by `onTransact`. */
async function fakeMember(
  row: () => Record<string, unknown> | undefined,
  onTransact: OnTransact = () => [{ count: 1 }],
) {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/db.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const conns = new Set<Deno.Conn>();
  /** The databases of the transactions received, in order ("_Server" for the leader checks). */
  const received: string[] = [];
  const serve = async (conn: Deno.Conn) => {
    conns.add(conn);
    const stream = new JsonStream();
    const buf = new Uint8Array(65536);
    const send = (m: unknown) => conn.write(new TextEncoder().encode(JSON.stringify(m)));
    try {
      for (let n; (n = await conn.read(buf)) !== null;) {
        for (const text of stream.push(new TextDecoder().decode(buf.subarray(0, n)))) {
          const msg = JSON.parse(text) as { id: unknown; method: string; params: unknown[] };
          received.push(String(msg.params[0]));
          if (msg.params[0] === "_Server") {
            const r = row();
            await send({ id: msg.id, result: [{ rows: r ? [r] : [] }], error: null });
            continue;
          }
          const reply = onTransact(msg.params);
          if (reply === "hang") continue;
          if (reply === "drop") {
            conn.close();
            return;
          }
          await send({ id: msg.id, result: reply, error: null });
        }
      }
    } catch { /* closed */ }
    conns.delete(conn);
  };
  (async () => {
    try {
      for await (const conn of listener) serve(conn);
    } catch { /* closed */ }
  })();
  return {
    remote: `unix:${path}`,
    received,
    /** Stops listening and drops every connection (a killed member). */
    kill() {
      try {
        listener.close();
      } catch { /* already */ }
      for (const c of conns) {
        try {
          c.close();
        } catch { /* already */ }
      }
    },
    async [Symbol.asyncDispose]() {
      this.kill();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const LEADER = { name: "db", model: "clustered", connected: true, leader: true };
const FOLLOWER = { ...LEADER, leader: false };

Deno.test("Database.open() takes the connected leader, not a follower first in the list", async () => {
  await using a = await fakeMember(() => FOLLOWER);
  await using b = await fakeMember(() => ({ ...LEADER, connected: false }));
  await using c = await fakeMember(() => LEADER);
  const db = await Database.open(`${a.remote},${b.remote},${c.remote}`, "db", { timeoutMs: 2000 });
  try {
    assert.equal(db.remote, c.remote);
    await db.transact([{ op: "comment", comment: "x" }]);
    assert.deepEqual([a.received, b.received, c.received], [["_Server"], ["_Server"], [
      "_Server",
      "db",
    ]]);
  } finally {
    db.close();
  }
});

Deno.test("Database.open() of one remote asks no _Server", async () => {
  await using a = await fakeMember(() => FOLLOWER);
  const db = await Database.open(a.remote, "db", { timeoutMs: 2000 });
  await db.transact([{ op: "comment", comment: "x" }]);
  db.close();
  assert.deepEqual(a.received, ["db"]);
});

Deno.test("Database.open() asks the next member when one hangs, without waiting its timeout", async () => {
  await using b = await fakeMember(() => LEADER);
  // A member that accepts connections but never answers.
  await using silent = await (async () => {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/s.sock`;
    const l = Deno.listen({ transport: "unix", path });
    const held: Deno.Conn[] = [];
    (async () => {
      try {
        for await (const c of l) held.push(c);
      } catch { /* closed */ }
    })();
    return {
      remote: `unix:${path}`,
      async [Symbol.asyncDispose]() {
        l.close();
        for (const c of held) c.close();
        await Deno.remove(dir, { recursive: true });
      },
    };
  })();
  const t0 = performance.now();
  const db = await Database.open(`${silent.remote},${b.remote}`, "db", { timeoutMs: 5000 });
  const ms = performance.now() - t0;
  db.close();
  assert.equal(db.remote, b.remote);
  assert.ok(ms < 1500, `open took ${ms} ms`);
});

Deno.test("Database.open() waits for an election, and fails at once when no member answers", async () => {
  let electedAt = Infinity;
  const t0 = Date.now();
  await using a = await fakeMember(() => FOLLOWER);
  await using b = await fakeMember(() => (Date.now() >= electedAt ? LEADER : FOLLOWER));
  electedAt = t0 + 400;
  const db = await Database.open(`${a.remote},${b.remote}`, "db", { timeoutMs: 5000 });
  db.close();
  assert.equal(db.remote, b.remote);
  assert.ok(Date.now() >= electedAt);

  const noLeader = await Database.open(`${a.remote},${a.remote}`, "db", { timeoutMs: 500 })
    .catch((e) => e);
  assert.ok(noLeader instanceof OvsdbUnreachable);
  assert.match(noLeader.message, /not the cluster leader; .*not the cluster leader\)$/);

  a.kill();
  b.kill();
  const t1 = performance.now();
  const none = await Database.open(`${a.remote},${b.remote}`, "db", { timeoutMs: 5000 })
    .catch((e) => e);
  assert.ok(none instanceof OvsdbUnreachable);
  assert.ok(performance.now() - t1 < 1000, "no member answers: no waiting");
});

Deno.test("transact() moves on to the new leader when the leader's connection drops, or it is no longer leader", async () => {
  let leader = "a";
  await using a = await fakeMember(
    () => (leader === "a" ? LEADER : FOLLOWER),
    () => {
      leader = "b";
      return "drop";
    },
  );
  let bTransactions = 0;
  await using b = await fakeMember(() => (leader === "b" ? LEADER : FOLLOWER), () => {
    if (++bTransactions === 2) {
      leader = "c"; // the second transaction: b has lost its leadership meanwhile
      return [{}, { error: "cluster error", details: "not leader" }];
    }
    return [{ count: 7 }];
  });
  await using c = await fakeMember(() => (leader === "c" ? LEADER : FOLLOWER), () => [{
    count: 8,
  }]);
  const db = await Database.open(`${a.remote},${b.remote},${c.remote}`, "db", {
    timeoutMs: 3000,
  });
  try {
    assert.equal(db.remote, a.remote);
    const [r] = await db.transact([{ op: "comment", comment: "1" }]);
    assert.equal(r.count, 7, "answered by b");
    const [r2] = await db.transact([{ op: "comment", comment: "2" }]);
    assert.equal(r2.count, 8, "answered by c");
    assert.equal(db.remote, c.remote);
  } finally {
    db.close();
  }
});

Deno.test("transact() sends nothing again after a timeout, and a single server is never left", async () => {
  await using a = await fakeMember(() => LEADER, () => "hang");
  await using b = await fakeMember(() => FOLLOWER);
  const db = await Database.open(`${a.remote},${b.remote}`, "db", { timeoutMs: 2000 });
  const err = await db.transact([{ op: "comment", comment: "x" }], 300).catch((e) => e);
  db.close();
  assert.ok(err instanceof OvsdbUnreachable);
  assert.match(err.message, /no answer within/);
  assert.deepEqual(b.received, [], "b was not asked: a answered in time that it leads");

  await using s = await fakeMember(() => LEADER, () => "drop");
  const one = await Database.open(s.remote, "db", { timeoutMs: 2000 });
  const lost = await one.transact([{ op: "comment", comment: "x" }]).catch((e) => e);
  one.close();
  assert.ok(lost instanceof OvsdbUnreachable);
  assert.deepEqual(s.received, ["db"]);
});
