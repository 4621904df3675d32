// A synthetic portfolio for the recompute benchmark, generated inside PostgreSQL with
// `INSERT ... SELECT ... FROM generate_series` rather than through the import path: a million
// accounts × 10 metrics × 30 days is 300 million observations, which the importer (about 30,000
// rows/s, see the import benchmark) would take hours to write.
//
// Every value is a pure function of (account id, metric, day), so two runs generate the same data.
// Observations are written a day at a time, every account's metrics in order, as a daily import
// would lay them out on disk. The indexes of metric_observations are dropped while it is filled and
// rebuilt from their own definitions afterwards, and foreign keys are not checked row by row (the
// rows are valid by construction): together about 3 times faster than inserting into the indexed
// table.
import pg from "pg";
import { BUCKET_BITS } from "../../src/db/repositories/metric-rollups.ts";
import { formatDay, type Day } from "../../src/domain/dates.ts";
import { stepTimer } from "./lifecycle.ts";

export const BENCH_METRICS = 10;
export const SEGMENTS = ["enterprise", "mid-market", "smb"] as const;

/** One aggregation per component, so every kind the recompute supports is exercised. */
const AGGS = ["avg", "sum", "min", "max", "last", "count", "avg", "sum", "max", "last"] as const;
const WEIGHTS = [20, 15, 10, 10, 10, 8, 8, 7, 6, 6] as const;

/** The synthetic values: a level per (account, metric) in 0..999 plus a daily wobble in -105..105. */
const BASE = (id: string, m: string) => `((${id}::bigint * 2654435761 + ${m} * 97) % 1000)`;
const WOBBLE = (id: string, m: string, d: string) =>
  `((${id}::bigint * 40503 + ${m} * 9973 + ${d} * 31337) % 211 - 105)`;

/** A linear scale over the range the aggregate of the synthetic values falls in. */
function scaleFor(agg: (typeof AGGS)[number], windowDays: number): string {
  switch (agg) {
    case "sum":
      return `{ min: 0, max: ${1000 * windowDays} }`;
    case "count":
      return `{ min: 0, max: ${windowDays} }`;
    case "min":
      return `{ min: -105, max: 900 }`;
    case "max":
      return `{ min: 100, max: 1105 }`;
    default:
      return `{ min: 0, max: 1000 }`;
  }
}

/**
 * The benchmark's model: components c0..c9, each reading metric mi over a `windowDays` window with
 * the aggregations above, linear scales and unequal weights; two segments override a weight or the
 * bands (so segments are resolved as in a real workspace) without adding inputs.
 */
export function benchModelSource(windowDays = 30): string {
  const components = AGGS.map(
    (agg, i) =>
      `  - key: c${i}\n` +
      `    input: { metric: m${i}, agg: ${agg}, window_days: ${windowDays} }\n` +
      `    scale: ${scaleFor(agg, windowDays)}\n` +
      `    weight: ${WEIGHTS[i]}\n`,
  ).join("");
  return `name: bench
description: Ten metric components over ${windowDays}-day windows (the recompute benchmark).
min_coverage: 0.5
hysteresis: 2
bands:
  - { key: healthy, min: 80 }
  - { key: caution, min: 60 }
  - { key: at_risk, min: 0 }
components:
${components}segments:
  enterprise:
    components: { c0: { weight: 30 } }
    bands:
      - { key: healthy, min: 85 }
      - { key: caution, min: 65 }
      - { key: at_risk, min: 0 }
  smb:
    components: { c9: { weight: 12 } }
`;
}

/**
 * Records the accounts `ids` selects (one column; `$1` is the workspace, `params` follow) as changed,
 * in blocks, as the observations' triggers do: the refresh job then computes their rollups again.
 */
export async function recordChangedAccounts(
  client: pg.ClientBase,
  workspaceId: number,
  ids: string,
  params: readonly unknown[] = [],
): Promise<void> {
  await client.query(
    `INSERT INTO metric_rollup_changes (workspace_id, bucket, account_ids)
     SELECT $1, id >> ${BUCKET_BITS}, array_agg(id ORDER BY id) FROM (${ids}) AS changed(id)
     GROUP BY id >> ${BUCKET_BITS}`,
    [workspaceId, ...params],
  );
}

export interface GeneratedPortfolio {
  accounts: number;
  observations: number;
  /** Seconds per step, in order. */
  steps: [string, number][];
  observationBytes: number;
}

/**
 * Fills the workspace with `accounts` active accounts and `days` days of the 10 metrics for each,
 * the last day being `asOf`, then vacuums and analyzes the database. Uses two connections for the
 * observations (one day each at a time), since the server has more than one core.
 */
