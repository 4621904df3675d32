// A fresh, migrated database per test, on either backend, in about a second.
//
// PostgreSQL: the migrations run once into a template database named after a hash of the
// migrations (a changed migration makes a new template; an unchanged one is reused across runs),
// and each test gets `CREATE DATABASE ... TEMPLATE`, dropped by close().
// PGlite: the migrations run once per worker into an in-memory PGlite whose data directory is
// dumped; each test loads that snapshot, which skips both initdb and the migrations.
import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import {
  createPglite,
  migrateDatabase,
  openDatabase,
  openPglite,
  type Database,
} from "../../src/db/client.ts";
import { applyMigrations, readMigrations } from "../../src/db/schema-engine.ts";

export const BACKENDS = ["postgres", "pglite"] as const;
export type Backend = (typeof BACKENDS)[number];

export interface TestDatabase extends Database {
  /** The database's name (PostgreSQL) or a unique label (PGlite), for messages. */
  name: string;
  /** The connection string (PostgreSQL only), for tests that open the database as the CLI does. */
  url?: string;
}

const DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test";

/** The server tests use; its database is only used to create and drop the test databases. */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_URL;

/** A fresh migrated database; `{ empty: true }` gives one with no schema, to test migrating. */
export async function createTestDatabase(
  kind: Backend,
  options: { empty?: boolean } = {},
): Promise<TestDatabase> {
  const empty = options.empty ?? false;
  return kind === "postgres" ? createPostgresDatabase(empty) : createPgliteDatabase(empty);
}

/**
 * A fresh database migrated up to `migration` (not applied yet), to test what that migration does
 * to the rows an older version wrote; `apply()` runs the rest and returns the names applied.
 */
export async function createDatabaseBefore(
  kind: Backend,
  migration: string,
): Promise<{ db: TestDatabase; apply: () => Promise<string[]> }> {
  const db = await createTestDatabase(kind, { empty: true });
  const all = await readMigrations();
  const before = { ...all, migrationDirectories: all.migrationDirectories.filter((m) => m.path < migration) };
  await applyMigrations(db.adapterFactory, { migrations: before });
  return { db, apply: () => applyMigrations(db.adapterFactory, { migrations: all }) };
}

async function createPostgresDatabase(empty: boolean): Promise<TestDatabase> {
  const template = empty ? "template1" : await (templateReady ??= ensureTemplate());
  const name = `css_bot_t_${randomBytes(6).toString("hex")}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  const db = await openDatabase({ databaseUrl: urlFor(name), dataDir: "" }).catch(async (error: unknown) => {
    await dropDatabase(name);
    throw error;
  });
  return {
    ...db,
    name,
    url: urlFor(name),
    close: async () => {
      await db.close();
      await dropDatabase(name);
    },
  };
}

let templateReady: Promise<string> | undefined;

async function ensureTemplate(): Promise<string> {
  const template = `css_bot_tpl_${await migrationsHash()}`;
  await withAdmin(async (admin) => {
    // Vitest runs files in parallel workers (and other checkouts may share the server): the lock
    // makes one of them build the template while the others wait and then reuse it.
    await admin.query("SELECT pg_advisory_lock(hashtext('css_bot_test_template'))");
    try {
      const found = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [template]);
      if (found.rowCount) return;
      // Built under another name and renamed when complete, so an interrupted build is never
      // mistaken for a template.
      const building = `${template}_wip`;
      await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${building}"`);
      const db = await openDatabase({ databaseUrl: urlFor(building), dataDir: "" });
      try {
        await migrateDatabase(db);
      } finally {
        await db.close();
      }
      await admin.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
    } finally {
      await admin.query("SELECT pg_advisory_unlock(hashtext('css_bot_test_template'))");
    }
  });
  return template;
}

async function migrationsHash(): Promise<string> {
  const { migrationDirectories } = await readMigrations();
  const hash = createHash("sha256");
  for (const { path, migrationFile } of migrationDirectories) {
    hash.update(`${path}\0${migrationFile.content.value}\0`);
  }
  return hash.digest("hex").slice(0, 16);
}

async function dropDatabase(name: string): Promise<void> {
  await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

/** A connection to the server's own database, for what a test does to its databases from outside. */
export async function withAdmin<T>(use: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.end();
  }
}

function urlFor(database: string): string {
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function createPgliteDatabase(empty: boolean): Promise<TestDatabase> {
  const loadDataDir = empty ? undefined : await (pgliteSnapshot ??= migratedPgliteSnapshot());
  const db = openPglite(await createPglite({ loadDataDir }));
  return { ...db, name: `pglite_${randomBytes(6).toString("hex")}` };
}

let pgliteSnapshot: Promise<Blob> | undefined;

async function migratedPgliteSnapshot(): Promise<Blob> {
  const pglite = await createPglite();
  const db = openPglite(pglite);
  try {
    await migrateDatabase(db);
    return await pglite.dumpDataDir("none");
  } finally {
    await db.close();
  }
}
