// Opens the database the configuration names: PostgreSQL when a URL is given, otherwise an embedded
// PGlite (PostgreSQL compiled to WebAssembly) stored under the data directory, so a laptop runs the
// bot with no server to install. Both are reached through Prisma driver adapters.
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PrismaPg } from "@prisma/adapter-pg";
import {
  DriverAdapterError,
  type SqlDriverAdapter,
  type SqlQuery,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { KnownError } from "../errors.ts";
import { PrismaClient } from "../generated/prisma/client.ts";
import type { Clients, SqlClient, SqlRead } from "./handle.ts";
import { applyMigrations, readMigrations, type EngineLogger } from "./schema-engine.ts";

export type DatabaseKind = "postgres" | "pglite";

export interface Database extends Clients {
  kind: DatabaseKind;
  /**
   * An adapter factory for the schema engine (migrations). On PostgreSQL each adapter it connects has
   * a pool of its own, ended when the engine is done: the session holding the migration's advisory
   * lock must close with it, not go back to the pool `prisma` and `sql` share.
   */
  adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  close(): Promise<void>;
}

export interface DatabaseConfig {
  databaseUrl?: string | undefined;
  /** PGlite keeps its files in `<dataDir>/pglite`; IN_MEMORY keeps them in memory (tests). */
  dataDir: string;
}

export const IN_MEMORY = ":memory:";

export class DatabaseUnavailableError extends KnownError {
  readonly code = "DATABASE_UNAVAILABLE";
}

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl);
  if (config.dataDir === IN_MEMORY) return openPglite(await createPglite());
  const dataDir = path.join(config.dataDir, "pglite");
  await mkdir(dataDir, { recursive: true });
  return openPglite(await createPglite({ dataDir }));
}

/** Applies the migrations this database has not seen yet; returns their names. */
export async function migrateDatabase(
  db: Pick<Database, "adapterFactory">,
  options: { migrationsDir?: string; log?: EngineLogger } = {},
): Promise<string[]> {
  const migrations = await readMigrations(options.migrationsDir);
  return applyMigrations(db.adapterFactory, { migrations, log: options.log });
}

async function openPostgres(url: string): Promise<Database> {
  // One pool for Prisma and for the statements sent through the driver itself (`sql`).
  const pool = new pg.Pool({ connectionString: url });
  // An idle connection that drops (a restarted server) leaves the pool and is replaced on next use;
  // its error is not the process's to die of.
  pool.on("error", () => undefined);
  const prisma = new PrismaClient({ adapter: pgAdapterFactory(pool) });
  const close = async () => {
    await prisma.$disconnect();
    await pool.end();
  };
  try {
    // Prisma connects lazily; fail here, with the address, rather than in the first use case.
    await prisma.$queryRaw`SELECT 1`;
  } catch (error) {
    await close().catch(() => undefined);
    throw new DatabaseUnavailableError(
      `Cannot connect to PostgreSQL at ${maskUrl(url)}: ${driverMessage(error)} ` +
        "(is the server running? Unset DATABASE_URL to use the embedded database)",
      { cause: error },
    );
  }
  return { prisma, sql: poolSql(pool), kind: "postgres", adapterFactory: pgAdapterFactory(url), close };
}

/** Reads on the pool or on one of its connections; a PREPARED statement under its name. */
function pgReader(target: pg.Pool | pg.PoolClient): SqlRead {
  return async <T extends object>(text: string, params: readonly unknown[]) => {
    const name = statementName(text);
    const values = [...params];
    return (await target.query<T>(name ? { name, text, values } : { text, values })).rows;
  };
}

function poolSql(pool: pg.Pool): SqlClient {
  return {
    query: pgReader(pool),
    async transaction(work) {
      const client = await pool.connect();
      let broken: Error | undefined;
      // A connection lost between two statements fails the next one; without a listener its error
      // event would end the process.
      const onError = (error: Error) => (broken = error);
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const result = await work(
          async (text, params) => (await client.query(text, [...params])).rowCount ?? 0,
          pgReader(client),
        );
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch((e: unknown) => (broken = e as Error));
        throw error;
      } finally {
        // A connection that broke or could not roll back is closed, not handed to the next user.
        client.off("error", onError);
        client.release(broken);
      }
    },
  };
}

function pgliteSql(pglite: PGlite): SqlClient {
  // PGlite has one connection and plans every statement anew: PREPARED means nothing to it.
  const reader =
    (target: Pick<PGlite, "query">): SqlRead =>
    async <T extends object>(text: string, params: readonly unknown[]) =>
      (await target.query<T>(text, [...params])).rows;
  return {
    query: reader(pglite),
    transaction: (work) =>
      pglite.transaction((tx) =>
        work(async (text, params) => (await tx.query(text, [...params])).affectedRows ?? 0, reader(tx)),
      ),
  };
}

// Prisma wraps the driver's words as "Invalid `prisma.$queryRaw()` invocation: ... Raw query failed.
// Code: `N/A`. Message: `Can't reach database server at host:port`"; keep the last part.
function driverMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return /Message: `(.*)`\s*$/s.exec(text)?.[1] ?? text.trim();
}

