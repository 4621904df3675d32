// An account as the back-test and the calibration see it: its raw inputs (computed once, as of the
// back-test's date) and whether it churned. Scoring it again with other weights or bands is then a
// call to the same scoreFromInputs that every score goes through.
import type { Day } from "../dates.ts";
import { SegmentResolver } from "../model/resolve-segment.ts";
import type { ScoringModel } from "../model/schema.ts";
import { scoreFromInputs } from "../scoring/score.ts";
import type { RawInputs } from "../scoring/window-inputs.ts";
import type { BacktestSample } from "./report.ts";

export interface OutcomeSample {
  accountId: string;
  segment: string | null;
  raws: RawInputs;
  churned: boolean;
  /** The churn's day when the outcomes file gives it (calibrate checks it against the horizon). */
  churnedAt?: Day | null;
  /** The MRR known on the day the data runs through (null: unknown): the revenue forecast's weight. */
  mrr?: number | null;
}

/** Scores each sample with `model` (plain bands: a back-test has no previous snapshot). */
export function scoreSamples(model: ScoringModel, samples: readonly OutcomeSample[]): BacktestSample[] {
  const segments = new SegmentResolver(model);
  return samples.map((s) => {
    const result = scoreFromInputs(segments.for(s.segment), s.raws);
    return {
      accountId: s.accountId,
      segment: s.segment,
      churned: s.churned,
      score: result.score,
      band: result.band,
      components: result.components.map((c) => ({ key: c.key, score: c.score })),
    };
  });
}

/** Band keys from the highest down: the base model's, then any a segment adds. */
export function bandOrder(model: ScoringModel): string[] {
  const keys = [...model.bands].sort((a, b) => b.min - a.min).map((b) => b.key);
  for (const s of Object.values(model.segments ?? {}))
    for (const b of [...(s.bands ?? [])].sort((x, y) => y.min - x.min))
      if (!keys.includes(b.key)) keys.push(b.key);
  return keys;
}
