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