/** Wraps an open PGlite; close() disconnects Prisma and then closes the PGlite. */
export function openPglite(pglite: PGlite): Database {
  const adapterFactory = pgliteAdapterFactory(pglite);
  const prisma = new PrismaClient({ adapter: adapterFactory });
  return {
    prisma,
    sql: pgliteSql(pglite),
    kind: "pglite",
    adapterFactory,
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}

/**
 * A PGlite with the extensions our migrations create (`CREATE EXTENSION` only works for those
 * loaded here). `loadDataDir` starts from a `dumpDataDir()` snapshot instead of running initdb,
 * which takes a few seconds: tests clone a migrated snapshot that way.
 */
export function createPglite(
  options: { dataDir?: string; loadDataDir?: Blob | undefined } = {},
): Promise<PGlite> {
  return PGlite.create({ ...options, extensions: { pg_trgm } });
}

/**
 * A throwaway in-memory PGlite serving as both the engine's main and shadow database, for diffs:
 * they replay migrations in the shadow and only ask the main one its version, so one fresh
 * instance (one initdb) is enough. Use one per diff: the first disposal closes it.
 */
export function scratchPgliteFactory(): SqlMigrationAwareDriverAdapterFactory {
  let opened: Promise<PGlite> | undefined;
  let closed: Promise<void> | undefined;
  const connect = async () => {
    const pglite = await (opened ??= createPglite());
    const adapter = await pgliteAdapterFactory(pglite).connect();
    adapter.dispose = () => (closed ??= pglite.close());
    return adapter;
  };
  return { provider: "postgres", adapterName: "pglite-prisma-adapter", connect, connectToShadowDb: connect };
}

/**
 * SQL that starts with this comment is prepared once per connection (a named statement), so
 * PostgreSQL parses and plans it once instead of on every call: for hot statements of a fixed text
 * whose best plan does not depend on their parameters (lookups by key). Everything else is sent
 * unnamed, planned for its actual parameters (a trigram search must not get a generic plan).
 * PGlite ignores it.
 */
export const PREPARED = "/* prepared */";

const statementNames = new Map<string, string>();
/** The name of a PREPARED statement (the same for Prisma and `sql`); undefined: send it unnamed. */
function statementName(sql: string): string | undefined {
  if (!sql.startsWith(PREPARED)) return undefined;
  let name = statementNames.get(sql);
  if (!name) {
    name = `css_${createHash("sha256").update(sql).digest("hex").slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/** `postgresql://user:secret@host/db` → `postgresql://user:***@host/db`, for messages and logs. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@");
  }
}

// Both adapters get `executeScript`, which only the schema engine calls (to run a migration),
// wrong in ways that corrupt a migration history, so we replace it:
// - @prisma/adapter-pg 7.10 splits the script on every ";" (breaking `DEFAULT 'a;b'` and function
//   bodies) and runs the pieces on whichever pooled connection is free. We send the script whole, as
//   Prisma's native engine does: one simple-protocol batch, which PostgreSQL runs atomically.
// - pglite-prisma-adapter 0.7.2 does not await `exec`, so a failing migration is recorded as applied
//   and its error crashes the process as an unhandled rejection.
function pgAdapterFactory(poolOrUrl: pg.Pool | string): SqlMigrationAwareDriverAdapterFactory {
  // Unnamed (pg's default) unless PREPARED; the adapter's type says a name is always returned.
  const base = new PrismaPg(poolOrUrl, {
    statementNameGenerator: (query: SqlQuery) => statementName(query.sql) as string,
  });
  const fix = (adapter: Awaited<ReturnType<PrismaPg["connect"]>>) =>
    withScriptRunner(adapter, (script) => adapter.underlyingDriver().query(script));
  return {
    provider: base.provider,
    adapterName: base.adapterName,
    connect: async () => fix(await base.connect()),
    connectToShadowDb: async () => fix(await base.connectToShadowDb()),
  };
}

function pgliteAdapterFactory(pglite: PGlite): SqlMigrationAwareDriverAdapterFactory {
  const base = new PrismaPGlite(pglite);
  return {
    provider: "postgres",
    adapterName: base.adapterName,
    connect: async () => withScriptRunner(await base.connect(), (script) => pglite.exec(script)),
    // The adapter's own shadow has no extensions and is never closed; ours is fresh and is.
    connectToShadowDb: async () => {
      const shadow = await createPglite();
      const adapter = await pgliteAdapterFactory(shadow).connect();
      adapter.dispose = () => shadow.close();
      return adapter;
    },
  };
}

function withScriptRunner(adapter: SqlDriverAdapter, run: (script: string) => Promise<unknown>) {
  adapter.executeScript = async (script) => {
    try {
      await run(script);
    } catch (error) {
      throw asDriverAdapterError(error);
    }
  };
  return adapter;
}

// The engine reports a DriverAdapterError with PostgreSQL's message; any other error only as
// "External error id#0".
function asDriverAdapterError(error: unknown): unknown {
  const e = error as Partial<Record<"code" | "severity" | "message" | "detail" | "column" | "hint", unknown>>;
  if (typeof e?.code !== "string" || typeof e.severity !== "string" || typeof e.message !== "string") {
    return error;
  }
  const optional = (value: unknown) => (typeof value === "string" ? value : undefined);
  return new DriverAdapterError({
    kind: "postgres",
    code: e.code,
    severity: e.severity,
    message: e.message,
    detail: optional(e.detail),
    column: optional(e.column),
    hint: optional(e.hint),
  });
}
