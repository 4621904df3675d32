// Survey KPIs (NPS, CSAT, CES) computed from counts, so the same formulas serve an in-memory list of
// scores and a SQL `count(*) filter (...)` / `sum(score)` summary.
import type { SurveyKind } from "../records.ts";

/**
 * A summary of the responses of one survey. Each count applies whichever the survey:
 * `promoters` means score >= 9, `detractors` score <= 6, `satisfied` score >= 4, and `sum` is the
 * sum of the scores; each KPI reads only the fields that make sense for it.
 */
export interface SurveyCounts {
  n: number;
  promoters: number;
  detractors: number;
  satisfied: number;
  sum: number;
}

export function emptySurveyCounts(): SurveyCounts {
  return { n: 0, promoters: 0, detractors: 0, satisfied: 0, sum: 0 };
}

/** Adds one score to `counts` in place (for single-pass accumulation over large inputs). */
export function addScore(counts: SurveyCounts, score: number): void {
  counts.n += 1;
  if (score >= 9) counts.promoters += 1;
  if (score <= 6) counts.detractors += 1;
  if (score >= 4) counts.satisfied += 1;
  counts.sum += score;
}

/** Counts of a list of scores: promoters = score >= 9, detractors = score <= 6, satisfied = score >= 4. */
export function summariseResponses(scores: Iterable<number>): SurveyCounts {
  const counts = emptySurveyCounts();
  for (const score of scores) addScore(counts, score);
  return counts;
}

/**
 * Rounds to the nearest whole number, halves away from zero: 12.5 → 13 and -12.5 → -13.
 * `Math.round` rounds halves towards +∞ (-12.5 → -12), which would make a KPI and its mirror image
 * differ by one. Never returns -0.
 */
export function roundHalfAwayFromZero(x: number): number {
  const r = Math.sign(x) * Math.round(Math.abs(x));
  return r === 0 ? 0 : r;
}

/**
 * Net Promoter Score: NPS = 100 × (promoters − detractors) / n, where promoters scored 9–10 and
 * detractors 0–6 on the 0–10 scale (passives, 7–8, count only in n). A whole number from −100 to 100,
 * rounded half away from zero (−12.5 → −13, not `Math.round`'s −12). Null when n = 0.
 */
export function npsFromCounts(c: SurveyCounts): number | null {
  if (c.n <= 0) return null;
  // One division of integers: an exact half (e.g. 100/8 = 12.5) stays exact in floating point.
  return roundHalfAwayFromZero((100 * (c.promoters - c.detractors)) / c.n);
}

/**
 * Customer Satisfaction Score: CSAT = 100 × satisfied / n, the percentage of responses rated 4 or 5
 * on the 1–5 scale. From 0 to 100, not rounded. Null when n = 0.
 */
export function csatFromCounts(c: SurveyCounts): number | null {
  if (c.n <= 0) return null;
  return (100 * c.satisfied) / c.n;
}

/**
 * Customer Effort Score: CES = sum / n, the mean effort rating on the 1–7 scale (lower is easier).
 * Not rounded. Null when n = 0.
 */
export function cesFromCounts(c: SurveyCounts): number | null {
  if (c.n <= 0) return null;
  return c.sum / c.n;
}

/** The KPI of survey `kind` from its counts: NPS, CSAT or CES as above. */
export function surveyKpi(kind: SurveyKind, c: SurveyCounts): number | null {
  switch (kind) {
    case "nps":
      return npsFromCounts(c);
    case "csat":
      return csatFromCounts(c);
    case "ces":
      return cesFromCounts(c);
  }
}

/** The valid scores of each survey, inclusive; every score is a whole number. */
export const SURVEY_RANGES: Readonly<Record<SurveyKind, readonly [min: number, max: number]>> = {
  nps: [0, 10],
  csat: [1, 5],
  ces: [1, 7],
};

const SURVEY_LABELS: Readonly<Record<SurveyKind, string>> = { nps: "NPS", csat: "CSAT", ces: "CES" };

/**
 * Why `score` is not a valid answer to survey `kind`, or null when it is, e.g.
 * "NPS score must be a whole number from 0 to 10, got 11".
 */
export function checkSurveyScore(kind: SurveyKind, score: number): string | null {
  const [min, max] = SURVEY_RANGES[kind];
  if (Number.isInteger(score) && score >= min && score <= max) return null;
  return `${SURVEY_LABELS[kind]} score must be a whole number from ${min} to ${max}, got ${String(score)}`;
}
