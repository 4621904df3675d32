// The driver-level client (db.sql) that bulk writes and hot reads use: one transaction on one
// connection, committed whole or not at all, on both backends; reads whose rows have the same types
// on both; and on PostgreSQL, prepared statements kept per connection, and a connection lost
// mid-transaction failing the transaction without taking the process down.
import { afterEach, describe, expect, it } from "vitest";
import { PREPARED } from "../../src/db/client.ts";
import { BACKENDS, createTestDatabase, type TestDatabase } from "../support/databases.ts";

describe.each(BACKENDS)("db.sql on %s", (backend) => {
  let db: TestDatabase;
  afterEach(async () => db?.close());

  const slugs = async () =>
    (await db.prisma.workspace.findMany({ orderBy: { slug: "asc" } })).map((w) => w.slug);

  it("commits a transaction's statements together, with array parameters, and counts their rows", async () => {
    db = await createTestDatabase(backend);
    const count = await db.sql.transaction(async (execute) => {
      const inserted = await execute(
        `INSERT INTO workspaces (slug, name) SELECT s, s FROM unnest($1::text[]) AS s`,
        [["acme", "globex"]],
      );
      const renamed = await execute(`UPDATE workspaces SET name = upper(name) WHERE slug = $1`, ["acme"]);
      return inserted + renamed;
    });
    expect(count).toBe(3);
    expect(await slugs()).toEqual(["acme", "globex"]);
    expect((await db.prisma.workspace.findUniqueOrThrow({ where: { slug: "acme" } })).name).toBe("ACME");
  });

  it("reads rows with the types the hot reads rely on, the same on both backends", async () => {
    db = await createTestDatabase(backend);
    const rows = await db.sql.query<Record<string, unknown>>(
      `SELECT $1::int AS n, $2::float8 AS x, $3::text AS t, ($1::int > 1) AS b, NULL::text AS missing,
              json_build_object('as_of', to_char(date '2026-11-26', 'YYYY-MM-DD'), 'list', json_build_array(1, 'a')) AS j,
              $4::text[] AS tags`,
      [7, 0.25, "it's <b>", ["a", "b"]],
    );
    expect(rows).toEqual([
      {
        n: 7,
        x: 0.25,
        t: "it's <b>",
        b: true,
        missing: null,
        j: { as_of: "2026-11-26", list: [1, "a"] },
        tags: ["a", "b"],
      },
    ]);
    expect(await db.sql.query(`SELECT 1 AS one WHERE false`, [])).toEqual([]);
  });

  it("runs a prepared read again with other parameters, and fails a bad one with the database's message", async () => {
    db = await createTestDatabase(backend);
    const read = (slug: string) =>
      db.sql.query<{ slug: string }>(`${PREPARED} SELECT slug FROM workspaces WHERE slug = $1`, [slug]);
    await db.prisma.workspace.createMany({
      data: [
        { slug: "acme", name: "Acme" },
        { slug: "globex", name: "Globex" },
      ],
    });
    for (let i = 0; i < 12; i++) {
      expect(await read(i % 2 === 0 ? "acme" : "globex")).toEqual([
        { slug: i % 2 === 0 ? "acme" : "globex" },
      ]);
    }
    await expect(db.sql.query(`SELECT nope FROM workspaces`, [])).rejects.toThrow(
      /column "nope" does not exist/,
    );
    expect(await read("acme")).toEqual([{ slug: "acme" }]);
  });

  it("reads rows inside a transaction: its own writes and its local settings", async () => {
    db = await createTestDatabase(backend);
    const seen = await db.sql.transaction(async (execute, read) => {
      await execute(`SELECT set_config('jit', 'off', true)`, []);
      await execute(`INSERT INTO workspaces (slug, name) VALUES ($1, $1)`, ["acme"]);
      return read<{ slug: string; jit: string }>(
        `SELECT slug, current_setting('jit') AS jit FROM workspaces WHERE slug = $1`,
        ["acme"],
      );
    });
    expect(seen).toEqual([{ slug: "acme", jit: "off" }]);
  });

  it("writes nothing when a statement fails, and serves the next transaction", async () => {
    db = await createTestDatabase(backend);
    await expect(
      db.sql.transaction(async (execute) => {
        await execute(`INSERT INTO workspaces (slug, name) VALUES ($1, $1)`, ["initech"]);
        await execute(`INSERT INTO workspaces (slug, name) VALUES ($1, $1)`, ["initech"]);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await slugs()).toEqual([]);
    await db.sql.transaction((execute) =>
      execute(`INSERT INTO workspaces (slug, name) VALUES ($1, $1)`, ["hooli"]),
    );
    expect(await slugs()).toEqual(["hooli"]);
  });
});

describe("db.sql on postgres", () => {
  let db: TestDatabase;
  afterEach(async () => db?.close());

  const slugs = async () =>
    (await db.prisma.workspace.findMany({ orderBy: { slug: "asc" } })).map((w) => w.slug);

  it("prepares a PREPARED read once per connection, under the name Prisma's statements of it use", async () => {
    db = await createTestDatabase("postgres");
    const text = `${PREPARED} SELECT count(*)::int AS n FROM workspaces WHERE slug <> $1`;
    // One at a time, so each takes the pool's most recently released connection: the same one.
    for (let i = 0; i < 5; i++) expect(await db.sql.query(text, [`x${i}`])).toEqual([{ n: 0 }]);
    expect(await db.prisma.$queryRawUnsafe(text, "y")).toEqual([{ n: 0 }]);
    const prepared = await db.sql.query<{ name: string }>(
      `SELECT name FROM pg_prepared_statements WHERE statement = $1`,
      [text],
    );
    expect(prepared).toHaveLength(1);
    expect(prepared[0]!.name).toMatch(/^css_[0-9a-f]{24}$/);
  });

  it("fails the transaction when its connection is lost between statements, and goes on", async () => {
    db = await createTestDatabase("postgres");
    await expect(
      db.sql.transaction(async (execute) => {
        await execute(`INSERT INTO workspaces (slug, name) VALUES ($1, $1)`, ["umbrella"]);
        // Another session ends this one's backend; the error event arrives between statements.
        const sessions = await db.prisma.$queryRawUnsafe<{ pid: number }[]>(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`,
        );
        expect(sessions).toHaveLength(1);
        await db.prisma.$queryRawUnsafe(`SELECT pg_terminate_backend($1)`, sessions[0]!.pid);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await execute(`INSERT INTO workspaces (slug, name) VALUES ($1, $1)`, ["stark"]);
      }),
    ).rejects.toThrow();
    expect(await slugs()).toEqual([]);
    await db.sql.transaction((execute) =>
      execute(`INSERT INTO workspaces (slug, name) VALUES ($1, $1)`, ["wayne"]),
    );
    expect(await slugs()).toEqual(["wayne"]);
  });
});
