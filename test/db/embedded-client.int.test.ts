// A process that reaches the embedded database through its owner: pg on PGlite's one session, so
// nothing is prepared under a name, migrations are checked rather than run, and Prisma and `sql`
// behave as they do in the owner.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DatabaseUnavailableError,
  migrateDatabase,
  openDatabase,
  PREPARED,
  type Database,
} from "../../src/db/client.ts";
import { DEFAULT_MIGRATIONS_DIR } from "../../src/db/schema-engine.ts";
import { tempDir } from "../support/files.ts";

describe("the embedded database through its owner", () => {
  let owner: Database;
  let client: Database;
  let dataDir: string;

  beforeEach(async () => {
    dataDir = tempDir();
    owner = await openDatabase({ dataDir });
    await migrateDatabase(owner);
    // A second open of the same directory (here in the same process) reaches it through the owner.
    client = await openDatabase({ dataDir });
  });
  afterEach(async () => {
    await client?.close();
    await owner?.close();
  });

  it("is the owner's database, as PGlite", async () => {
    expect(owner.servedBy).toBeUndefined();
    expect(client).toMatchObject({ kind: "pglite", servedBy: { pid: process.pid, role: "command" } });
    await client.prisma.workspace.create({ data: { slug: "acme", name: "Acme" } });
    expect((await owner.prisma.workspace.findMany()).map((w) => w.slug)).toEqual(["acme"]);
  });

  it("sends PREPARED statements unnamed: every connection shares one session", async () => {
    // Two connections of the pool at once: a name prepared by one would already exist for the other.
    const text = `${PREPARED} SELECT $1::int AS n, pg_sleep(0.05)::text AS slept`;
    const rows = await Promise.all([1, 2, 3, 4].map((n) => client.sql.query<{ n: number }>(text, [n])));
    expect(rows.map((r) => r[0]!.n)).toEqual([1, 2, 3, 4]);
  });

  it("reads rows with the types the hot reads rely on, as the owner does", async () => {
    const text = `SELECT $1::int AS n, $2::float8 AS x, $3::text AS t, ($1::int > 1) AS b,
                         json_build_object('list', json_build_array(1, 'a')) AS j, $4::text[] AS tags`;
    const params = [7, 0.25, "it's", ["a", "b"]];
    expect(await client.sql.query(text, params)).toEqual(await owner.sql.query(text, params));
  });

  it("runs Prisma's and `sql`'s transactions whole beside the owner's statements", async () => {
    await owner.prisma.workspace.create({ data: { slug: "acme", name: "Acme" } });
    await Promise.all([
      client.prisma.$transaction(async (tx) => {
        await tx.workspace.update({ where: { slug: "acme" }, data: { name: "Acme 2" } });
        await tx.workspace.create({ data: { slug: "globex", name: "Globex" } });
      }),
      client.sql
        .transaction(async (execute) => {
          await execute(`INSERT INTO workspaces (slug, name) VALUES ('initech', 'Initech')`, []);
          throw new Error("rolled back");
        })
        .catch(() => undefined),
      owner.prisma.workspace.create({ data: { slug: "hooli", name: "Hooli" } }),
    ]);
    const slugs = (await owner.prisma.workspace.findMany({ orderBy: { slug: "asc" } })).map((w) => w.slug);
    expect(slugs).toEqual(["acme", "globex", "hooli"]);
  });

  it("checks the owner's migrations instead of running the schema engine", async () => {
    expect(await migrateDatabase(client)).toEqual([]);
    // A newer css-bot knows a migration the running owner has not applied.
    const newer = path.join(tempDir(), "migrations");
    cpSync(DEFAULT_MIGRATIONS_DIR, newer, { recursive: true });
    mkdirSync(path.join(newer, "29991231000000_next"));
    writeFileSync(path.join(newer, "29991231000000_next", "migration.sql"), "CREATE TABLE next (id int);");
    const check = migrateDatabase(client, { migrationsDir: newer });
    await expect(check).rejects.toThrow(DatabaseUnavailableError);
    await expect(check).rejects.toThrow(/has not applied 29991231000000_next: restart it/);
    // Nothing was applied behind the owner's back.
    expect(await owner.sql.query(`SELECT to_regclass('next')::text AS t`, [])).toEqual([{ t: null }]);
  });

  it("is served, once the owner's own command is done, until the commands that came to it are", async () => {
    const dir = tempDir();
    const done = await openDatabase({ dataDir: dir });
    await migrateDatabase(done);
    const working = await openDatabase({ dataDir: dir });
    let closed = false;
    const closing = done.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(closed).toBe(false);
    // The command still working, and one that comes now, are served.
    await working.prisma.workspace.create({ data: { slug: "acme", name: "Acme" } });
    const late = await openDatabase({ dataDir: dir });
    expect(late.servedBy).toBeDefined();
    await late.prisma.workspace.create({ data: { slug: "late", name: "Late" } });
    await late.close();
    await working.close();
    await closing;
    // Then the next command opens the files itself, with everything in them.
    const next = await openDatabase({ dataDir: dir });
    expect(next.servedBy).toBeUndefined();
    expect((await next.prisma.workspace.findMany({ orderBy: { slug: "asc" } })).map((w) => w.slug)).toEqual([
      "acme",
      "late",
    ]);
    await next.close();
  });
});
