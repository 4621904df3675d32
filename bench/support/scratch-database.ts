// A fresh, migrated database for one benchmark run, on either backend, removed by drop().
// PostgreSQL: a database `css_bot_bench_<random>` created on the server BENCH_DATABASE_URL names.
// PGlite: a data directory under the system's temp directory. Both are reachable from another
// process through `config`, so a child process can do the work being measured.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { migrateDatabase, openDatabase, type Database, type DatabaseConfig } from "../../src/db/client.ts";

export const BACKENDS = ["postgres", "pglite"] as const;
export type Backend = (typeof BACKENDS)[number];

/** The server scratch databases are created on; only used to create and drop them. */
export const benchServerUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

export interface ScratchDatabase {
  backend: Backend;
  /** What `openDatabase` takes to open it, in this process or another. */
  config: DatabaseConfig;
  open(): Promise<Database>;
  drop(): Promise<void>;
}

export async function createScratchDatabase(backend: Backend): Promise<ScratchDatabase> {
  const scratch = backend === "postgres" ? await createPostgres() : await createPglite();
  try {
    const db = await scratch.open();
    try {
      // A fresh database with no migration applied means none were found: fail now, not later.
      if ((await migrateDatabase(db)).length === 0)
        throw new Error("no migrations to apply to a fresh database");
    } finally {
      await db.close();
    }
  } catch (error) {
    await scratch.drop();
    throw error;
  }
  return scratch;
}

async function createPostgres(): Promise<ScratchDatabase> {
  const name = `css_bot_bench_${randomBytes(6).toString("hex")}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  const url = new URL(benchServerUrl);
  url.pathname = `/${name}`;
  const config = { databaseUrl: url.toString(), dataDir: "" };
  return {
    backend: "postgres",
    config,
    open: () => openDatabase(config),
    drop: () => withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(),
  };
}

async function createPglite(): Promise<ScratchDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), "css-bot-bench-"));
  const config = { dataDir };
  return {
    backend: "pglite",
    config,
    open: () => openDatabase(config),
    drop: () => rm(dataDir, { recursive: true, force: true }),
  };
}

async function withAdmin<T>(use: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: benchServerUrl });
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.end();
  }
}

/** `--reuse URL`: the database of an earlier `--keep` run, migrated to today's schema. */
export async function reuseDatabase(url: string): Promise<ScratchDatabase> {
  const config = { databaseUrl: url, dataDir: "" };
  const db = await openDatabase(config);
  try {
    await migrateDatabase(db);
  } finally {
    await db.close();
  }
  return {
    backend: "postgres",
    config,
    open: () => openDatabase(config),
    drop: () => Promise.reject(new Error("a reused database is never dropped")),
  };
}
