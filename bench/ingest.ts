// npm run bench -- ingest [--part api|connector|both] [--records N] [--batch B] [--concurrency C]
//                         [--accounts A] [--keep]
//
// Metric records per second through the ingest API (target: at least 50,000 on this machine), and
// through a connector sync of N records, each with its peak RSS.
// API part:
// 1. A scratch PostgreSQL database, migrated; a workspace with A accounts (in SQL) and an API key.
// 2. The real web process with the ingest API (createApiRouter, the real Redis for its rate limit,
//    at the default limits) on port 0, in this process: its peak RSS is this process's.
// 3. A child process (ingest-load-child.ts) POSTs N metric records to /api/v1/metrics in batches
//    of B, C in flight, each record a new row (account × day); it times each batch and the whole.
// 4. Checks: every batch answered 200 and accepted its records, and the table holds exactly N rows.
// Connector part:
// 1. A source database with a table of N metric rows (A accounts × N/A days), generated in SQL, and
//    a scratch database with the workspace, its A accounts and a SQL connector reading that table
//    (its secret sealed with a random key, as `connectors add` stores it).
// 2. One sync by the real sync runner in a child process (ingest-sync-child.ts): its peak RSS is the
//    sync's. Checks: it read and wrote N records, rejected none, and the table holds N rows.
// Everything it made (databases, Redis keys, plan file) is removed at the end, failure or not.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { quantile } from "simple-statistics";
import { createApiRouter } from "../src/api/router.ts";
import { table } from "../src/cli/output/format.ts";
import { silentLogger } from "../src/log.ts";
import { startWebProcess } from "../src/main/web-process.ts";
import { createApiKey } from "../src/services/api-keys.ts";
import { addConnector } from "../src/services/connectors.ts";
import { SecretBox } from "../src/security/secret-box.ts";
import type { SyncChildReport } from "./ingest-sync-child.ts";
import type { IngestLoadPlan, IngestLoadReport } from "./ingest-load-child.ts";
import { BenchUsageError, oneOf, parseFlags, wholeNumber } from "./support/args.ts";
import { benchWorkspace, loadAverage } from "./support/bench-workspace.ts";
import { runChild } from "./support/child-process.ts";
import { runWithCleanups, type Cleanup } from "./support/lifecycle.ts";
import { benchRedisUrl, deleteQueueKeys, uniqueQueuePrefix } from "./support/queue-keys.ts";
import { createScratchDatabase } from "./support/scratch-database.ts";

const TARGET_PER_SECOND = 50_000;
/** The ingest API's defaults (docs/operations.md, "Configuration"). */
const API_CONFIG = { maxBodyBytes: 16 * 1024 * 1024, rateLimitPerMinute: 6_000_000 };

interface Settings {
  records: number;
  batch: number;
  concurrency: number;
  accounts: number;
  keep: boolean;
}

interface Row {
  part: string;
  records: number;
  wallMs: number;
  batch: string;
  inFlight: string;
  p50: string;
  p99: string;
  peakRssMiB: number;
}

export async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, ["part", "records", "batch", "concurrency", "accounts"], ["keep"]);
  const part = oneOf("part", flags.part, ["api", "connector", "both"], "both");
  const settings = {
    records: wholeNumber("records", flags.records, 1_000_000),
    batch: wholeNumber("batch", flags.batch, 10_000),
    concurrency: wholeNumber("concurrency", flags.concurrency, 2),
    accounts: wholeNumber("accounts", flags.accounts, 10_000),
    keep: flags.keep === true,
  };
  if (settings.batch > 10_000) throw new BenchUsageError("--batch must be at most 10000 (the API's limit)");
  log(
    `machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.versions.node}`,
  );
  const rows: Row[] = [];
  const problems: string[] = [];
  if (part !== "connector") {
    await runWithCleanups(log, async (cleanups) => {
      rows.push(await runApi(settings, cleanups, problems));
    });
  }
  if (part !== "api") {
    await runWithCleanups(log, async (cleanups) => {
      rows.push(await runConnector(settings, cleanups, problems));
    });
  }
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
      rows.map((r) => [
        r.part,
        r.records.toLocaleString("en-US"),
        r.batch,
        r.inFlight,
        (r.wallMs / 1000).toFixed(1),
        Math.round(r.records / (r.wallMs / 1000)).toLocaleString("en-US"),
        r.p50,
        r.p99,
        r.peakRssMiB.toFixed(0),
      ]),
    ) + "\n",
  );
  const api = rows.find((r) => r.part.startsWith("ingest API"));
  if (api) {
    const perSecond = api.records / (api.wallMs / 1000);
    process.stdout.write(
      `Target >= ${TARGET_PER_SECOND.toLocaleString("en-US")} metric records/s through the API: ` +
        `${perSecond >= TARGET_PER_SECOND ? "met" : "NOT met"} (${Math.round(perSecond).toLocaleString("en-US")}).\n`,
    );
  }
  if (problems.length > 0) throw new Error(`the benchmark failed:\n${problems.join("\n")}`);
}

