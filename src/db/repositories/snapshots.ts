// Score snapshots, band changes and the accounts' current score: read the previous state of a page
// of accounts, and write a page of results in a few statements.
import { formatDay, parseDay, type Day } from "../../domain/dates.ts";
import type { Driver } from "../../domain/scoring/explain.ts";
import type { ComponentResult } from "../../domain/scoring/score.ts";
import type { Db, SqlExecute, SqlRead } from "../handle.ts";
import type { AccountRange } from "./window-aggregates.ts";

export interface StoredSnapshot {
  accountId: number;
  asOf: Day;
  score: number | null;
  band: string;
  coverage: number;
  components: ComponentResult[];
  modelId: number;
  /** Within the model's horizon; null when its model had no churn map. */
  churnProbability: number | null;
}

interface SnapshotSqlRow {
  account_id: number;
  as_of: string;
  score: number | null;
  band: string;
  coverage: number;
  components: ComponentResult[];
  model_id: number;
  churn_probability: number | null;
}

const fromRow = (r: SnapshotSqlRow): StoredSnapshot => ({
  accountId: r.account_id,
  asOf: parseDay(r.as_of)!,
  score: r.score,
  band: r.band,
  coverage: r.coverage,
  components: r.components,
  modelId: r.model_id,
  churnProbability: r.churn_probability,
});

const SELECT_SNAPSHOT = `SELECT account_id, to_char(as_of, 'YYYY-MM-DD') AS as_of, score, band, coverage, components, model_id,
                                churn_probability
                         FROM score_snapshots`;

/** An account's latest snapshot before a run's day, as the run needs it. */
export interface PreviousSnapshot {
  /** Its day: a renewal play's candidacy (domain/plays/run-candidates.ts). */
  asOf: Day;
  score: number | null;
  band: string;
  /**
   * The components as stored (JSON text, about 700 bytes): parsed only for an account whose band
   * changed, for the drivers; no other account's are used.
   */
  componentsJson: string;
  /** Its marks (domain/plays/bound-marks.ts, score_snapshots.play_bounds): null without. */
  playBounds: string | null;
}

/**
 * The latest snapshot before `asOf` of each account in the range. Read through the driver: a shard's
 * previous snapshots carry megabytes of components, which Prisma's raw queries would convert twice.
 */
export async function previousSnapshots(
  read: SqlRead,
  range: AccountRange,
  asOf: Day,
): Promise<Map<number, PreviousSnapshot>> {
  const rows = await read<{
    account_id: number;
    as_of: Day;
    score: number | null;
    band: string;
    components: string;
    play_bounds: string | null;
  }>(
    // The day as an integer (Day), as the domain counts them.
    `SELECT DISTINCT ON (account_id) account_id, as_of - DATE '1970-01-01' AS as_of, score, band,
            components::text AS components, play_bounds
     FROM score_snapshots
     WHERE workspace_id = $1 AND account_id BETWEEN $2 AND $3 AND as_of < $4::date
     ORDER BY account_id, as_of DESC`,
    [range.workspaceId, range.fromId, range.toId, formatDay(asOf)],
  );
  return new Map(
    rows.map((r) => [
      r.account_id,
      {
        asOf: r.as_of,
        score: r.score,
        band: r.band,
        componentsJson: r.components,
        playBounds: r.play_bounds,
      },
    ]),
  );
}

/** The account's snapshot on or before `asOf` (latest when asOf is null), and the one before it. */
export async function snapshotPair(
  db: Db,
  workspaceId: number,
  accountId: number,
  asOf: Day | null,
): Promise<{ current: StoredSnapshot | null; previous: StoredSnapshot | null }> {
  const rows = await db.$queryRawUnsafe<SnapshotSqlRow[]>(
    `${SELECT_SNAPSHOT} WHERE workspace_id = $1 AND account_id = $2 AND ($3::date IS NULL OR as_of <= $3::date)
     ORDER BY as_of DESC LIMIT 2`,
    workspaceId,
    accountId,
    asOf === null ? null : formatDay(asOf),
  );
  return { current: rows[0] ? fromRow(rows[0]) : null, previous: rows[1] ? fromRow(rows[1]) : null };
}

/** Separates the JSON documents of one text parameter: JSON.stringify never leaves it unescaped. */
const RECORD_SEPARATOR = "\u001e";

export interface SnapshotWrite {
  accountId: number;
  score: number | null;
  band: string;
  coverage: number;
  components: ComponentResult[];
  /** From the model's churn map; null without one (or without a score). */
  churnProbability: number | null;
  /** Which component plays' bounds it is in (domain/plays/bound-marks.ts); null: none to mark. */
  playBounds: string | null;
}

export interface BandChangeWrite {
  accountId: number;
  fromBand: string;
  toBand: string;
  fromScore: number | null;
  toScore: number | null;
  drivers: Driver[];
}

