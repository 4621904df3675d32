// The embedded database served over the wire protocol: PGlite is one session, so the owner's own
// statements and its clients' must never run inside one another's transactions.
import { connect } from "node:net";
import { protocol, type PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createPglite } from "../../src/db/client.ts";
import { serveEmbedded, type EmbeddedServer } from "../../src/db/embedded-server.ts";

const PASSWORD = "the owner record's token";

describe("the embedded database's server", () => {
  let pglite: PGlite;
  let server: EmbeddedServer;
  const clients: pg.Client[] = [];

  beforeEach(async () => {
    pglite = await createPglite();
    await pglite.exec("CREATE TABLE t (who text, v int)");
    server = await serveEmbedded(pglite, PASSWORD);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
    await server.close(1000);
    await pglite.close();
  });

  async function client(password = PASSWORD): Promise<pg.Client> {
    const c = new pg.Client({
      host: "127.0.0.1",
      port: server.port,
      user: "postgres",
      database: "postgres",
      password,
    });
    c.on("error", () => undefined);
    await c.connect();
    clients.push(c);
    return c;
  }
  const rows = async (who: string) =>
    (await pglite.query<{ v: number }>("SELECT v FROM t WHERE who = $1 ORDER BY v", [who])).rows.map(
      (r) => r.v,
    );

  it("runs the owner's statements outside a client's transaction, after it", async () => {
    const c = await client();
    await c.query("BEGIN");
    await c.query("INSERT INTO t VALUES ('client', 1)");
    // The owner writes while the client's transaction is open: it must wait, not join it.
    let ownerDone = false;
    const owner = pglite.query("INSERT INTO t VALUES ('owner', 2)").then(() => (ownerDone = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ownerDone).toBe(false);
    await c.query("ROLLBACK");
    await owner;
    expect(await rows("client")).toEqual([]);
    expect(await rows("owner")).toEqual([2]);
  });

  it("runs a client's statements outside the owner's transaction", async () => {
    const c = await client();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const ownerTx = pglite
      .transaction(async (tx) => {
        await tx.query("INSERT INTO t VALUES ('owner', 1)");
        await held;
        await tx.rollback();
      })
      .catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const write = c.query("INSERT INTO t VALUES ('client', 2)");
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    await ownerTx;
    await write;
    expect(await rows("owner")).toEqual([]);
    expect(await rows("client")).toEqual([2]);
  });

  it("keeps concurrent transactions and queries of several clients and the owner apart", async () => {
    const [a, b, c] = await Promise.all([client(), client(), client()]);
    const transaction = async (conn: pg.Client, who: string, commit: boolean) => {
      await conn.query("BEGIN");
      for (let v = 0; v < 5; v++) {
        await conn.query("INSERT INTO t VALUES ($1, $2)", [who, v]);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const seen = await conn.query<{ n: number }>("SELECT count(*)::int AS n FROM t WHERE who = $1", [who]);
      await conn.query(commit ? "COMMIT" : "ROLLBACK");
      return seen.rows[0]!.n;
    };
    // Parameterized statements (Parse, Bind, Execute, Sync) from every side at once: each must get
    // its own parameter back, never another's.
    const echoes = (query: (value: number) => Promise<{ rows: { x: number }[] }>, base: number) =>
      Promise.all(
        Array.from({ length: 20 }, async (_, i) => (await query(base + i)).rows[0]!.x === base + i),
      );
    const echo = "SELECT $1::int AS x";
    const results = await Promise.all([
      transaction(a, "a", true),
      transaction(b, "b", false),
      pglite.transaction(async (tx) => {
        for (let v = 0; v < 5; v++) await tx.query("INSERT INTO t VALUES ('owner', $1)", [v]);
        return (await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM t WHERE who = 'owner'"))
          .rows[0]!.n;
      }),
      echoes((v) => c.query<{ x: number }>(echo, [v]), 1000),
      echoes((v) => pglite.query<{ x: number }>(echo, [v]), 2000),
    ]);
    expect(results.slice(0, 3)).toEqual([5, 5, 5]);
    expect(results[3].every(Boolean)).toBe(true);
    expect(results[4].every(Boolean)).toBe(true);
    expect(await rows("a")).toEqual([0, 1, 2, 3, 4]);
    expect(await rows("b")).toEqual([]);
    expect(await rows("owner")).toEqual([0, 1, 2, 3, 4]);
  });

  it("rolls back the transaction of a client that goes away, and lets the others go on", async () => {
    const gone = await client();
    await gone.query("BEGIN");
    await gone.query("INSERT INTO t VALUES ('gone', 1)");
    // Another client waits for its turn (connecting takes one too) while the first one is killed:
    // its socket closes without a word.
    const waiting = client().then((c) => c.query("INSERT INTO t VALUES ('next', 2)"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    (gone as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await waiting;
    expect(await rows("gone")).toEqual([]);
    expect(await rows("next")).toEqual([2]);
    expect(pglite.isInTransaction()).toBe(false);
  });

  it("ends an extended-protocol exchange that a client left after an error", async () => {
    // Parse fails; PostgreSQL then skips every message until Sync, which this client never sends.
    const socket = connect(server.port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(protocol.serialize.startup({ user: "postgres", database: "postgres" }));
    socket.write(protocol.serialize.password(PASSWORD));
    socket.write(protocol.serialize.parse({ text: "SELECT nonsense FROM nowhere" }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.destroy();
    const c = await client();
    expect((await c.query<{ x: number }>("SELECT $1::int AS x", [7])).rows).toEqual([{ x: 7 }]);
    expect((await pglite.query<{ x: number }>("SELECT 8 AS x")).rows).toEqual([{ x: 8 }]);
  });

  it("carries a statement of megabytes (a shard's writes) in many chunks", async () => {
    const c = await client();
    const big = "x".repeat(8_000_000);
    const r = await c.query<{ n: number }>("SELECT length($1::text) AS n", [big]);
    expect(r.rows).toEqual([{ n: big.length }]);
  });

  it("refuses a client without the owner's password", async () => {
    await expect(client("guess")).rejects.toThrow(/password authentication failed/);
    const raw = connect(server.port, "127.0.0.1");
    await new Promise((resolve) => raw.once("connect", resolve));
    // Statements before the password are not run.
    raw.write(protocol.serialize.startup({ user: "postgres", database: "postgres" }));
    raw.write(protocol.serialize.query("INSERT INTO t VALUES ('intruder', 1)"));
    let reply = "";
    raw.on("data", (d: Buffer) => (reply += d.toString()));
    await new Promise((resolve) => raw.once("close", resolve));
    expect(reply).toContain("password authentication failed");
    expect(await rows("intruder")).toEqual([]);
    expect((await (await client()).query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });

  it("drops the connections left at close, rolling their transactions back", async () => {
    const c = await client();
    await c.query("BEGIN");
    await c.query("INSERT INTO t VALUES ('late', 1)");
    await server.close(100);
    expect(server.connections()).toBe(0);
    expect(await rows("late")).toEqual([]);
    await expect(client()).rejects.toThrow(/ECONNREFUSED/);
  });
});
