// What the connector benchmarks (ingest, crm) start from: a scratch PostgreSQL database with the
// "bench" workspace and its accounts `acc-0000001`... generated in SQL, dropped at the end unless
// --keep; and the load average they print beside their figures.
import os from "node:os";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import type { Cleanup } from "./lifecycle.ts";
import { createScratchDatabase } from "./scratch-database.ts";

export async function benchWorkspace(
  options: { accounts: number; keep: boolean },
  cleanups: Cleanup[],
  log: (text: string) => void,
) {
  const scratch = await createScratchDatabase("postgres");
  cleanups.push(async () => {
    if (options.keep) log(`kept the database: ${scratch.config.databaseUrl}`);
    else await scratch.drop();
  });
  const db = await scratch.open();
  cleanups.push(() => db.close());
  const workspace = await ensureWorkspace(db.prisma, "bench");
  if (options.accounts > 0) {
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO accounts (workspace_id, external_id, name, updated_at)
       SELECT $1, 'acc-' || lpad(i::text, 7, '0'), 'Account ' || i, now() FROM generate_series(1, $2) AS i`,
      workspace.id,
      options.accounts,
    );
    await db.prisma.$executeRawUnsafe(`ANALYZE accounts`);
  }
  return { scratch, db, workspace };
}

/** The 1, 5 and 15 minute load averages, for the log beside a measurement. */
export const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
