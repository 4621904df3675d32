import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase, openDatabase, scratchPgliteFactory } from "../../src/db/client.ts";
import {
  applyMigrations,
  diffMigrationsToSchema,
  readMigrations,
  type MigrationList,
} from "../../src/db/schema-engine.ts";
import { BACKENDS, createTestDatabase, type TestDatabase } from "../support/databases.ts";

const schemaFile = new URL("../../prisma/schema.prisma", import.meta.url);

let committed: MigrationList;
let committedNames: string[];

beforeAll(async () => {
  committed = await readMigrations();
  committedNames = committed.migrationDirectories.map((dir) => dir.path);
});

describe("drift between prisma/schema.prisma and prisma/migrations", () => {
  it("is none: the committed migrations produce exactly the schema", async () => {
    const schema = await readFile(schemaFile, "utf8");
    const diff = await diffMigrationsToSchema(scratchPgliteFactory(), { from: committed, schema });
    // If this fails, run `npm run db:new-migration -- <name>` and commit the migration it writes.
    expect(diff).toEqual({ exitCode: 0, sql: "" });
  });

  it("is detected, with the SQL of the missing migration, when the schema changes", async () => {
    const schema = (await readFile(schemaFile, "utf8")).replace(
      "model AccountWatch {",
      "model AccountWatch {\n  note String?",
    );
    const diff = await diffMigrationsToSchema(scratchPgliteFactory(), { from: committed, schema });
    expect(diff.exitCode).toBe(2);
    expect(diff.sql).toContain('ALTER TABLE "account_watches" ADD COLUMN');
  });
});

