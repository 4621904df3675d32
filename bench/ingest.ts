// npm run bench -- ingest [--records N] [--batch B] [--concurrency C] [--accounts A] [--keep]
//
// Metric records per second through the ingest API (target: at least 50,000 on this machine).
// 1. A scratch PostgreSQL database, migrated; a workspace with A accounts (in SQL) and an API key.
// 2. The real web process with the ingest API (createApiRouter, the real Redis for its rate limit,
//    at the default limits) on port 0, in this process: its peak RSS is this process's.
// 3. A child process (ingest-load-child.ts) POSTs N metric records to /api/v1/metrics in batches
//    of B, C in flight, each record a new row (account × day); it times each batch and the whole.
// 4. Checks: every batch answered 200 and accepted its records, and the table holds exactly N rows.
// Everything it made (database, Redis keys, plan file) is removed at the end, failure or not.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { quantile } from "simple-statistics";
import { createApiRouter } from "../src/api/router.ts";
import { table } from "../src/cli/output/format.ts";
import { ensureWorkspace } from "../src/db/repositories/workspaces.ts";
import { silentLogger } from "../src/log.ts";
import { startWebProcess } from "../src/main/web-process.ts";
import { createApiKey } from "../src/services/api-keys.ts";
import type { IngestLoadPlan, IngestLoadReport } from "./ingest-load-child.ts";
import { parseFlags, wholeNumber } from "./support/args.ts";
import { runChild } from "./support/child-process.ts";
import { runWithCleanups, type Cleanup } from "./support/lifecycle.ts";
import { benchRedisUrl, deleteQueueKeys, uniqueQueuePrefix } from "./support/queue-keys.ts";
import { createScratchDatabase } from "./support/scratch-database.ts";

const TARGET_PER_SECOND = 50_000;
/** The ingest API's defaults (README "Configuration"). */
const API_CONFIG = { maxBodyBytes: 16 * 1024 * 1024, rateLimitPerMinute: 6_000_000 };

export async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, ["records", "batch", "concurrency", "accounts"], ["keep"]);
  const settings = {
    records: wholeNumber("records", flags.records, 1_000_000),
    batch: wholeNumber("batch", flags.batch, 10_000),
    concurrency: wholeNumber("concurrency", flags.concurrency, 2),
    accounts: wholeNumber("accounts", flags.accounts, 10_000),
    keep: flags.keep === true,
  };
  if (settings.batch > 10_000) throw new Error("--batch must be at most 10000 (the API's limit)");
  await runWithCleanups(log, (cleanups) => runApi(settings, cleanups));
}

async function runApi(
  s: { records: number; batch: number; concurrency: number; accounts: number; keep: boolean },
  cleanups: Cleanup[],
): Promise<void> {
  const scratch = await createScratchDatabase("postgres");
  cleanups.push(async () => {
    if (s.keep) log(`kept the database: ${scratch.config.databaseUrl}`);
    else await scratch.drop();
  });
  const db = await scratch.open();
  cleanups.push(() => db.close());
  const workspace = await ensureWorkspace(db.prisma, "bench");
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO accounts (workspace_id, external_id, name, updated_at)
     SELECT $1, 'acc-' || lpad(i::text, 7, '0'), 'Account ' || i, now() FROM generate_series(1, $2) AS i`,
    workspace.id,
    s.accounts,
  );
  await db.prisma.$executeRawUnsafe(`ANALYZE accounts`);
  const { key } = await createApiKey(db.prisma, workspace.id, "bench", "bench");
  const redis = new Redis(benchRedisUrl, { maxRetriesPerRequest: 1 });
  const prefix = uniqueQueuePrefix();
  cleanups.push(async () => {
    await deleteQueueKeys(benchRedisUrl, prefix);
    redis.disconnect();
  });
  const api = createApiRouter({
    prisma: db.prisma,
    redis,
    log: silentLogger,
    config: API_CONFIG,
    keyPrefix: prefix,
  });
  const web = await startWebProcess({ port: 0, prisma: db.prisma, redis, log: silentLogger, api });
  cleanups.push(() => web.close());

  const dir = await mkdtemp(join(os.tmpdir(), "css-bench-ingest-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const plan: IngestLoadPlan = {
    url: `http://127.0.0.1:${web.port}/api/v1/metrics`,
    key,
    accounts: Array.from({ length: s.accounts }, (_, i) => `acc-${String(i + 1).padStart(7, "0")}`),
    records: s.records,
    batch: s.batch,
    concurrency: s.concurrency,
    firstDay: "2026-01-01",
  };
  const planFile = join(dir, "plan.json");
  await writeFile(planFile, JSON.stringify(plan));
  log(
    `machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.versions.node}`,
  );
  log(
    `posting ${s.records} metric records in batches of ${s.batch}, ${s.concurrency} in flight, ` +
      `${s.accounts} accounts (load average before: ${loadAverage()})`,
  );
  const rssBefore = process.resourceUsage().maxRSS;
  const load = await runChild<IngestLoadReport>(new URL("./ingest-load-child.ts", import.meta.url), [
    planFile,
  ]);
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  log(`  done (load average after: ${loadAverage()})`);

  const [counted] = await db.prisma.$queryRawUnsafe<{ stored: number }[]>(
    `SELECT count(*)::int AS stored FROM metric_observations WHERE workspace_id = $1`,
    workspace.id,
  );
  const stored = counted?.stored ?? 0;
  const perSecond = s.records / (load.wallMs / 1000);
  process.stdout.write(
    table(
      [
        "part",
        "records",
        "batch",
        "in flight",
        "wall s",
        "records/s",
        "batch p50 ms",
        "batch p99 ms",
        "peak RSS MiB",
      ],
      [
        [
          "ingest API (/api/v1/metrics)",
          s.records.toLocaleString("en-US"),
          String(s.batch),
          String(s.concurrency),
          (load.wallMs / 1000).toFixed(1),
          Math.round(perSecond).toLocaleString("en-US"),
          quantile(load.batchMs, 0.5).toFixed(0),
          quantile(load.batchMs, 0.99).toFixed(0),
          peakRssMiB.toFixed(0),
        ],
      ],
    ),
  );
  process.stdout.write(
    `peak RSS is the serving process's (${(rssBefore / 1024).toFixed(0)} MiB before the load). ` +
      `Target >= ${TARGET_PER_SECOND.toLocaleString("en-US")} records/s: ` +
      `${perSecond >= TARGET_PER_SECOND ? "met" : "NOT met"} (${Math.round(perSecond).toLocaleString("en-US")}).\n`,
  );
  const problems = [...load.failures];
  if (load.accepted !== s.records)
    problems.push(`the API accepted ${load.accepted} records, not ${s.records}`);
  if (stored !== s.records) problems.push(`the table holds ${stored} rows, not ${s.records}`);
  if (problems.length > 0) throw new Error(`the benchmark failed:\n${problems.join("\n")}`);
}

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

const log = (text: string) => process.stderr.write(`${text}\n`);
