// calibrate's churn-probability figures: each fold read through a map fitted on the training folds'
// scores only (with the weights fitted on them too), never on the accounts it is judged on.
import { describe, expect, it } from "vitest";
import { parseModel } from "../model/parse-model.ts";
import { calibrate, fitModel } from "./calibrate.ts";
import { fitChurnMap } from "./fit-churn-map.ts";
import { foldProbabilities, probabilityFigures } from "./held-out-probability.ts";
import { scoreSamples, type OutcomeSample } from "./samples.ts";
import { probabilityFromMap } from "../model/churn-map.ts";

const MODEL = parseModel(`name: p
bands:
  - { key: healthy, min: 70 }
  - { key: at_risk, min: 0 }
components:
  - key: signal
    input: { metric: signal, agg: last, window_days: 30 }
    scale: { min: 0, max: 100 }
    weight: 30
  - key: noise
    input: { metric: noise, agg: last, window_days: 30 }
    scale: { min: 0, max: 100 }
    weight: 70
`);

const data: OutcomeSample[] = Array.from({ length: 240 }, (_, i) => {
  const churned = i % 4 === 0 || i % 11 === 0;
  return {
    accountId: `A${i}`,
    segment: i % 2 === 0 ? "even" : null,
    raws: { signal: churned ? 15 + ((i * 7) % 55) : 35 + ((i * 13) % 65), noise: (i * 29) % 100 },
    churned,
  };
});

const scored = (model: typeof MODEL, list: readonly OutcomeSample[]) =>
  scoreSamples(model, list).map((s) => ({ segment: s.segment ?? null, score: s.score!, churned: s.churned }));

describe("calibrate: the churn probability on held-out folds", () => {
  it("reads each fold through a map fitted on the other folds' calibrated scores only", () => {
    const trace: { fold: number; phase: string; accountIds: readonly string[] }[] = [];
    const c = calibrate(MODEL, data, {
      folds: 4,
      seed: 5,
      riskBands: ["at_risk"],
      trace: (e) => trace.push(e),
    });
    const byId = new Map(data.map((s) => [s.accountId, s]));
    const before: { probability: number; churned: boolean }[] = [];
    const after: { probability: number; churned: boolean }[] = [];
    for (let f = 0; f < 4; f++) {
      const train = trace
        .find((e) => e.fold === f && e.phase === "fit")!
        .accountIds.map((id) => byId.get(id)!);
      const test = trace
        .find((e) => e.fold === f && e.phase === "evaluate")!
        .accountIds.map((id) => byId.get(id)!);
      expect(test.some((s) => train.includes(s))).toBe(false);
      const fitted = fitModel(MODEL, train, { riskBands: ["at_risk"] }).model;
      for (const [model, out] of [
        [MODEL, before],
        [fitted, after],
      ] as const) {
        const p = foldProbabilities(scored(model, train), scored(model, test), { horizonDays: 90 })!;
        test.forEach((s, i) => out.push({ probability: p[i]!, churned: s.churned }));
      }
    }
    expect(c.before.probability).toEqual(probabilityFigures(before));
    expect(c.after.probability).toEqual(probabilityFigures(after));
    expect(c.after.probability.calibration.reduce((n, b) => n + b.accounts, 0)).toBe(data.length);
    // The weights move to the signal, and the probabilities get better with them.
    expect(c.after.probability.brier!).toBeLessThan(c.before.probability.brier!);

    // A map judged on the data it was fitted on looks better than it is: the held-out figures differ.
    const all = scored(c.model, data);
    const map = fitChurnMap(all, { horizonDays: 90 })!;
    const inSample = probabilityFigures(
      all.map((s) => ({ probability: probabilityFromMap(map, s.segment, s.score), churned: s.churned })),
    );
    expect(inSample.brier!).toBeLessThan(c.after.probability.brier!);
  });
});
