// css-bot db migrate: applies pending migrations to the configured database.
import type { Command } from "commander";
import { maskUrl, migrateDatabase, openDatabase } from "../../db/client.ts";
import type { CliContext } from "../context.ts";

export function registerDb(program: Command, ctx: CliContext): void {
  const db = program.command("db").description("database maintenance");
  db.command("migrate")
    .description("apply pending migrations (DATABASE_URL, or the embedded database under CSS_DATA_DIR)")
    .action(async () => {
      const database = await openDatabase({
        databaseUrl: ctx.config.databaseUrl,
        dataDir: ctx.config.dataDir,
      });
      try {
        const applied = await migrateDatabase(database);
        const where = ctx.config.databaseUrl
          ? maskUrl(ctx.config.databaseUrl)
          : `embedded database in ${ctx.config.dataDir}`;
        ctx.io.stdout.write(
          applied.length === 0
            ? `${where}: up to date\n`
            : `${where}: applied ${applied.length} migration(s): ${applied.join(", ")}\n`,
        );
      } finally {
        await database.close();
      }
    });
}
