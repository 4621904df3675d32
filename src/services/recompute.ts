// Recomputes the active accounts of a workspace as of a date with the active model, and stores
// snapshots, band changes (after hysteresis, with their drivers) and the accounts' current score.
//
// A run has three stages, so the queue can spread it over workers and machines:
//   planRun     records the run (one per workspace and slot) and cuts the accounts into shards
//   scoreShard  scores one shard: windows aggregated in SQL, results written in one transaction;
//               re-running a shard writes identical rows (retries, stalled jobs, duplicates)
//   finishRun   adds up the shards' summaries and closes the run
// recomputeWorkspace runs the three in this process (the CLI's `recompute`).
import { z } from "zod";
import { dateToDay, dayToDate, formatDay, type Day } from "../domain/dates.ts";
import { emptySurveyCounts } from "../domain/kpi/surveys.ts";
import { churnProbability } from "../domain/model/churn-map.ts";
import { modelInputs, SegmentResolver } from "../domain/model/resolve-segment.ts";
import { driversBetween } from "../domain/scoring/explain.ts";
import { scoreFromInputs, type ComponentResult } from "../domain/scoring/score.ts";
import { inputSignature, metricRaw, surveyRaw, type RawInputs } from "../domain/scoring/window-inputs.ts";
import { activeModelForScoring, modelVersion } from "../db/repositories/models.ts";
import { writeRunCandidates } from "../db/repositories/play-candidates.ts";
import { playbookById } from "../db/repositories/playbooks.ts";
import { boundMarks, marksReader, markedPlays } from "../domain/plays/bound-marks.ts";
import { noDataRollupInputs } from "../domain/plays/no-data-window.ts";
import { runCandidatePlays, runCandidates } from "../domain/plays/run-candidates.ts";
import type { Play } from "../domain/plays/schema.ts";
import {
  previousSnapshots,
  writeResults,
  type BandChangeWrite,
  type RunStamp,
  type SnapshotWrite,
} from "../db/repositories/snapshots.ts";
import { readRollups, refreshRollups, type RollupValues } from "../db/repositories/metric-rollups.ts";
import {
  aggregateSurveys,
  aggregationTransaction,
  uniqueMetricInputs,
  type AccountRange,
} from "../db/repositories/window-aggregates.ts";
import type { Clients } from "../db/handle.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";

/** The public summary of a run (`css-bot recompute --json`). */
export interface RecomputeSummary {
  as_of: string;
  accounts: number;
  scored: number;
  insufficient_data: number;
  band_changes: number;
  errors: { account_id: string; error: string }[];
}

export type ShardSummary = Omit<RecomputeSummary, "as_of">;

export interface PlannedRun {
  runId: bigint;
  workspaceId: number;
  asOf: Day;
  modelId: number;
  startedAt: Date;
  shards: { fromId: number; toId: number }[];
  /** False when the slot's run already existed (a duplicate or retried plan). */
  created: boolean;
  /** The slot's run already succeeded: nothing to do. */
  finished: boolean;
}

const shardRange = z.object({ fromId: z.number().int(), toId: z.number().int() });

/** Cuts the workspace's active accounts into ranges of ids of about `size` accounts each. */
async function cutShards(
  prisma: PrismaClient,
  workspaceId: number,
  size: number,
): Promise<{ fromId: number; toId: number }[]> {
  const rows = await prisma.$queryRawUnsafe<{ from_id: number; to_id: number }[]>(
    `SELECT min(id) AS from_id, max(id) AS to_id
     FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / $2 AS bucket
           FROM accounts WHERE workspace_id = $1 AND status = 'active') b
     GROUP BY bucket ORDER BY bucket`,
    workspaceId,
    size,
  );
  return rows.map((r) => ({ fromId: r.from_id, toId: r.to_id }));
}

export interface ShardTask {
  workspaceId: number;
  runId: bigint;
  asOf: Day;
  modelId: number;
  startedAt: Date;
  fromId: number;
  toId: number;
}

export const DEFAULT_SHARD_SIZE = 5000;

/**
 * Records the run of `slot` (or finds it: one run per workspace and slot) and cuts the workspace's
 * active accounts into shards of about `shardSize` by id.
 */