export interface RunStamp {
  runId: bigint;
  modelId: number;
  /** The run's start: stamped on every row it writes, so a retried shard writes identical rows. */
  startedAt: Date;
}

/**
 * Writes a page of results for one as-of date, inside the caller's transaction (`execute`, through
 * the driver: the parameters are megabytes). Recomputing a date replaces its snapshots and band
 * changes (a change that no longer happens is removed); the accounts' current score moves only
 * forward in time, so re-scoring an old date never overwrites a newer score.
 */
export async function writeResults(
  execute: SqlExecute,
  range: AccountRange,
  asOf: Day,
  run: RunStamp,
  snapshots: readonly SnapshotWrite[],
  changes: readonly BandChangeWrite[],
): Promise<void> {
  const { runId, modelId, startedAt } = run;
  const day = formatDay(asOf);
  if (snapshots.length > 0) {
    // The component lists go as one text of JSON documents separated by the record separator (which
    // JSON.stringify always escapes inside strings), split and checked as `json`, the type they are
    // stored as (see the schema); the other fields as arrays. Sent as one JSON document, the lists
    // were parsed by PostgreSQL's JSON lexer twice (most of the statement), and as an array of
    // strings they cost the driver more than the statement.
    await execute(
      `INSERT INTO score_snapshots (workspace_id, account_id, as_of, model_id, score, band, coverage, components, churn_probability, play_bounds, run_id, computed_at)
       SELECT $1, x.a, $2::date, $3, x.s, x.b, x.c, x.j::json, x.p, x.m, $4, $6::timestamptz
       FROM unnest($5::int[], $7::float8[], $8::text[], $9::float8[], string_to_array($10, chr(30)), $11::float8[], $12::text[])
         AS x(a, s, b, c, j, p, m)
       ON CONFLICT (account_id, as_of) DO UPDATE SET model_id = excluded.model_id, score = excluded.score,
         band = excluded.band, coverage = excluded.coverage, components = excluded.components,
         churn_probability = excluded.churn_probability, play_bounds = excluded.play_bounds,
         run_id = excluded.run_id, computed_at = excluded.computed_at`,
      [
        range.workspaceId,
        day,
        modelId,
        runId,
        snapshots.map((s) => s.accountId),
        startedAt,
        snapshots.map((s) => s.score),
        snapshots.map((s) => s.band),
        snapshots.map((s) => s.coverage),
        snapshots.map((s) => JSON.stringify(s.components)).join(RECORD_SEPARATOR),
        snapshots.map((s) => s.churnProbability),
        snapshots.map((s) => s.playBounds),
      ],
    );
    // Rows whose current score, band and date are already these are left alone: an hourly run that
    // changes nothing writes nothing here.
    await execute(
      `UPDATE accounts a SET current_score = x.s, current_band = x.b, scored_as_of = $2::date
       FROM json_to_recordset($3::json) AS x(a int, s float8, b text)
       WHERE a.id = x.a AND a.workspace_id = $1 AND (a.scored_as_of IS NULL OR a.scored_as_of <= $2::date)
         AND (a.current_score, a.current_band, a.scored_as_of) IS DISTINCT FROM (x.s, x.b, $2::date)`,
      [
        range.workspaceId,
        day,
        // Only what the update reads: the full rows carry every component and cost a second parse.
        JSON.stringify(snapshots.map((s) => ({ a: s.accountId, s: s.score, b: s.band }))),
      ],
    );
  }
  const changeJson = JSON.stringify(
    changes.map((c) => ({
      a: c.accountId,
      f: c.fromBand,
      t: c.toBand,
      fs: c.fromScore,
      ts: c.toScore,
      d: c.drivers,
    })),
  );
  await execute(
    `DELETE FROM band_changes WHERE workspace_id = $1 AND as_of = $2::date AND account_id BETWEEN $3 AND $4
       AND account_id NOT IN (SELECT (x->>'a')::int FROM jsonb_array_elements($5::jsonb) AS x)`,
    [range.workspaceId, day, range.fromId, range.toId, changeJson],
  );
  if (changes.length > 0) {
    await execute(
      `INSERT INTO band_changes (workspace_id, account_id, as_of, from_band, to_band, from_score, to_score, drivers, run_id, created_at)
       SELECT $1, x.a, $2::date, x.f, x.t, x.fs, x.ts, x.d, $3, $5::timestamptz
       FROM jsonb_to_recordset($4::jsonb) AS x(a int, f text, t text, fs float8, ts float8, d jsonb)
       ON CONFLICT (account_id, as_of) DO UPDATE SET from_band = excluded.from_band, to_band = excluded.to_band,
         from_score = excluded.from_score, to_score = excluded.to_score, drivers = excluded.drivers, run_id = excluded.run_id`,
      [range.workspaceId, day, runId, changeJson, startedAt],
    );
  }
}