describe.each(BACKENDS)("migrations on %s", (backend) => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it("apply to an empty database, and a second run applies nothing", async () => {
    db = await createTestDatabase(backend, { empty: true });
    expect(await migrateDatabase(db)).toEqual(committedNames);
    expect(await migrateDatabase(db)).toEqual([]);
    // The schema is usable through Prisma Client.
    const workspace = await db.prisma.workspace.create({ data: { slug: "acme", name: "Acme" } });
    expect(workspace.settings).toEqual({});
  });

  it("are recorded in _prisma_migrations as `prisma migrate deploy` records them", async () => {
    db = await createTestDatabase(backend);
    const columns = await db.prisma.$queryRaw<{ column_name: string }[]>`
      SELECT column_name FROM information_schema.columns
      WHERE table_name = '_prisma_migrations' ORDER BY column_name`;
    expect(columns.map((c) => c.column_name)).toEqual([
      "applied_steps_count",
      "checksum",
      "finished_at",
      "id",
      "logs",
      "migration_name",
      "rolled_back_at",
      "started_at",
    ]);
    const rows = await db.prisma.$queryRaw<MigrationRow[]>`
      SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count
      FROM _prisma_migrations ORDER BY migration_name`;
    expect(rows.map((row) => row.migration_name)).toEqual(committedNames);
    for (const [i, row] of rows.entries()) {
      // Prisma compares this checksum to detect an edited migration.
      const sql = committed.migrationDirectories[i]?.migrationFile.content.value ?? "";
      expect(row.checksum).toBe(createHash("sha256").update(sql).digest("hex"));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("run a script whole: a ';' inside a literal is not a statement boundary", async () => {
    db = await createTestDatabase(backend);
    const applied = await applyMigrations(db.adapterFactory, {
      migrations: withExtra(
        committed,
        "semicolon",
        "CREATE TABLE t (v text DEFAULT 'a;b'); INSERT INTO t DEFAULT VALUES;",
      ),
    });
    expect(applied).toEqual(["99999999999999_semicolon"]);
    expect(await db.prisma.$queryRaw`SELECT v FROM t`).toEqual([{ v: "a;b" }]);
  });

  it("report a failing migration, roll it back whole, and do not record it as applied", async () => {
    db = await createTestDatabase(backend);
    const failing = withExtra(committed, "broken", "CREATE TABLE t2 (id int); SELECT nonsense FROM nowhere;");
    // The engine words PostgreSQL's "relation ... does not exist" as "No such table".
    await expect(applyMigrations(db.adapterFactory, { migrations: failing })).rejects.toThrow(/nowhere/);
    const [row] = await db.prisma.$queryRaw<MigrationRow[]>`
      SELECT migration_name, finished_at FROM _prisma_migrations WHERE migration_name LIKE '%broken'`;
    expect(row?.finished_at).toBeNull();
    expect(await db.prisma.$queryRaw`SELECT to_regclass('t2')::text AS t`).toEqual([{ t: null }]);
  });

  it("can create the pg_trgm extension", async () => {
    db = await createTestDatabase(backend);
    await db.prisma.$executeRaw`CREATE EXTENSION IF NOT EXISTS pg_trgm`;
    expect(await db.prisma.$queryRaw`SELECT similarity('acme', 'acme') AS s`).toEqual([{ s: 1 }]);
  });

  it("delete an account's metric observations with it (a statement trigger, not a foreign key)", async () => {
    const d = (db = await createTestDatabase(backend));
    const ws = await d.prisma.workspace.create({ data: { slug: "w", name: "w" } });
    const [a, b] = await Promise.all(
      ["a", "b"].map((id) =>
        d.prisma.account.create({ data: { workspaceId: ws.id, externalId: id, name: id } }),
      ),
    );
    for (const account of [a!, b!]) {
      await db.prisma.metricObservation.create({
        data: {
          workspaceId: ws.id,
          accountId: account.id,
          metric: "m",
          observedOn: new Date("2026-01-01"),
          value: 1,
          source: "import",
        },
      });
    }
    await db.prisma.account.delete({ where: { id: a!.id } });
    expect((await db.prisma.metricObservation.findMany()).map((o) => o.accountId)).toEqual([b!.id]);
    // And through the workspace's cascade to its accounts.
    await db.prisma.workspace.delete({ where: { id: ws.id } });
    expect(await db.prisma.metricObservation.count()).toBe(0);
  });

  it("delete an account's play fires with it, and a workspace's all of them (statement triggers)", async () => {
    const d = (db = await createTestDatabase(backend));
    const fires = async (workspaceId: number, accounts: number[]) => {
      const localDate = new Date("2026-01-01");
      const rows = [
        ...accounts.map((id) => ({ subject: `account:${id}`, accountId: id })),
        { subject: "summary", accountId: null },
        { subject: "connector:1", accountId: null },
      ];
      for (const r of rows)
        await d.prisma.playFire.create({
          data: { workspaceId, playKey: "p", localDate, trigger: { kind: "test" }, ...r },
        });
    };
    const [one, two] = await Promise.all(
      ["w1", "w2"].map((slug) => d.prisma.workspace.create({ data: { slug, name: slug } })),
    );
    const account = (ws: number, id: string) =>
      d.prisma.account.create({ data: { workspaceId: ws, externalId: id, name: id } });
    const [a, b, c] = [await account(one!.id, "a"), await account(one!.id, "b"), await account(two!.id, "c")];
    await fires(one!.id, [a.id, b.id]);
    await fires(two!.id, [c.id]);
    await d.prisma.account.delete({ where: { id: a.id } });
    const subjects = async (ws: number) =>
      (await d.prisma.playFire.findMany({ where: { workspaceId: ws }, orderBy: { id: "asc" } })).map(
        (f) => f.subject,
      );
    expect(await subjects(one!.id)).toEqual([`account:${b.id}`, "summary", "connector:1"]);
    // The workspace's rows with no account go with the workspace; the other workspace keeps its own.
    await d.prisma.workspace.delete({ where: { id: one!.id } });
    expect(await subjects(one!.id)).toEqual([]);
    expect(await subjects(two!.id)).toEqual([`account:${c.id}`, "summary", "connector:1"]);
  });
});

describe("openDatabase", () => {
  it("names the server, with its password masked, when PostgreSQL is unreachable", async () => {
    const attempt = openDatabase({ databaseUrl: "postgresql://bot:s3cret@127.0.0.1:1/css", dataDir: "" });
    await expect(attempt).rejects.toThrow(
      /^Cannot connect to PostgreSQL at postgresql:\/\/bot:\*\*\*@127\.0\.0\.1:1\/css/,
    );
    await expect(attempt).rejects.not.toThrow(/s3cret/);
  });
});

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
}

/** The committed migrations plus one more, sorted last. */
function withExtra(migrations: MigrationList, name: string, sql: string): MigrationList {
  const extra = {
    path: `99999999999999_${name}`,
    migrationFile: { path: "migration.sql", content: { tag: "ok" as const, value: sql } },
  };
  return { ...migrations, migrationDirectories: [...migrations.migrationDirectories, extra] };
}
