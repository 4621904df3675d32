import { describe, expect, it } from "vitest";
import {
  brierScore,
  calibrationBins,
  expectedCalibrationError,
  LOG_LOSS_EPSILON,
  logLoss,
} from "./probability-metrics.ts";

const p = (probability: number, churned: boolean) => ({ probability, churned });

describe("brierScore", () => {
  it("is the mean squared error against 1 (churned) and 0 (retained)", () => {
    // (0.8-1)^2 = 0.04, (0.3-0)^2 = 0.09, (0.5-1)^2 = 0.25, (0-0)^2 = 0 -> 0.38 / 4 = 0.095.
    expect(brierScore([p(0.8, true), p(0.3, false), p(0.5, true), p(0, false)])).toBeCloseTo(0.095, 12);
    expect(brierScore([])).toBeNull();
  });
});

describe("logLoss", () => {
  it("is the mean negative log-likelihood", () => {
    // -(ln 0.8 + ln 0.7) / 2.
    expect(logLoss([p(0.8, true), p(0.3, false)])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 12);
    expect(logLoss([p(0.5, true)])).toBeCloseTo(Math.LN2, 12);
    expect(logLoss([])).toBeNull();
  });

  it("keeps a confident miss finite", () => {
    expect(logLoss([p(0, true)])).toBeCloseTo(-Math.log(LOG_LOSS_EPSILON), 6);
    expect(logLoss([p(1, false)])).toBeCloseTo(-Math.log(LOG_LOSS_EPSILON), 1);
  });
});

describe("calibrationBins and expectedCalibrationError", () => {
  it("groups by predicted probability into tenths and leaves empty bins out", () => {
    const preds = [p(0.05, false), p(0.15, false), p(0.1, true), p(0.95, true), p(1, true), p(0.9, false)];
    const bins = calibrationBins(preds);
    expect(bins).toEqual([
      { bin: "0.00-0.10", from: 0, to: 0.1, predicted: 0.05, observed: 0, accounts: 1 },
      { bin: "0.10-0.20", from: 0.1, to: 0.2, predicted: 0.125, observed: 0.5, accounts: 2 },
      { bin: "0.90-1.00", from: 0.9, to: 1, predicted: (0.95 + 1 + 0.9) / 3, observed: 2 / 3, accounts: 3 },
    ]);
    // ECE = 1/6 * 0.05 + 2/6 * 0.375 + 3/6 * |0.95 - 0.6667| = 0.00833 + 0.125 + 0.14167 = 0.275.
    expect(expectedCalibrationError(bins)).toBeCloseTo(0.05 / 6 + (2 / 6) * 0.375 + 0.5 * (0.95 - 2 / 3), 12);
  });

  it("is 0 for probabilities that match the outcomes' rate in every bin, null without accounts", () => {
    const preds = [p(0.25, true), p(0.25, false), p(0.25, false), p(0.25, false)];
    expect(expectedCalibrationError(calibrationBins(preds))).toBe(0);
    expect(expectedCalibrationError([])).toBeNull();
  });
});
