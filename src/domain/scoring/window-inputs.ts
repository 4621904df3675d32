// Turns one account's observations and survey responses into each component's raw input value
// as of a date. Windows are the N days ending on the as-of date: asOf - N < day <= asOf.
import { inWindow, type Day } from "../dates.ts";
import { summariseResponses, surveyKpi } from "../kpi/surveys.ts";
import type { SurveyCounts } from "../kpi/surveys.ts";
import type { Aggregation, Component, ComponentInput } from "../model/schema.ts";
import type { MetricRecord, ResponseRecord } from "../records.ts";

export type RawInputs = Record<string, number | null>;

/** Aggregates values (in date order is not needed; `last` takes the latest day). Null when empty. */
export function aggregate(agg: Aggregation, points: readonly { day: Day; value: number }[]): number | null {
  if (points.length === 0) return null;
  switch (agg) {
    case "count":
      return points.length;
    case "sum":
      return points.reduce((s, p) => s + p.value, 0);
    case "avg":
      return points.reduce((s, p) => s + p.value, 0) / points.length;
    case "min":
      return points.reduce((m, p) => Math.min(m, p.value), Infinity);
    case "max":
      return points.reduce((m, p) => Math.max(m, p.value), -Infinity);
    case "last":
      return points.reduce((a, b) => (b.day > a.day ? b : a)).value;
  }
}

/**
 * Raw value of every component for one account. Observations of one metric on one day count once
 * (the last one given wins, as an import replaces it), so file scoring matches the database.
 */
export function computeRawInputs(
  components: readonly Component[],
  metrics: readonly MetricRecord[],
  responses: readonly ResponseRecord[],
  asOf: Day,
): RawInputs {
  const byMetric = new Map<string, Map<Day, number>>();
  for (const m of metrics) {
    if (m.observedOn > asOf) continue;
    let days = byMetric.get(m.metric);
    if (!days) byMetric.set(m.metric, (days = new Map<Day, number>()));
    days.set(m.observedOn, m.value);
  }
  const raws: RawInputs = {};
  for (const c of components) {
    const input = c.input;
    if (input.survey !== undefined) {
      const scores = responses
        .filter((r) => r.survey === input.survey && inWindow(r.respondedOn, asOf, input.window_days))
        .map((r) => r.score);
      raws[c.key] = surveyRaw(input, summariseResponses(scores));
    } else {
      const points: { day: Day; value: number }[] = [];
      for (const [day, value] of byMetric.get(input.metric!) ?? []) {
        if (inWindow(day, asOf, input.window_days)) points.push({ day, value });
      }
      raws[c.key] = metricRaw(input, aggregate(input.agg!, points));
    }
  }
  return raws;
}

/** A metric input's raw value from its aggregate over the window (null: no observation in it). */
export function metricRaw(input: ComponentInput, aggregated: number | null): number | null {
  return aggregated ?? input.empty_value ?? null;
}

/** A survey input's raw value (NPS, CSAT or CES) from the counts of the responses in its window. */
export function surveyRaw(input: ComponentInput, counts: SurveyCounts): number | null {
  return surveyKpi(input.survey!, counts);
}

/** Identifies an input's data (what to aggregate, how, over which window), whatever component uses it. */
export function inputSignature(input: ComponentInput): string {
  return input.survey !== undefined
    ? `survey:${input.survey}:${input.window_days}`
    : `metric:${input.metric}:${input.agg}:${input.window_days}`;
}
