// Opens the database the configuration names: PostgreSQL when a URL is given, otherwise an embedded
// PGlite (PostgreSQL compiled to WebAssembly) stored under the data directory, so a laptop runs the
// bot with no server to install. Both are reached through Prisma driver adapters.
// The embedded database is open in one process, its owner (db/embedded-owner.ts), which serves it to
// the others (db/embedded-server.ts): they reach it through `pg`, as they would PostgreSQL.
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
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
import {
  claimOwnership,
  ownerDir,
  type OwnerRecord,
  type OwnerRole,
  type Ownership,
} from "./embedded-owner.ts";
import { serveEmbedded, type EmbeddedServer } from "./embedded-server.ts";
import type { Clients, SqlClient, SqlRead } from "./handle.ts";
import { applyMigrations, readMigrations, type EngineLogger } from "./schema-engine.ts";

export type DatabaseKind = "postgres" | "pglite";

export interface Database extends Clients {
  /** "pglite" for the embedded database, opened here or reached through its owner (`servedBy`). */
  kind: DatabaseKind;
  /** The embedded database's owner, when this process reaches the database through it. */
  servedBy?: OwnerRecord;
  /** On the embedded database's owner: starts serving it to other processes (once migrated). */
  share?: () => Promise<void>;
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
  /**
   * How this process uses the embedded database. "command" (the default) opens it, or reaches it
   * through the process that has it open. "server" (`start`, `worker`) must open it: it waits for a
   * command that has it open to finish, and refuses when another server has it.
   */
  role?: OwnerRole;
  /** What this process is, recorded for other processes' messages ("css-bot start"). */
  label?: string;
  /** Told once when this process waits for another to be done with the embedded database. */
  onWait?: (owner: OwnerRecord) => void;
}

export const IN_MEMORY = ":memory:";

export class DatabaseUnavailableError extends KnownError {
  readonly code = "DATABASE_UNAVAILABLE";
}

/** The embedded database is held by a process this one cannot share it with. */
export class DatabaseInUseError extends KnownError {
  readonly code = "DATABASE_IN_USE";
}

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl);
  if (config.dataDir === IN_MEMORY) return openPglite(await createPglite());
  return openEmbedded(config);
}

/**
 * Applies the migrations this database has not seen yet; returns their names. Through the embedded
 * database's owner, which migrated it before serving it, it only checks that none is missing: the
 * schema engine's advisory lock cannot keep two engines apart in PGlite's one session.
 */
export async function migrateDatabase(
  db: Pick<Database, "adapterFactory" | "servedBy" | "share" | "prisma">,
  options: { migrationsDir?: string; log?: EngineLogger } = {},
): Promise<string[]> {
  const migrations = await readMigrations(options.migrationsDir);
  if (db.servedBy) {
    await checkMigrated(
      db.prisma,
      db.servedBy,
      migrations.migrationDirectories.map((m) => m.path),
    );
    return [];
  }
  const applied = await applyMigrations(db.adapterFactory, { migrations, log: options.log });
  await db.share?.();
  return applied;
}

const CLOSE_GRACE_MS = 60_000;
// A command waits for an owner that is starting (it migrates before it serves) or closing (it waits
// for the commands it serves): longer than a stopping bot waits.
const COMMAND_WAIT_MS = 2.5 * CLOSE_GRACE_MS;

/**
 * The embedded database under `<dataDir>/pglite`: opened here when no process has it open (this one
 * then owns it, and serves it once migrated), else reached through its owner.
 */
async function openEmbedded(config: DatabaseConfig): Promise<Database> {
  const role = config.role ?? "command";
  const dir = ownerDir(config.dataDir);
  const deadline = Date.now() + COMMAND_WAIT_MS;
  let told = false;
  for (;;) {
    const claim = await claimOwnership(dir, { role, label: config.label ?? "a css-bot command" });
    if ("ownership" in claim) return openOwned(config.dataDir, claim.ownership, role);
    const { owner, file } = claim;
    const who = `${owner.label} (pid ${owner.pid}${owner.host === hostname() ? "" : ` on ${owner.host}`})`;
    if (role === "server" && owner.role === "server")
      throw new DatabaseInUseError(
        `the embedded database in ${config.dataDir} is in use by ${who}: stop it first, or set ` +
          `DATABASE_URL to share a PostgreSQL among several processes (owner record: ${file})`,
      );
    if (role === "command" && owner.port !== null) {
      const served = await connectToOwner(owner);
      if (served) return served;
      // Refused: the owner is closing; it marks its record closed when done, and we open it then.
    }
    if (role === "command" && Date.now() > deadline)
      throw new DatabaseInUseError(
        `the embedded database in ${config.dataDir} is open in ${who}, which does not serve it ` +
          `(if no such process runs, delete ${file})`,
      );
    if (!told) config.onWait?.(owner);
    told = true;
    await sleep(100);
  }
}