export async function planRun(
  prisma: PrismaClient,
  workspaceId: number,
  asOf: Day,
  options: { slot: string; trigger: string; shardSize?: number },
): Promise<PlannedRun> {
  const active = await activeModelForScoring(prisma, workspaceId);
  const existing = await prisma.recomputeRun.findUnique({
    where: { workspaceId_slot: { workspaceId, slot: options.slot } },
  });
  const run =
    existing ??
    (await prisma.recomputeRun.create({
      data: {
        workspaceId,
        slot: options.slot,
        asOf: dayToDate(asOf),
        status: "running",
        trigger: options.trigger,
        modelId: active.id,
        // The shards record this playbook's candidates; a playbook set during the run is evaluated
        // without them (play-candidates.ts).
        playbookId:
          (
            await prisma.workspace.findUnique({
              where: { id: workspaceId },
              select: { activePlaybookId: true },
            })
          )?.activePlaybookId ?? null,
      },
    }));
  // The plan is fixed when the run is first recorded: a retried or duplicate plan gets the same
  // shards, so each shard's job id always means the same accounts.
  const stored = z.array(shardRange).safeParse(run.plan);
  const shards = stored.success
    ? stored.data
    : await cutShards(prisma, workspaceId, options.shardSize ?? DEFAULT_SHARD_SIZE);
  if (!stored.success) {
    await prisma.recomputeRun.update({
      where: { id: run.id },
      data: { shards: shards.length, plan: shards },
    });
  }
  return {
    runId: run.id,
    workspaceId,
    asOf: dateToDay(run.asOf),
    modelId: run.modelId ?? active.id,
    startedAt: run.startedAt,
    shards,
    created: !existing,
    finished: run.status === "succeeded",
  };
}

interface ShardAccount {
  id: number;
  external_id: string;
  segment: string | null;
  /** Its renewal date as a Day: read only when the run's playbook has renewal plays. */
  renewal_day?: Day | null;
}

/** Segment resolvers built once per database client and model version. */
const resolvers = new WeakMap<PrismaClient, Map<number, SegmentResolver>>();

async function resolverFor(
  prisma: PrismaClient,
  workspaceId: number,
  modelId: number,
): Promise<SegmentResolver> {
  let byId = resolvers.get(prisma);
  if (!byId) resolvers.set(prisma, (byId = new Map<number, SegmentResolver>()));
  let resolver = byId.get(modelId);
  if (!resolver) {
    resolver = new SegmentResolver(await modelVersion(prisma, workspaceId, modelId));
    byId.set(modelId, resolver);
  }
  return resolver;
}

/**
 * Scores the active accounts with ids in [fromId, toId]. One bad account is an error, not a failure:
 * an account whose data breaks a statement of the shard's (PostgreSQL's data exceptions, class 22,
 * such as a sum that overflows) is found by halving the range until it is alone, and recorded in
 * the run's errors while the others are scored. Other faults (a lost connection) fail the shard, to
 * be retried.
 */
export async function scoreShard(db: Clients, task: ShardTask): Promise<ShardSummary> {
  try {
    return await scoreRange(db, task);
  } catch (error) {
    if (!isDataException(error)) throw error;
    if (task.fromId >= task.toId) return accountFailure(db, task, error as Error);
    const middle = Math.floor((task.fromId + task.toId) / 2);
    const left = await scoreShard(db, { ...task, toId: middle });
    const right = await scoreShard(db, { ...task, fromId: middle + 1 });
    const { as_of: _asOf, ...sum } = addSummaries(task.asOf, [left, right]);
    return sum;
  }
}

/** SQLSTATE class 22: the data, not the database, is at fault; retrying changes nothing. */
function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("22");
}

async function accountFailure(db: Clients, task: ShardTask, error: Error): Promise<ShardSummary> {
  const [account] = await db.sql.query<{ external_id: string }>(
    `SELECT external_id FROM accounts WHERE workspace_id = $1 AND id = $2 AND status = 'active'`,
    [task.workspaceId, task.fromId],
  );
  const summary: ShardSummary = { accounts: 0, scored: 0, insufficient_data: 0, band_changes: 0, errors: [] };
  if (!account) return summary;
  return { ...summary, accounts: 1, errors: [{ account_id: account.external_id, error: error.message }] };
}

/** The run-candidate plays of each stored playbook version (immutable), per database client. */
const candidatePlays = new WeakMap<PrismaClient, Map<number, Play[]>>();

/**
 * The plays whose candidates the run's shards record (its playbook's runCandidatePlays), and the
 * version's id, which the snapshots' marks name (bound-marks.ts).
 */
