import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { heldOutProbability, type ProbabilitySample } from "./held-out-probability.ts";
import { fitChurnMap } from "./fit-churn-map.ts";
import { probabilityFromMap } from "../model/churn-map.ts";

function samples(n: number): ProbabilitySample[] {
  // Churn falls with the score: a churner every 2nd account below 40, every 5th below 70, every 20th above.
  return Array.from({ length: n }, (_, i) => {
    const score = (i * 37) % 100;
    const every = score < 40 ? 2 : score < 70 ? 5 : 20;
    return { accountId: `A${i}`, segment: i % 3 === 0 ? "big" : null, score, churned: i % every === 0 };
  });
}

describe("heldOutProbability", () => {
  it("evaluates every account with a map fitted on the other folds only", () => {
    const data = samples(300);
    const seen: { fold: number; phase: string; accountIds: readonly string[] }[] = [];
    const r = heldOutProbability(data, { folds: 5, seed: 2, horizonDays: 90, trace: (e) => seen.push(e) });
    expect(seen).toHaveLength(10);
    const evaluated = new Set<string>();
    for (let f = 0; f < 5; f++) {
      const fit = new Set(seen.find((e) => e.fold === f && e.phase === "fit")!.accountIds);
      const test = seen.find((e) => e.fold === f && e.phase === "evaluate")!.accountIds;
      expect(test.some((id) => fit.has(id))).toBe(false);
      expect(fit.size + test.length).toBe(data.length);
      for (const id of test) evaluated.add(id);
    }
    expect(evaluated.size).toBe(data.length);
    // The accounts line up with the probabilities (the revenue forecast joins its MRR on them).
    expect(r.accountIds).toEqual(data.map((s) => s.accountId));
    expect(r.reason).toBeNull();
    expect(r.calibration.reduce((n, b) => n + b.accounts, 0)).toBe(data.length);
    expect(r.brier!).toBeGreaterThan(0);
    expect(r.brier!).toBeLessThan(0.25);
    expect(r.logLoss!).toBeGreaterThan(0);
    expect(r.ece!).toBeGreaterThanOrEqual(0);
  });

  it("differs from the map fitted on all the data (it is not judged on its own training data)", () => {
    const data = samples(300);
    const r = heldOutProbability(data, { folds: 5, seed: 2, horizonDays: 90 });
    const all = fitChurnMap(data, { horizonDays: 90 })!;
    const inSample = data.map((s) => probabilityFromMap(all, s.segment, s.score));
    expect(r.probabilities).not.toEqual(inSample);
  });

  it("says why when there are too few churners for the folds", () => {
    const data = samples(300).map((s, i) => ({ ...s, churned: i < 3 }));
    const r = heldOutProbability(data, { folds: 5, seed: 1, horizonDays: 90 });
    expect(r).toMatchObject({ brier: null, logLoss: null, ece: null, calibration: [] });
    expect(r.reason).toMatch(/at least 5 churned and 5 retained .* \(got 3 churned, 297 retained\)/);
  });

  it("property: fit and evaluation never overlap, and every probability is in [0, 1]", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ score: fc.integer({ min: 0, max: 100 }), churned: fc.boolean() }), {
          minLength: 10,
          maxLength: 120,
        }),
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        (raw, folds, seed) => {
          const data = raw.map((r, i) => ({ ...r, accountId: `A${i}`, segment: null }));
          const fit = new Map<number, Set<string>>();
          const r = heldOutProbability(data, {
            folds,
            seed,
            horizonDays: 90,
            trace: (e) => {
              if (e.phase === "fit") fit.set(e.fold, new Set(e.accountIds));
              else expect(e.accountIds.some((id) => fit.get(e.fold)!.has(id))).toBe(false);
            },
          });
          if (r.reason !== null) {
            expect(r.probabilities.every((p) => p === null)).toBe(true);
            return;
          }
          for (const p of r.probabilities) {
            expect(p).not.toBeNull();
            expect(p!).toBeGreaterThanOrEqual(0);
            expect(p!).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });
});
