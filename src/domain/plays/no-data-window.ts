// A no_data play's candidates as a run's shard can tell them from the account's metric rollup
// (db/repositories/metric-rollups.ts), which it reads anyway: the SQL of play-candidates.ts asks
// whether the metric was observed in (day - D - CATCH_UP_DAYS - 1, day - D] and not in
// (day - D, day]. An input's window of w days as of the day is (day - w, day] (domain/dates.ts), so
// with two counts of the metric, over D days and over D + CATCH_UP_DAYS + 1 days, that is: the
// first is empty (null) and the second is not. The rollups hold these two inputs beside the model's
// when the run's playbook has such a play, so the shard reads them with the rest.
import { MAX_WINDOW_DAYS, type ComponentInput } from "../model/schema.ts";
import { inputSignature } from "../scoring/window-inputs.ts";
import { CATCH_UP_DAYS } from "./facts.ts";
import type { Play } from "./schema.ts";

export interface NoDataTrigger {
  metric: string;
  days: number;
}

/**
 * The two metric inputs that tell a no_data trigger's candidates: the count of the metric over the
 * quiet days, and over those and the catch-up days before them. Null when the longer window is
 * beyond what an input may span: such a play's candidates are found in SQL.
 */
export function noDataInputs(t: NoDataTrigger): { quiet: ComponentInput; before: ComponentInput } | null {
  const longer = t.days + CATCH_UP_DAYS + 1;
  if (longer > MAX_WINDOW_DAYS) return null;
  return {
    quiet: { metric: t.metric, agg: "count", window_days: t.days },
    before: { metric: t.metric, agg: "count", window_days: longer },
  };
}

/**
 * Whether the account may fire the no_data trigger on the day, from its rollup's values (signature
 * -> value; a missing one is no observation): not observed in the last `days` days, and observed in
 * the catch-up days before them. False when the trigger's windows do not fit an input (noDataInputs).
 */
export function noDataCandidate(
  t: NoDataTrigger,
  values: Readonly<Record<string, number | null | undefined>>,
): boolean {
  const keys = signaturesOf(t);
  if (keys === null) return false;
  return (values[keys.quiet] ?? null) === null && (values[keys.before] ?? null) !== null;
}

/** The two inputs' signatures, built once per trigger: a shard asks for each of its accounts. */
const signatures = new WeakMap<NoDataTrigger, { quiet: string; before: string } | null>();

function signaturesOf(t: NoDataTrigger): { quiet: string; before: string } | null {
  let keys = signatures.get(t);
  if (keys === undefined) {
    const inputs = noDataInputs(t);
    keys = inputs && { quiet: inputSignature(inputs.quiet), before: inputSignature(inputs.before) };
    signatures.set(t, keys);
  }
  return keys;
}

/** The metric inputs the rollups must hold for `plays`' no_data candidates (each play's two). */
export function noDataRollupInputs(plays: readonly Play[]): ComponentInput[] {
  return plays.flatMap((p) => {
    const inputs = "no_data" in p.trigger ? noDataInputs(p.trigger.no_data) : null;
    return inputs ? [inputs.quiet, inputs.before] : [];
  });
}