/** This process owns the data directory: PGlite itself, shared once migrated, closed before release. */
async function openOwned(dataDir: string, ownership: Ownership, role: OwnerRole): Promise<Database> {
  let pglite: PGlite;
  try {
    const dir = path.join(dataDir, "pglite");
    await mkdir(dir, { recursive: true });
    pglite = await createPglite({ dataDir: dir });
  } catch (error) {
    await ownership.release();
    throw error;
  }
  const db = openPglite(pglite);
  let server: EmbeddedServer | undefined;
  return {
    ...db,
    share: async () => {
      if (server) return;
      server = await serveEmbedded(pglite, ownership.record.token);
      await ownership.publish(server.port);
    },
    close: async () => {
      try {
        // A command that is done serves the commands that came to it until they are done too (a
        // long import need not fail); the bot, told to stop, gives them a minute.
        if (role === "command") await server?.idle();
        await server?.close(role === "command" ? Infinity : CLOSE_GRACE_MS);
        await db.close();
      } finally {
        await ownership.release();
      }
    },
  };
}

/** The owner's database through `pg`; undefined when the owner refuses (it is closing). */
async function connectToOwner(owner: OwnerRecord): Promise<Database | undefined> {
  const config: pg.PoolConfig = {
    host: "127.0.0.1",
    port: owner.port!,
    user: "postgres",
    database: "postgres",
    password: owner.token,
    // PGlite runs one statement at a time: more connections would only wait for their turn.
    max: 2,
  };
  const pool = new pg.Pool(config);
  pool.on("error", () => undefined);
  try {
    await pool.query("SELECT 1");
  } catch (error) {
    await pool.end().catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code === "ECONNREFUSED") return undefined;
    throw error;
  }
  // One session for all: a statement prepared under a name by one connection would exist for all
  // others, and collide; so nothing is prepared.
  const prisma = new PrismaClient({ adapter: pgAdapterFactory(pool, { prepared: false }) });
  return {
    prisma,
    sql: poolSql(pool, { prepared: false }),
    kind: "pglite",
    servedBy: owner,
    adapterFactory: pgAdapterFactory(config, { prepared: false }),
    close: async () => {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function checkMigrated(prisma: PrismaClient, owner: OwnerRecord, names: string[]): Promise<void> {
  const rows = await prisma.$queryRaw<{ migration_name: string }[]>`
    SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
  const applied = new Set(rows.map((r) => r.migration_name));
  const missing = names.filter((name) => !applied.has(name));
  if (missing.length > 0)
    throw new DatabaseUnavailableError(
      `the embedded database is served by ${owner.label} (pid ${owner.pid}), which has not applied ` +
        `${missing.join(", ")}: restart it with this version of css-bot (it migrates on start)`,
    );
}

async function openPostgres(url: string): Promise<Database> {
  // One pool for Prisma and for the statements sent through the driver itself (`sql`).
  const pool = new pg.Pool({ connectionString: url });
  // An idle connection that drops (a restarted server) leaves the pool and is replaced on next use;
  // its error is not the process's to die of.
  pool.on("error", () => undefined);
  const prisma = new PrismaClient({ adapter: pgAdapterFactory(pool, PREPARE) });
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
  return {
    prisma,
    sql: poolSql(pool, PREPARE),
    kind: "postgres",
    adapterFactory: pgAdapterFactory(url, PREPARE),
    close,
  };
}

/** Whether PREPARED statements are prepared under their name (not on PGlite's shared session). */
interface Preparing {
  prepared: boolean;
}
const PREPARE: Preparing = { prepared: true };

/** Reads on the pool or on one of its connections; a PREPARED statement under its name. */
function pgReader(target: pg.Pool | pg.PoolClient, { prepared }: Preparing): SqlRead {
  return async <T extends object>(text: string, params: readonly unknown[]) => {
    const name = prepared ? statementName(text) : undefined;
    const values = [...params];
    return (await target.query<T>(name ? { name, text, values } : { text, values })).rows;
  };
}

function poolSql(pool: pg.Pool, preparing: Preparing): SqlClient {
  return {
    query: pgReader(pool, preparing),
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
          pgReader(client, preparing),
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
 * PGlite ignores it, and so does the embedded database reached through its owner (one session).
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
function pgAdapterFactory(
  target: pg.Pool | pg.PoolConfig | string,
  { prepared }: Preparing,
): SqlMigrationAwareDriverAdapterFactory {
  // Unnamed (pg's default) unless PREPARED; the adapter's type says a name is always returned.
  const base = new PrismaPg(target, {
    statementNameGenerator: (query: SqlQuery) => (prepared ? statementName(query.sql) : undefined) as string,
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
