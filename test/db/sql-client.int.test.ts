// The driver-level client (db.sql) that bulk writes use: one transaction on one connection, committed
// whole or not at all, on both backends; and on PostgreSQL, a connection lost mid-transaction fails
// the transaction without taking the process down.
import { afterEach, describe, expect, it } from "vitest";
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