export async function generatePortfolio(
  databaseUrl: string,
  spec: { workspaceId: number; accounts: number; days: number; asOf: Day },
  log: (text: string) => void,
): Promise<GeneratedPortfolio> {
  const { steps, step } = stepTimer(log);
  const clients = [new pg.Client(databaseUrl), new pg.Client(databaseUrl)] as const;
  try {
    // A dropped database (clean-up after an interrupt) ends the sessions: the pending query fails,
    // which is enough; the client's own error event must not crash the process.
    for (const c of clients) c.on("error", () => undefined);
    await Promise.all(clients.map((c) => c.connect()));
    const [main] = clients;
    const superuser = await isSuperuser(main);
    for (const c of clients) {
      await c.query(`SET maintenance_work_mem = '1GB'`);
      // Foreign-key triggers off for these sessions (the rows are valid by construction). Needs a
      // superuser; without one the keys are checked row by row, which is slower but the same data.
      if (superuser) await c.query(`SET session_replication_role = replica`);
    }

    await step(`${spec.accounts} accounts`, () =>
      main.query(
        `INSERT INTO accounts (workspace_id, external_id, name, segment, mrr, seats, status, updated_at)
         SELECT $1, 'acc-' || lpad(i::text, greatest(7, length(i::text)), '0'), 'Customer ' || i, ($3::text[])[1 + i % $4],
                (i % 97) * 50 + 100, 5 + i % 500, 'active', now()
         FROM generate_series(1, $2::int) AS i`,
        [spec.workspaceId, spec.accounts, SEGMENTS, SEGMENTS.length],
      ),
    );

    await main.query("ANALYZE accounts");
    const indexes = await step("drop the observation indexes", () =>
      dropIndexes(main, "metric_observations"),
    );
    await step(`${spec.days} days × ${spec.accounts} accounts × ${BENCH_METRICS} metrics`, async () => {
      const days = Array.from({ length: spec.days }, (_, i) => spec.days - 1 - i); // oldest first
      // Each connection takes the next day as soon as it is free: a day is written in one go, in
      // account order (the lateral reference makes accounts, read in id order, the outer loop).
      const next = () => days.shift();
      await Promise.all(
        clients.map(async (client) => {
          for (let d = next(); d !== undefined; d = next()) {
            await client.query(
              `INSERT INTO metric_observations (workspace_id, account_id, metric, observed_on, value, source)
               SELECT a.workspace_id, a.id, 'm' || m, $2::date - $3::int,
                      ${BASE("a.id", "m")} + ${WOBBLE("a.id", "m", "$3::int")}, 'import'
               FROM accounts a CROSS JOIN LATERAL generate_series(0 * a.id, $4::int - 1) AS m
               WHERE a.workspace_id = $1`,
              [spec.workspaceId, formatDay(spec.asOf), d, BENCH_METRICS],
            );
          }
        }),
      );
    });
    await step("rebuild the observation indexes", () => restoreIndexes(main, indexes));
    // What the observations' triggers record (every account changed), when they were off.
    await step("record the changed accounts for the rollups", () =>
      recordChangedAccounts(main, spec.workspaceId, `SELECT id FROM accounts WHERE workspace_id = $1`),
    );
    await step("VACUUM ANALYZE", () => main.query("VACUUM ANALYZE"));

    const { rows } = await main.query<{ n: string; bytes: string }>(
      `SELECT count(*) AS n, pg_total_relation_size('metric_observations') AS bytes
       FROM metric_observations WHERE workspace_id = $1`,
      [spec.workspaceId],
    );
    return {
      accounts: spec.accounts,
      observations: Number(rows[0]?.n ?? 0),
      steps,
      observationBytes: Number(rows[0]?.bytes ?? 0),
    };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

async function isSuperuser(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ s: boolean }>(
    `SELECT rolsuper AS s FROM pg_roles WHERE rolname = current_user`,
  );
  return rows[0]?.s === true;
}

interface DroppedIndexes {
  table: string;
  /** `ALTER TABLE ... ADD CONSTRAINT` for primary keys and unique constraints. */
  constraints: string[];
  /** `CREATE INDEX` for the other indexes. */
  indexes: string[];
}

/** Drops a table's indexes (its key constraints' included) and returns what recreates them. */
async function dropIndexes(client: pg.Client, table: string): Promise<DroppedIndexes> {
  const { rows: constraints } = await client.query<{ name: string; def: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
     WHERE conrelid = $1::regclass AND contype IN ('p', 'u')`,
    [table],
  );
  const { rows: indexes } = await client.query<{ name: string; def: string }>(
    `SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def FROM pg_index
     WHERE indrelid = $1::regclass
       AND indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE conrelid = $1::regclass)`,
    [table],
  );
  for (const c of constraints) await client.query(`ALTER TABLE ${table} DROP CONSTRAINT "${c.name}"`);
  for (const i of indexes) await client.query(`DROP INDEX ${i.name}`);
  return {
    table,
    constraints: constraints.map((c) => `ALTER TABLE ${table} ADD CONSTRAINT "${c.name}" ${c.def}`),
    indexes: indexes.map((i) => i.def),
  };
}

async function restoreIndexes(client: pg.Client, dropped: DroppedIndexes): Promise<void> {
  for (const sql of [...dropped.constraints, ...dropped.indexes]) await client.query(sql);
}