async function runApi(s: Settings, cleanups: Cleanup[], problems: string[]): Promise<Row> {
  const { db, workspace } = await benchWorkspace(s, cleanups, log);
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
  problems.push(...load.failures);
  if (load.accepted !== s.records)
    problems.push(`the API accepted ${load.accepted} records, not ${s.records}`);
  if (stored !== s.records) problems.push(`the table holds ${stored} rows, not ${s.records}`);
  log(`  peak RSS is the serving process's (${(rssBefore / 1024).toFixed(0)} MiB before the load)`);
  return {
    part: "ingest API (/api/v1/metrics)",
    records: s.records,
    wallMs: load.wallMs,
    batch: String(s.batch),
    inFlight: String(s.concurrency),
    p50: quantile(load.batchMs, 0.5).toFixed(0),
    p99: quantile(load.batchMs, 0.99).toFixed(0),
    peakRssMiB,
  };
}

async function runConnector(s: Settings, cleanups: Cleanup[], problems: string[]): Promise<Row> {
  const source = await createScratchDatabase("postgres");
  cleanups.push(() => source.drop());
  const sourceUrl = source.config.databaseUrl!;
  const sql = new pg.Client(sourceUrl);
  await sql.connect();
  cleanups.push(() => sql.end());
  log(`generating ${s.records} metric rows in the source database (${s.accounts} accounts)`);
  await sql.query(`CREATE TABLE usage (account_id text, metric text, value float8, observed_at date)`);
  await sql.query(
    `INSERT INTO usage
     SELECT 'acc-' || lpad((i % $2 + 1)::text, 7, '0'), 'weekly_active_ratio', (i::bigint * 7919 % 1000) / 1000.0,
            date '2025-01-01' + (i / $2)
     FROM generate_series(0, $1 - 1) AS i`,
    [s.records, s.accounts],
  );
  await sql.query(`ANALYZE usage`);

  const { scratch, db, workspace } = await benchWorkspace(s, cleanups, log);
  const key = randomBytes(32);
  const { connector } = await addConnector(db.prisma, new SecretBox(key), workspace.id, {
    name: "warehouse",
    kind: "sql",
    settings: {
      mappings: [
        {
          kind: "metrics",
          query:
            "SELECT account_id, metric, value, observed_at FROM usage WHERE $1::date IS NULL OR observed_at >= $1::date",
        },
      ],
    },
    secret: { url: sourceUrl },
    actor: "bench",
  });
  log(`syncing them with the SQL connector (load average before: ${loadAverage()})`);
  process.env.CSS_ENCRYPTION_KEY = key.toString("hex");
  const run = await runChild<SyncChildReport>(new URL("./ingest-sync-child.ts", import.meta.url), [
    scratch.config.databaseUrl!,
    String(workspace.id),
    String(connector.id),
  ]);
  delete process.env.CSS_ENCRYPTION_KEY;
  log(`  done (load average after: ${loadAverage()}): ${run.result.pages} pages`);
  const [counted] = await db.prisma.$queryRawUnsafe<{ stored: number }[]>(
    `SELECT count(*)::int AS stored FROM metric_observations WHERE workspace_id = $1`,
    workspace.id,
  );
  const stored = counted?.stored ?? 0;
  if (run.result.read !== s.records)
    problems.push(`the sync read ${run.result.read} records, not ${s.records}`);
  if (run.result.rejected !== 0) problems.push(`the sync rejected ${run.result.rejected} records`);
  if (stored !== s.records) problems.push(`the table holds ${stored} rows after the sync, not ${s.records}`);
  return {
    part: "connector sync (SQL, metrics)",
    records: s.records,
    wallMs: run.wallMs,
    batch: `${Math.round(s.records / Math.max(1, run.result.pages))}/page`,
    inFlight: "1",
    p50: "–",
    p99: "–",
    peakRssMiB: run.peakRssMiB,
  };
}

const log = (text: string) => process.stderr.write(`${text}\n`);
