// The database: does it answer, and has it every committed migration. Doctor opens it without
// migrating (every other command migrates on open), so that it reports what it found.
import type { Database } from "../../db/client.ts";
import { readMigrations } from "../../db/schema-engine.ts";
import { fail, ok, reason, warn, type Check } from "./check.ts";

export async function checkDatabase(
  open: () => Promise<Database>,
  where: string,
): Promise<{ check: Check; db: Database | null }> {
  try {
    const db = await open();
    await db.sql.query("SELECT 1", []);
    const what =
      db.kind === "postgres" ? `PostgreSQL at ${where}` : `the embedded database (PGlite) in ${where}`;
    return { check: ok("database", `${what} answers`), db };
  } catch (error) {
    return {
      check: fail(
        "database",
        reason(error),
        "start PostgreSQL or correct DATABASE_URL (unset it to use the embedded database under CSS_DATA_DIR)",
      ),
      db: null,
    };
  }
}

interface MigrationRow {
  migration_name: string;
  finished: boolean;
  rolled_back: boolean;
}

/** Committed migrations against `_prisma_migrations`; `current` when every one is applied. */
export async function checkMigrations(
  db: Database,
  migrationsDir?: string,
): Promise<{ check: Check; current: boolean }> {
  const committed = (await readMigrations(migrationsDir)).migrationDirectories.map((m) => m.path);
  const rows = await appliedRows(db);
  const live = rows.filter((r) => !r.rolled_back);
  const failed = live.filter((r) => !r.finished).map((r) => r.migration_name);
  const applied = new Set(live.filter((r) => r.finished).map((r) => r.migration_name));
  const pending = committed.filter((name) => !applied.has(name));
  const migrate = "npx css-bot db migrate, then npx css-bot doctor again";
  if (failed.length > 0) {
    return {
      check: fail(
        "migrations",
        `migration ${failed.join(", ")} started and did not finish (its error is in _prisma_migrations.logs)`,
        `repair what it stopped on, mark it rolled back (rolled_back_at) in _prisma_migrations, then ${migrate}`,
      ),
      current: false,
    };
  }
  if (pending.length > 0) {
    return {
      check: fail(
        "migrations",
        `${pending.length} of ${committed.length} migrations not applied (the first: ${pending[0]})`,
        migrate,
      ),
      current: false,
    };
  }
  const known = new Set(committed);
  const unknown = [...applied].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    return {
      check: warn(
        "migrations",
        `the database has ${unknown.length} migration(s) this version of css-bot does not have (${unknown[0]}): it was migrated by a newer version`,
        "run the css-bot version that migrated it",
      ),
      current: true,
    };
  }
  return { check: ok("migrations", `all ${committed.length} applied`), current: true };
}

async function appliedRows(db: Database): Promise<MigrationRow[]> {
  // A database never migrated has no such table: nothing is applied.
  const [table] = await db.sql.query<{ present: boolean }>(
    "SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present",
    [],
  );
  if (!table?.present) return [];
  return db.sql.query<MigrationRow>(
    `SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
       FROM _prisma_migrations`,
    [],
  );
}
