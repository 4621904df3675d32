// Whether the active model can turn a score into a churn probability. Without churn history there
// is no map, so the card shows the score and band only and no probability or revenue at risk is
// computed: correct, but a user may expect them, so it is a warning that says how to provide the
// history. With a map, the check says what it was fitted on, so a thin map is seen for what it is.
import type { ScoringModel } from "../../domain/model/schema.ts";
import { ok, warn, type Check } from "./check.ts";

const NAME = "churn probability";

/**
 * The commands that fit a map and make it active (docs/backtesting.md, "Churn probability"). The
 * outcomes file says which accounts churned: `account_id,churned[,churned_at]`, CSV or JSON Lines.
 */
export const CHURN_MAP_FIX =
  "when accounts have churned here since they were scored (status churned, with churned_at), " +
  "npx css-bot calibrate --from-history --lead-days 90 --out calibrated.yaml; otherwise " +
  "export the churn history as outcomes.csv (account_id,churned[,churned_at]; churned 1 or 0), then " +
  "npx css-bot model show > model.yaml; " +
  "npx css-bot calibrate --model model.yaml --accounts accounts.csv --metrics metrics.csv " +
  "--outcomes outcomes.csv --as-of YYYY-MM-DD --out calibrated.yaml; " +
  "then npx css-bot model set calibrated.yaml (see docs/backtesting.md, Churn probability)";

export function checkChurnProbability(active: { model: ScoringModel; version: number | null }): Check {
  const which =
    active.version === null
      ? `the default model "${active.model.name}"`
      : `model version ${active.version} ("${active.model.name}")`;
  const map = active.model.churn_probability;
  if (!map)
    return warn(
      NAME,
      `${which} has no churn map (no churn history given), so churn probabilities and revenue at risk are off: ` +
        `cards show the score and band only`,
      CHURN_MAP_FIX,
    );
  const segments = Object.entries(map.segments ?? {});
  const own =
    segments.length === 0
      ? "every segment reads the portfolio's curve"
      : `${segments.length} segment${segments.length === 1 ? " with a curve of its own" : "s with curves of their own"} (` +
        segments.map(([key, c]) => `${key}: ${c.churned} of ${c.accounts}`).join(", ") +
        ")";
  return ok(
    NAME,
    `${which}: churn within ${map.horizon_days} days, fitted on ${map.portfolio.accounts} accounts ` +
      `of which ${map.portfolio.churned} churned; ${own}`,
  );
}
