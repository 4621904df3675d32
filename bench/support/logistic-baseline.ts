// The back-test's baseline: a logistic regression (ml-logistic-regression) of churn on the same
// accounts' raw inputs, fitted and evaluated on the same folds as calibrate. Inputs are
// standardised on the training folds (the library's gradient ascent takes one step size for every
// column), a missing value is the training mean, and a column of ones is the intercept.
import LogisticRegression from "ml-logistic-regression";
import { Matrix } from "ml-matrix";
import { splitFold, stratifiedFolds } from "../../src/domain/backtest/folds.ts";
import { churnAuc } from "../../src/domain/backtest/metrics.ts";

export interface BaselineRow {
  accountId: string;
  churned: boolean;
  /** Raw inputs by name; null when missing. */
  values: Record<string, number | null>;
}

/**
 * 2,000 steps of 4/n: on both public tables, model inputs and all columns, the held-out AUCs agree
 * to 3 decimals with the converged maximum-likelihood fit (Newton steps, checked once with
 * src/domain/backtest/logistic-fit.ts): 0.904, 0.926, 0.832, 0.837.
 */
const STEPS = 2000;

/** Mean held-out AUC over the folds (the folds calibrate deals for these accounts in this order). */
export function baselineAuc(
  rows: readonly BaselineRow[],
  columns: readonly string[],
  folds: number,
  seed: number,
): number {
  const fold = stratifiedFolds(
    rows.map((r) => r.churned),
    folds,
    seed,
  );
  let sum = 0;
  for (let f = 0; f < folds; f++) {
    const { train, test } = splitFold(fold, f);
    const trainRows = train.map((i) => rows[i]!);
    const testRows = test.map((i) => rows[i]!);
    const stats = columns.map((c) => {
      const present = trainRows
        .map((r) => r.values[c])
        .filter((v): v is number => v !== null && v !== undefined);
      const mean = present.reduce((a, b) => a + b, 0) / Math.max(present.length, 1);
      const sd =
        Math.sqrt(present.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(present.length, 1)) || 1;
      return { mean, sd };
    });
    const design = (rs: readonly BaselineRow[]) =>
      new Matrix(
        rs.map((r) => [
          1,
          ...columns.map((c, j) => {
            const v = r.values[c];
            return v === null || v === undefined ? 0 : (v - stats[j]!.mean) / stats[j]!.sd;
          }),
        ]),
      );
    const lr = new LogisticRegression({ numSteps: STEPS, learningRate: 4 / trainRows.length });
    // Classes 0 (churned) and 1 (retained): classifier 0 scores P(not churned), higher = healthier.
    lr.train(design(trainRows), Matrix.columnVector(trainRows.map((r) => (r.churned ? 0 : 1))));
    const scores = lr.classifiers[0]!.testScores(design(testRows));
    sum += churnAuc(scores.map((score, i) => ({ score, churned: testRows[i]!.churned }))).value ?? Number.NaN;
  }
  return sum / folds;
}
