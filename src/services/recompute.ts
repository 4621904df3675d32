// Recomputes every active account of a workspace as of a date with the active model, and stores
// snapshots, band changes (after hysteresis, with their drivers) and the accounts' current score.
// Accounts are processed in pages by id; each page aggregates its windows in SQL and writes its
// results in one transaction, so a run of any size keeps bounded memory.
import { formatDay, type Day } from "../domain/dates.ts";
import { SegmentResolver } from "../domain/model/resolve-segment.ts";
import type { ComponentInput } from "../domain/model/schema.ts";
import { driversBetween } from "../domain/scoring/explain.ts";
import { scoreFromInputs } from "../domain/scoring/score.ts";
import { inputSignature, metricRaw, surveyRaw, type RawInputs } from "../domain/scoring/window-inputs.ts";
import { emptySurveyCounts, type SurveyCounts } from "../domain/kpi/surveys.ts";
import { activeModelForScoring } from "../db/repositories/models.ts";
import {
  previousSnapshots,
  writeResults,
  type BandChangeWrite,
  type SnapshotWrite,
} from "../db/repositories/snapshots.ts";
import { aggregateMetric, aggregateSurvey, type AccountRange } from "../db/repositories/window-aggregates.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";

export interface RecomputeSummary {
  as_of: string;
  accounts: number;
  scored: number;
  insufficient_data: number;
  band_changes: number;
  errors: { account_id: string; error: string }[];
}

export interface RecomputeOptions {
  pageSize?: number;
  trigger?: string;
}

interface PageAccount {
  id: number;
  external_id: string;
  segment: string | null;
}

export async function recomputeWorkspace(
  prisma: PrismaClient,
  workspaceId: number,
  asOf: Day,
  options: RecomputeOptions = {},
): Promise<RecomputeSummary & { runId: bigint }> {
  const pageSize = options.pageSize ?? 5000;
  const active = await activeModelForScoring(prisma, workspaceId);
  const segments = new SegmentResolver(active.model);
  const summary: RecomputeSummary = {
    as_of: formatDay(asOf),
    accounts: 0,
    scored: 0,
    insufficient_data: 0,
    band_changes: 0,
    errors: [],
  };
  const run = await prisma.recomputeRun.create({
    data: {
      workspaceId,
      slot: `${options.trigger ?? "manual"}-${formatDay(asOf)}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
      asOf: new Date(`${formatDay(asOf)}T00:00:00Z`),
      status: "running",
      trigger: options.trigger ?? "manual",
      modelId: active.id,
    },
  });
  try {
    let afterId = 0;
    for (;;) {
      const page = await prisma.$queryRawUnsafe<PageAccount[]>(
        `SELECT id, external_id, segment FROM accounts
         WHERE workspace_id = $1 AND status = 'active' AND id > $2 ORDER BY id LIMIT $3`,
        workspaceId,
        afterId,
        pageSize,
      );
      if (page.length === 0) break;
      afterId = page[page.length - 1]!.id;
      const range: AccountRange = { workspaceId, fromId: page[0]!.id, toId: afterId };
      await scorePage(prisma, range, page, asOf, segments, active.id, run.id, summary);
    }
    await prisma.recomputeRun.update({
      where: { id: run.id },
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
  } catch (e) {
    await prisma.recomputeRun.update({
      where: { id: run.id },
      data: { status: "failed", finishedAt: new Date(), error: (e as Error).message.slice(0, 2000) },
    });
    throw e;
  }
  return { ...summary, runId: run.id };
}

async function scorePage(
  prisma: PrismaClient,
  range: AccountRange,
  page: PageAccount[],
  asOf: Day,
  segments: SegmentResolver,
  modelId: number,
  runId: bigint,
  summary: RecomputeSummary,
): Promise<void> {
  // Every distinct input the page's segments use, aggregated once for the whole page.
  const inputs = new Map<string, ComponentInput>();
  for (const a of page)
    for (const c of segments.for(a.segment).components) inputs.set(inputSignature(c.input), c.input);
  const metricValues = new Map<string, Map<number, number>>();
  const surveyValues = new Map<string, Map<number, SurveyCounts>>();
  for (const [signature, input] of inputs) {
    if (input.survey !== undefined)
      surveyValues.set(signature, await aggregateSurvey(prisma, range, input, asOf));
    else metricValues.set(signature, await aggregateMetric(prisma, range, input, asOf));
  }
  const previous = await previousSnapshots(prisma, range, asOf);

  const snapshots: SnapshotWrite[] = [];
  const changes: BandChangeWrite[] = [];
  for (const account of page) {
    summary.accounts++;
    try {
      const model = segments.for(account.segment);
      const raws: RawInputs = {};
      for (const c of model.components) {
        const signature = inputSignature(c.input);
        raws[c.key] =
          c.input.survey !== undefined
            ? surveyRaw(c.input, surveyValues.get(signature)?.get(account.id) ?? emptySurveyCounts())
            : metricRaw(c.input, metricValues.get(signature)?.get(account.id) ?? null);
      }
      const before = previous.get(account.id);
      const result = scoreFromInputs(model, raws, before?.band ?? null);
      snapshots.push({
        accountId: account.id,
        score: result.score,
        band: result.band,
        coverage: result.coverage,
        components: result.components,
      });
      if (result.score === null) summary.insufficient_data++;
      else summary.scored++;
      // A first score is not a change; a move between bands (insufficient_data included) is.
      if (before && before.band !== result.band) {
        changes.push({
          accountId: account.id,
          fromBand: before.band,
          toBand: result.band,
          fromScore: before.score,
          toScore: result.score,
          drivers: driversBetween(before, result),
        });
      }
    } catch (e) {
      summary.errors.push({ account_id: account.external_id, error: (e as Error).message });
    }
  }
  await prisma.$transaction(async (tx) => writeResults(tx, range, asOf, modelId, runId, snapshots, changes), {
    timeout: 120_000,
  });
  summary.band_changes += changes.length;
}
