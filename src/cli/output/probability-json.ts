// The public JSON of the churn probability's held-out figures (docs/backtesting.md), shared by
// `backtest --json` and `calibrate --json`'s before and after.
import type { ProbabilityFigures } from "../../domain/backtest/held-out-probability.ts";

export function probabilityJson(p: ProbabilityFigures) {
  return {
    brier: p.brier,
    log_loss: p.logLoss,
    ece: p.ece,
    calibration: p.calibration.map((b) => ({
      bin: b.bin,
      predicted: b.predicted,
      observed: b.observed,
      accounts: b.accounts,
    })),
    probability_reason: p.reason,
  };
}
