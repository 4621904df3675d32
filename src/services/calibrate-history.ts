// `css-bot calibrate --from-history`: the churn map fitted on the workspace's own stored history
// instead of files. The samples are the history back-test's (backtest-history.ts): each churned
// account's snapshot `lead` days before its churn and the retained accounts' at the churners'
// reference day, so the probability is of churning within `lead` days. Only the map is fitted: the
// weights and scales need each account's inputs as of one day, which files give (calibrate with
// --accounts/--outcomes). The map goes into the active model's own text, every other byte kept.
import { findActiveModel } from "../db/repositories/models.ts";
import { fitChurnMap } from "../domain/backtest/fit-churn-map.ts";
import type { HeldOutProbabilityOptions } from "../domain/backtest/held-out-probability.ts";
import { writeChurnMap } from "../domain/backtest/write-churn-map.ts";
import { DEFAULT_MODEL_SOURCE } from "../domain/model/default-model.ts";
import type { ChurnMap } from "../domain/model/schema.ts";
import { KnownError } from "../errors.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { backtestHistory, type HistoryBacktest } from "./backtest-history.ts";

export class HistoryCalibrationError extends KnownError {
  readonly code = "HISTORY_CALIBRATION";
}

export interface HistoryCalibration {
  history: HistoryBacktest;
  map: ChurnMap;
  /** The active model's text (the default model's when none was set) with the map written in. */
  source: string;
  /** The active model's version; null for the default model. */
  modelVersion: number | null;
}

export async function calibrateHistory(
  prisma: PrismaClient,
  workspaceId: number,
  lead: number,
  folds: Pick<HeldOutProbabilityOptions, "folds" | "seed">,
): Promise<HistoryCalibration> {
  const history = await backtestHistory(prisma, workspaceId, lead, folds);
  const scored = history.samples.flatMap((s) =>
    s.score === null ? [] : [{ segment: s.segment ?? null, score: s.score, churned: s.churned }],
  );
  const map = fitChurnMap(scored, { horizonDays: lead });
  if (!map) {
    const churned = scored.filter((s) => s.churned).length;
    throw new HistoryCalibrationError(
      `no churn map fitted: the history holds ${churned} churned and ${scored.length - churned} retained scored account(s) ` +
        `with a snapshot ${lead} days before their outcome, and a map needs some of each` +
        (history.notes.length > 0 ? `\n${history.notes.map((n) => `note: ${n}`).join("\n")}` : ""),
    );
  }
  const active = await findActiveModel(prisma, workspaceId);
  return {
    history,
    map,
    source: writeChurnMap(active?.source ?? DEFAULT_MODEL_SOURCE, map),
    modelVersion: active?.version ?? null,
  };
}