async function runCandidatePlaysOf(db: Clients, task: ShardTask): Promise<{ id: number; plays: Play[] }> {
  const [run] = await db.sql.query<{ playbook_id: number | null }>(
    `SELECT playbook_id FROM recompute_runs WHERE id = $1 AND workspace_id = $2`,
    [task.runId, task.workspaceId],
  );
  const id = run?.playbook_id ?? null;
  // No version has id 0: nothing is marked or read for a run without a playbook.
  if (id === null) return { id: 0, plays: [] };
  let byId = candidatePlays.get(db.prisma);
  if (!byId) candidatePlays.set(db.prisma, (byId = new Map<number, Play[]>()));
  let plays = byId.get(id);
  if (!plays) {
    const stored = await playbookById(db.prisma, task.workspaceId, id);
    plays = stored ? runCandidatePlays(stored.playbook.plays) : [];
    byId.set(id, plays);
  }
  return { id, plays };
}

async function scoreRange(db: Clients, task: ShardTask): Promise<ShardSummary> {
  const segments = await resolverFor(db.prisma, task.workspaceId, task.modelId);
  const { id: playbookId, plays } = await runCandidatePlaysOf(db, task);
  // Each snapshot marks which component plays' bounds it is in; the previous snapshot's marks, when
  // of this version, stand in for its components (parsed otherwise: another version, none).
  const marked = markedPlays(plays);
  const readMarks = marksReader(playbookId, marked.length);
  const range: AccountRange = { workspaceId: task.workspaceId, fromId: task.fromId, toId: task.toId };
  // The model's inputs, and the two counts each no_data play of the run's playbook is told by.
  const allInputs = [...modelInputs(segments.model), ...noDataRollupInputs(plays)];
  const signatures = uniqueMetricInputs(allInputs).map(inputSignature);
  // Everything the shard reads, in one transaction through the driver (a shard's rows are megabytes,
  // which Prisma's raw queries would convert twice):
  // - metric inputs from the accounts' rollups (one row each), computed here for those out of date
  //   (new observations, another day, another model or playbook), for every segment's inputs so the
  //   stored rollup serves any shard;
  // - survey inputs counted from the responses, for the shard's segments;
  // - each account's latest earlier snapshot, for hysteresis and the band changes' drivers.
  const inputs = await aggregationTransaction(db.sql, async (read) => {
    // The renewal date only for a playbook with renewal plays: the common read stays as narrow.
    const renewals = plays.some((p) => "renewal" in p.trigger)
      ? `, renewal_date - DATE '1970-01-01' AS renewal_day`
      : "";
    const accounts = await read<ShardAccount>(
      `SELECT id, external_id, segment${renewals} FROM accounts
       WHERE workspace_id = $1 AND status = 'active' AND id BETWEEN $2 AND $3 ORDER BY id`,
      [task.workspaceId, task.fromId, task.toId],
    );
    if (accounts.length === 0) return null;
    const ids = accounts.map((a) => a.id);
    let metricValues = new Map<number, RollupValues>();
    if (signatures.length > 0) {
      const rollups = await readRollups(read, task.workspaceId, ids, signatures, task.asOf);
      metricValues = rollups.current;
      const refreshed = await refreshRollups(read, task.workspaceId, rollups.outdated, allInputs, task.asOf);
      for (const [id, values] of refreshed) metricValues.set(id, values);
    }
    const surveyInputs = [...new Set(accounts.map((a) => a.segment))].flatMap((segment) =>
      segments.for(segment).components.map((c) => c.input),
    );
    const surveyValues = await aggregateSurveys(read, range, surveyInputs, task.asOf);
    return {
      accounts,
      metricValues,
      surveyValues,
      previous: await previousSnapshots(read, range, task.asOf),
    };
  });
  const summary: ShardSummary = { accounts: 0, scored: 0, insufficient_data: 0, band_changes: 0, errors: [] };
  if (inputs === null) return summary;
  const { accounts, metricValues, surveyValues, previous } = inputs;

  const snapshots: SnapshotWrite[] = [];
  const changes: BandChangeWrite[] = [];
  const candidates: { playKey: string; accountId: number }[] = [];
  for (const account of accounts) {
    summary.accounts++;
    try {
      const model = segments.for(account.segment);
      const raws: RawInputs = {};
      for (const c of model.components) {
        const signature = inputSignature(c.input);
        raws[c.key] =
          c.input.survey !== undefined
            ? surveyRaw(c.input, surveyValues.get(signature)?.get(account.id) ?? emptySurveyCounts())
            : metricRaw(c.input, metricValues.get(account.id)?.[signature] ?? null);
      }
      const before = previous.get(account.id);
      const result = scoreFromInputs(model, raws, before?.band ?? null);
      // A first score is not a change; a move between bands (insufficient_data included) is.
      const change: BandChangeWrite | null =
        before && before.band !== result.band
          ? {
              accountId: account.id,
              fromBand: before.band,
              toBand: result.band,
              fromScore: before.score,
              toScore: result.score,
              drivers: driversBetween(
                { ...before, components: JSON.parse(before.componentsJson) as ComponentResult[] },
                result,
              ),
            }
          : null;
      const marks = boundMarks(playbookId, marked, result.components);
      // Recorded only once everything about the account has been worked out: an account that fails
      // halfway leaves no snapshot and counts only as an error.
      snapshots.push({
        accountId: account.id,
        score: result.score,
        band: result.band,
        coverage: result.coverage,
        components: result.components,
        churnProbability:
          result.score === null ? null : churnProbability(segments.model, account.segment, result.score),
        playBounds: marks.stored,
      });
      if (change) changes.push(change);
      if (plays.length > 0) {
        const keys = runCandidates(plays, {
          accountId: account.id,
          score: result.score,
          components: result.components,
          bounds: marks.bits,
          previous: before && {
            asOf: before.asOf,
            band: before.band,
            score: before.score,
            bounds: readMarks(before.playBounds),
            components: before.componentsJson,
          },
          metrics: metricValues.get(account.id) ?? {},
          renewal: { day: task.asOf, band: result.band, date: account.renewal_day ?? null },
        });
        for (const playKey of keys) candidates.push({ playKey, accountId: account.id });
      }
      if (result.score === null) summary.insufficient_data++;
      else summary.scored++;
    } catch (e) {
      summary.errors.push({ account_id: account.external_id, error: (e as Error).message });
    }
  }
  const stamp: RunStamp = { runId: task.runId, modelId: task.modelId, startedAt: task.startedAt };
  await db.sql.transaction(async (execute) => {
    await writeResults(execute, range, task.asOf, stamp, snapshots, changes);
    if (plays.length > 0) await writeRunCandidates(execute, task.runId, range, candidates);
  });
  summary.band_changes = changes.length;
  return summary;
}

