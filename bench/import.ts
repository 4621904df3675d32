// npm run bench -- import [--rows N] [--accounts N] [--db postgres|pglite|both] [--kind metrics|responses]
//
// Imports a generated CSV of N metric observations or survey responses (and, to show whether memory
// is bounded, one of N/2 rows) into a fresh database with the real importFile, in a child process
// whose peak RSS is the import's own. Each run checks that the database holds exactly the rows of
// the file.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureWorkspace } from "../src/db/repositories/workspaces.ts";
import { table } from "../src/cli/output/format.ts";
import { importFile } from "../src/services/import-records.ts";
import type { ImportChildReport } from "./import-child.ts";
import { oneOf, parseFlags, wholeNumber } from "./support/args.ts";
import { runChild } from "./support/child-process.ts";
import {
  BACKENDS,
  createScratchDatabase,
  type Backend,
  type ScratchDatabase,
} from "./support/scratch-database.ts";
import { writeAccountsCsv, writeMetricsCsv, writeResponsesCsv } from "./support/write-import-files.ts";

const WORKSPACE = "bench";

/** What can be imported (accounts are the set-up), with the writer of its file and its table. */
const KINDS = {
  metrics: { write: writeMetricsCsv, table: "metric_observations" },
  responses: { write: writeResponsesCsv, table: "survey_responses" },
} as const;
type Kind = keyof typeof KINDS;

/**
 * Memory counts as bounded when doubling the rows adds less than this to the peak RSS: the
 * larger of 25 MiB and 10% (allocator and GC noise), where a per-row leak would add far more.
 */
const RSS_NOISE_MB = 25;
const RSS_NOISE_RATIO = 0.1;

interface Run extends ImportChildReport {
  backend: Backend;
  stored: number;
}

export async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, ["rows", "accounts", "db", "kind"]);
  const rows = wholeNumber("rows", flags.rows, 1_000_000, 2);
  const accounts = wholeNumber("accounts", flags.accounts, 10_000);
  const db = oneOf("db", flags.db, [...BACKENDS, "both"], "both");
  const backends = db === "both" ? BACKENDS : [db];
  const kind = oneOf("kind", flags.kind, Object.keys(KINDS) as Kind[], "metrics");
  const sizes = [Math.floor(rows / 2), rows];

  const dir = await mkdtemp(join(tmpdir(), "css-bot-bench-import-"));
  try {
    const accountsFile = join(dir, "accounts.csv");
    const files = new Map(sizes.map((n) => [n, join(dir, `${kind}-${n}.csv`)]));
    log(`writing ${accounts} accounts and ${kind} files of ${sizes.join(" and ")} rows to ${dir}`);
    await writeAccountsCsv(accountsFile, accounts);
    for (const [n, file] of files) await KINDS[kind].write(file, n, accounts);
    for (const [n, file] of files) log(`  ${kind}-${n}.csv: ${mb((await stat(file)).size)} MiB`);

    const runs: Run[] = [];
    for (const backend of backends) {
      for (const [n, file] of files) {
        log(`${backend}: importing ${n} ${kind} ...`);
        const run = await importOnce(backend, kind, accountsFile, file, n);
        log(`${backend}: ${n} rows in ${run.seconds.toFixed(1)} s, peak RSS ${run.peakRssMb.toFixed(0)} MiB`);
        runs.push(run);
      }
    }
    printResults(runs, sizes);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function importOnce(
  backend: Backend,
  kind: Kind,
  accountsFile: string,
  file: string,
  rows: number,
): Promise<Run> {
  const scratch = await createScratchDatabase(backend);
  try {
    // The accounts the rows refer to, imported here: they are set-up, not what is measured.
    await withDatabase(scratch, async (prisma) => {
      const workspace = await ensureWorkspace(prisma, WORKSPACE);
      await importFile(prisma, workspace.id, "accounts", accountsFile);
    });
    const child = await runChild<ImportChildReport>(new URL("./import-child.ts", import.meta.url), [
      kind,
      file,
      WORKSPACE,
      ...(scratch.config.databaseUrl
        ? ["--database-url", scratch.config.databaseUrl]
        : ["--data-dir", scratch.config.dataDir]),
    ]);
    // Counted apart from what the import says, so a benchmark that wrote nothing cannot pass.
    const stored = await withDatabase(scratch, async (prisma) => {
      const [row] = await prisma.$queryRawUnsafe<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM ${KINDS[kind].table}`,
      );
      return row?.n ?? 0;
    });
    if (child.rows !== rows || child.imported !== rows || child.invalid !== 0 || stored !== rows) {
      throw new Error(
        `${backend}: expected ${rows} rows imported and stored; the import read ${child.rows}, ` +
          `imported ${child.imported}, rejected ${child.invalid}, and the database holds ${stored}`,
      );
    }
    return { ...child, backend, stored };
  } finally {
    await scratch.drop();
  }
}

async function withDatabase<T>(
  scratch: ScratchDatabase,
  use: (prisma: Awaited<ReturnType<ScratchDatabase["open"]>>["prisma"]) => Promise<T>,
): Promise<T> {
  const db = await scratch.open();
  try {
    return await use(db.prisma);
  } finally {
    await db.close();
  }
}

function printResults(runs: Run[], sizes: number[]): void {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  out(
    table(
      ["backend", "rows", "seconds", "rows/s", "peak RSS MiB", "RSS before import", "peak heap MiB"],
      runs.map((r) => [
        r.backend,
        r.stored,
        r.seconds.toFixed(1),
        Math.round(r.stored / r.seconds),
        r.peakRssMb.toFixed(0),
        r.baselineRssMb.toFixed(0),
        r.peakHeapMb.toFixed(0),
      ]),
      ["left", "right", "right", "right", "right", "right", "right"],
    ),
  );
  const [half, full] = sizes;
  for (const backend of new Set(runs.map((r) => r.backend))) {
    const small = runs.find((r) => r.backend === backend && r.stored === half);
    const large = runs.find((r) => r.backend === backend && r.stored === full);
    if (!small || !large) continue;
    const growth = large.peakRssMb - small.peakRssMb;
    const bounded = growth < Math.max(RSS_NOISE_MB, RSS_NOISE_RATIO * small.peakRssMb);
    out(
      `${backend}: peak RSS ${small.peakRssMb.toFixed(0)} MiB at ${half} rows, ${large.peakRssMb.toFixed(0)} MiB ` +
        `at ${full} rows (${growth >= 0 ? "+" : ""}${growth.toFixed(0)} MiB): ` +
        (bounded ? "bounded" : "GROWS WITH ROWS"),
    );
  }
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const log = (text: string) => process.stderr.write(`${text}\n`);
