// How good a churn probability is, as opposed to a ranking: the Brier score, the log loss and the
// reliability of the probabilities (accounts grouped by predicted probability: does a predicted 20%
// churn at about 20%?), summed up as the expected calibration error. Pure; undefined figures are
// null, never a made-up 0.

export interface Prediction {
  /** The predicted probability of churn, 0..1. */
  probability: number;
  churned: boolean;
}

/** Mean squared difference between the probability and the outcome (1 churned, 0 retained); 0 is perfect. */
export function brierScore(predictions: readonly Prediction[]): number | null {
  if (predictions.length === 0) return null;
  let sum = 0;
  for (const p of predictions) sum += (p.probability - (p.churned ? 1 : 0)) ** 2;
  return sum / predictions.length;
}

/**
 * Probabilities are kept this far from 0 and 1 in the log loss (as scikit-learn does): a confident
 * miss costs about 34.5 instead of infinity.
 */
export const LOG_LOSS_EPSILON = 1e-15;

/** Mean negative log-likelihood of the outcomes (natural log); lower is better. */
export function logLoss(predictions: readonly Prediction[]): number | null {
  if (predictions.length === 0) return null;
  let sum = 0;
  for (const p of predictions) {
    const q = Math.min(Math.max(p.probability, LOG_LOSS_EPSILON), 1 - LOG_LOSS_EPSILON);
    sum -= Math.log(p.churned ? q : 1 - q);
  }
  return sum / predictions.length;
}

export interface CalibrationBin {
  /** The bin's range of predicted probability, "0.10-0.20" (the last bin includes 1). */
  bin: string;
  from: number;
  to: number;
  /** Mean predicted probability and observed churn rate of the accounts in the bin. */
  predicted: number;
  observed: number;
  accounts: number;
}

/** Ten bins of equal width, as the reliability diagram and the expected calibration error usually use. */
export const CALIBRATION_BINS = 10;

/** The accounts grouped by predicted probability into `bins` equal-width bins; empty bins are left out. */
export function calibrationBins(
  predictions: readonly Prediction[],
  bins = CALIBRATION_BINS,
): CalibrationBin[] {
  const sums = Array.from({ length: bins }, () => ({ predicted: 0, churned: 0, accounts: 0 }));
  for (const p of predictions) {
    const b = sums[Math.min(Math.floor(p.probability * bins), bins - 1)]!;
    b.predicted += p.probability;
    if (p.churned) b.churned++;
    b.accounts++;
  }
  const edge = (i: number) => Number((i / bins).toFixed(6));
  return sums.flatMap((s, i) =>
    s.accounts === 0
      ? []
      : [
          {
            bin: `${edge(i).toFixed(2)}-${edge(i + 1).toFixed(2)}`,
            from: edge(i),
            to: edge(i + 1),
            predicted: s.predicted / s.accounts,
            observed: s.churned / s.accounts,
            accounts: s.accounts,
          },
        ],
  );
}

/** Expected calibration error: the bins' |predicted - observed|, weighted by their share of accounts. */
export function expectedCalibrationError(bins: readonly CalibrationBin[]): number | null {
  const total = bins.reduce((n, b) => n + b.accounts, 0);
  if (total === 0) return null;
  return bins.reduce((sum, b) => sum + (b.accounts / total) * Math.abs(b.predicted - b.observed), 0);
}