export function addSummaries(asOf: Day, shards: readonly ShardSummary[]): RecomputeSummary {
  const total: RecomputeSummary = {
    as_of: formatDay(asOf),
    accounts: 0,
    scored: 0,
    insufficient_data: 0,
    band_changes: 0,
    errors: [],
  };
  for (const s of shards) {
    total.accounts += s.accounts;
    total.scored += s.scored;
    total.insufficient_data += s.insufficient_data;
    total.band_changes += s.band_changes;
    total.errors.push(...s.errors);
  }
  return total;
}

/** Closes a run with the sum of its shards. Idempotent: finishing twice writes the same row. */
export async function finishRun(
  prisma: PrismaClient,
  runId: bigint,
  summary: RecomputeSummary,
): Promise<void> {
  await prisma.recomputeRun.update({
    where: { id: runId },
    data: {
      status: "succeeded",
      finishedAt: new Date(),
      accounts: summary.accounts,
      scored: summary.scored,
      insufficientData: summary.insufficient_data,
      bandChanges: summary.band_changes,
      errors: summary.errors,
    },
  });
}

export async function failRun(prisma: PrismaClient, runId: bigint, error: string): Promise<void> {
  await prisma.recomputeRun.update({
    where: { id: runId },
    data: { status: "failed", finishedAt: new Date(), error: error.slice(0, 2000) },
  });
}

/** The whole run in this process: for the CLI and the demo. */
export async function recomputeWorkspace(
  db: Clients,
  workspaceId: number,
  asOf: Day,
  options: { trigger?: string; shardSize?: number } = {},
): Promise<RecomputeSummary & { runId: bigint }> {
  const trigger = options.trigger ?? "manual";
  const slot = `${trigger}-${formatDay(asOf)}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const run = await planRun(db.prisma, workspaceId, asOf, { slot, trigger, shardSize: options.shardSize });
  try {
    const summaries: ShardSummary[] = [];
    for (const shard of run.shards) summaries.push(await scoreShard(db, { ...run, ...shard }));
    const summary = addSummaries(asOf, summaries);
    await finishRun(db.prisma, run.runId, summary);
    return { ...summary, runId: run.runId };
  } catch (e) {
    await failRun(db.prisma, run.runId, (e as Error).message);
    throw e;
  }
}
