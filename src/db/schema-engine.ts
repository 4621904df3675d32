// The one module that talks to Prisma's schema engine. The native engine cannot be downloaded on
// every machine we run on, so we use its WebAssembly build (@prisma/schema-engine-wasm) over a
// driver adapter. That build is not a documented Prisma 7 interface: keep every use of it here,
// behind functions that speak in migration names and SQL.
import { readFile, readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as wasmBindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import type { MigrationList, SchemaEngine } from "@prisma/schema-engine-wasm";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from "@prisma/driver-adapter-utils";

export type { MigrationList };

/** prisma/migrations of this package, wherever the process was started from. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

export const MIGRATION_LOCK_FILE = "migration_lock.toml";
const MIGRATION_FILE = "migration.sql";

/** Called with each line the engine logs (which migration it applies, timings); silent by default. */
export type EngineLogger = (entry: { level: string; message: string }) => void;

/** Prisma's standard folder format: `<name>/migration.sql`, in name order, plus the lock file. */
export async function readMigrations(dir = DEFAULT_MIGRATIONS_DIR): Promise<MigrationList> {
  const baseDir = path.resolve(dir);
  const lockContent = await readFile(path.join(baseDir, MIGRATION_LOCK_FILE), "utf8").catch(() => null);
  const entries = await readdir(baseDir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [];
    throw error;
  });
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  // Byte order, not locale order: timestamps sort the same either way, and the result does not
  // depend on the machine's locale.
  names.sort();
  const migrationDirectories = await Promise.all(
    names.map(async (name) => {
      // A folder without migration.sql is reported by the engine, with the folder's name.
      const content = await readFile(path.join(baseDir, name, MIGRATION_FILE), "utf8").then(
        (value) => ({ tag: "ok" as const, value }),
        (error: Error) => ({ tag: "error" as const, value: error.message }),
      );
      return { path: name, migrationFile: { path: MIGRATION_FILE, content } };
    }),
  );
  return {
    baseDir,
    lockfile: { path: MIGRATION_LOCK_FILE, content: lockContent },
    migrationDirectories,
    shadowDbInitScript: "",
  };
}

export interface ApplyOptions {
  migrations: MigrationList;
  log?: EngineLogger | undefined;
}

/**
 * Applies the migrations the database has not seen yet and returns their names (none on a second
 * call). The engine records them in `_prisma_migrations`, the table `prisma migrate deploy` reads,
 * and holds an advisory lock meanwhile, so concurrent deploys apply each migration once.
 */
export async function applyMigrations(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  { migrations, log }: ApplyOptions,
): Promise<string[]> {
  return withEngine(adapterFactory, log, async (engine) => {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList: migrations, filters });
    return appliedMigrationNames;
  });
}

export interface DiffOptions {
  /**
   * The starting point. With no migrations yet, this replays nothing into the shadow database's
   * `public` schema, as `prisma migrate dev` does, so the first migration has no `CREATE SCHEMA`
   * (which needs the CREATE privilege on the database even when the schema exists).
   */
  from: MigrationList;
  /** The text of the Prisma schema to reach. */
  schema: string;
  log?: EngineLogger | undefined;
}

export interface DiffResult {
  /** 0 when `from` already produces the schema, 2 when a migration is missing. */
  exitCode: number;
  /** The SQL of the missing migration; empty when exitCode is 0. */
  sql: string;
}

/**
 * The SQL that takes `from` to `schema`. Migrations are replayed in the factory's shadow database,
 * so pass a throwaway one (an in-memory PGlite); the factory's main database is only asked its
 * version. This is both the drift check and the generator of the next migration.
 */
export async function diffMigrationsToSchema(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  { from, schema, log }: DiffOptions,
): Promise<DiffResult> {
  return withEngine(adapterFactory, log, async (engine) => {
    const result = await engine.diff({
      from: { tag: "migrations", ...from },
      to: { tag: "schemaDatamodel", files: [{ path: "schema.prisma", content: schema }] },
      script: true,
      exitCode: true,
      filters,
    });
    // With no difference the engine still prints a comment ("This is an empty migration").
    return { exitCode: result.exitCode, sql: result.exitCode === 0 ? "" : (result.stdout ?? "") };
  });
}

// No tables or enums are managed outside Prisma's migrations.
const filters = { externalTables: [], externalEnums: [] };

// The engine only needs the provider from the schema: migrations are SQL, and diff targets carry
// their own schema text. So applying migrations does not depend on schema.prisma being shipped.
const DATASOURCE_ONLY = 'datasource db {\n  provider = "postgresql"\n}\n';

async function withEngine<T>(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  log: EngineLogger | undefined,
  use: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const wasm = await loadWasm();
  const tracked = trackAdapters(adapterFactory);
  try {
    const engine = await wasm.SchemaEngine.new(
      { datamodels: [["schema.prisma", DATASOURCE_ONLY]] },
      (line: string) => log?.(parseLogLine(line)),
      bindMigrationAwareSqlAdapterFactory(tracked.factory),
    );
    try {
      return await use(engine);
    } finally {
      engine.free();
    }
  } finally {
    await tracked.disposeAll();
  }
}

// The engine disposes the shadow connections it opens but never its main one. A pg adapter holds a
// pool (which would keep the process alive, and the session that took the migration advisory lock),
// so we dispose whatever the engine left open once we are done with it.
function trackAdapters(factory: SqlMigrationAwareDriverAdapterFactory) {
  const open = new Set<SqlDriverAdapter>();
  const track = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    const dispose = adapter.dispose.bind(adapter);
    open.add(adapter);
    adapter.dispose = async () => {
      // pg's pool throws when ended twice; the engine and we may both dispose the same adapter.
      if (!open.delete(adapter)) return;
      await dispose();
    };
    return adapter;
  };
  return {
    factory: {
      provider: factory.provider,
      adapterName: factory.adapterName,
      connect: async () => track(await factory.connect()),
      connectToShadowDb: async () => track(await factory.connectToShadowDb()),
    } satisfies SqlMigrationAwareDriverAdapterFactory,
    disposeAll: async () => {
      await Promise.all([...open].map((adapter) => adapter.dispose()));
    },
  };
}

function parseLogLine(line: string): { level: string; message: string } {
  try {
    const entry = JSON.parse(line) as { level?: string; fields?: { message?: string } };
    return { level: entry.level ?? "INFO", message: entry.fields?.message ?? line.trim() };
  } catch {
    return { level: "INFO", message: line.trim() };
  }
}

// The package's entry point imports the .wasm file as an ES module, which Node refuses; instantiate
// the bindings by hand, once per process (the module is 5 MB; instances are cheap after that).
let loaded: Promise<typeof wasmBindings> | undefined;

// The WebAssembly global is typed by the DOM lib, which this Node project does not include.
declare const WebAssembly: {
  instantiate(
    bytes: Uint8Array,
    imports: object,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

function loadWasm(): Promise<typeof wasmBindings> {
  loaded ??= (async () => {
    const wasmFile = createRequire(import.meta.url)
      .resolve("@prisma/schema-engine-wasm")
      .replace(/schema_engine\.js$/, "schema_engine_bg.wasm");
    const { instance } = await WebAssembly.instantiate(await readFile(wasmFile), {
      "./schema_engine_bg.js": wasmBindings,
    });
    wasmBindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return wasmBindings;
  })();
  return loaded;
}
