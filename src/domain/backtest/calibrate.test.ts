import { describe, expect, it } from "vitest";
import { parseModel } from "../model/parse-model.ts";
import { calibrate, CalibrationError } from "./calibrate.ts";
import { editModelSource } from "./edit-model-source.ts";
import { DEFAULT_FIT } from "./fit-scales.ts";
import { fitWeights, MIN_WEIGHT_SHARE } from "./fit-weights.ts";
import { splitFold, stratifiedFolds } from "./folds.ts";
import type { OutcomeSample } from "./samples.ts";
import { scoreSamples } from "./samples.ts";
import { chooseThreshold, thresholdBand } from "./threshold.ts";

const SOURCE = `# a model to calibrate
name: test   # keep this comment
bands:
  - { key: healthy, min: 80 }
  - { key: caution, min: 70 }
  - { key: at_risk, min: 0 }
components:
  - key: good
    input: { metric: good, agg: last, window_days: 30 }
    scale: { min: 0, max: 100 }
    weight: 50
  - key: noise
    input: { metric: noise, agg: last, window_days: 30 }
    scale: { min: 0, max: 100 }
    weight: 50   # noise weight
`;
const MODEL = parseModel(SOURCE);

/** `good` separates the outcomes (with some overlap); `noise` is higher for churners (no use as a health signal). */
function samples(n: number): OutcomeSample[] {
  return Array.from({ length: n }, (_, i) => {
    const churned = i % 4 === 0;
    const good = churned ? 20 + (i % 50) : 40 + (i % 60);
    const noise = churned ? 60 + (i % 30) : 30 + (i % 40);
    return { accountId: `A${i}`, segment: null, raws: { good, noise }, churned };
  });
}

describe("stratifiedFolds", () => {
  it("spreads churned and retained accounts evenly, the same way for the same seed", () => {
    const churned = Array.from({ length: 103 }, (_, i) => i % 5 === 0);
    const folds = stratifiedFolds(churned, 5, 7);
    expect(stratifiedFolds(churned, 5, 7)).toEqual(folds);
    expect(stratifiedFolds(churned, 5, 8)).not.toEqual(folds);
    for (let f = 0; f < 5; f++) {
      const { test } = splitFold(folds, f);
      expect(test.length).toBeGreaterThanOrEqual(20);
      expect(test.length).toBeLessThanOrEqual(21);
      const c = test.filter((i) => churned[i]).length;
      expect(c).toBeGreaterThanOrEqual(4);
      expect(c).toBeLessThanOrEqual(5);
    }
  });
});

describe("fitWeights", () => {
  it("puts the weight on the component that separates the outcomes and floors the other", () => {
    const fit = fitWeights(MODEL, scoreSamples(MODEL, samples(200)));
    expect(fit.fitted).toBe(true);
    // Shares 1 and 0.01 (the floor), renormalised to the total weight 100.
    expect(fit.weights[1]).toBe(Number(((MIN_WEIGHT_SHARE / 1.01) * 100).toPrecision(3)));
    expect(fit.weights[0]).toBe(99);
  });

  it("leaves the weights alone without both outcomes", () => {
    const onlyRetained = samples(40).map((s) => ({ ...s, churned: false }));
    expect(fitWeights(MODEL, scoreSamples(MODEL, onlyRetained))).toEqual({
      weights: [50, 50],
      fitted: false,
    });
  });
});

describe("calibrate", () => {
  it("never evaluates a fold on a model fitted with it", () => {
    const data = samples(120);
    const events: { fold: number; phase: string; accountIds: readonly string[] }[] = [];
    calibrate(MODEL, data, {
      folds: 5,
      seed: 3,
      riskBands: ["at_risk"],
      target: { recall: 0.8 },
      trace: (e) => events.push(e),
    });
    const evaluated = new Set<string>();
    for (let f = 0; f < 5; f++) {
      const fit = new Set(events.find((e) => e.fold === f && e.phase === "fit")!.accountIds);
      const test = events.find((e) => e.fold === f && e.phase === "evaluate")!.accountIds;
      // Disjoint, and together the whole data set.
      expect(test.filter((id) => fit.has(id))).toEqual([]);
      expect(fit.size + test.length).toBe(data.length);
      for (const id of test) evaluated.add(id);
    }
    expect(evaluated.size).toBe(data.length);
  });

  it("improves a model that weighs a useless component, on held-out folds (weights only)", () => {
    const c = calibrate(MODEL, samples(400), {
      folds: 5,
      seed: 1,
      riskBands: ["at_risk"],
      fit: { ...DEFAULT_FIT, mode: "weights" },
    });
    expect(c.after.auc!).toBeGreaterThan(c.before.auc!);
    expect(c.after.aucFolds).toHaveLength(5);
    expect(c.weights).toEqual([
      { key: "good", before: 50, after: 99 },
      { key: "noise", before: 50, after: 0.99 },
    ]);
    expect(c.scales).toBeNull();
    expect(c.bands.every((b) => b.before === b.after)).toBe(true);
    expect(c.threshold).toBeNull();
  });

  it("fits scales and weights by default, and does at least as well as the weights alone", () => {
    const data = samples(400);
    const options = { folds: 5, seed: 1, riskBands: ["at_risk"] };
    const weights = calibrate(MODEL, data, { ...options, fit: { ...DEFAULT_FIT, mode: "weights" } });
    const all = calibrate(MODEL, data, options);
    expect(all.fit).toEqual(DEFAULT_FIT);
    expect(all.after.auc!).toBeGreaterThanOrEqual(weights.after.auc!);
    // noise is higher for churners: its learned direction is "lower is better".
    expect(all.scales!.map((s) => [s.key, s.direction, s.directionFrom])).toEqual([
      ["good", 1, "data"],
      ["noise", -1, "data"],
    ]);
    expect(all.model.components.map((c) => c.scale)).toEqual(all.scales!.map((s) => s.after));
    // The at-risk band keeps its share of the accounts (ties aside): as many flagged, before and after.
    expect(Math.abs(all.after.atRisk.flagged - all.before.atRisk.flagged)).toBeLessThanOrEqual(
      data.length / 20,
    );
  });

  it("refuses data with too few churned or retained accounts for the folds", () => {
    const onlyRetained = samples(50).map((s) => ({ ...s, churned: false }));
    expect(() => calibrate(MODEL, onlyRetained, { folds: 5, seed: 1, riskBands: ["at_risk"] })).toThrow(
      CalibrationError,
    );
  });
});

describe("chooseThreshold", () => {
  it("takes the highest recall whose precision reaches the target", () => {
    const data: OutcomeSample[] = [10, 20, 30, 40, 50, 60].map((good, i) => ({
      accountId: `A${i}`,
      segment: null,
      raws: { good, noise: good },
      churned: good <= 20 || good === 40,
    }));
    // Scores equal `good`. Below 30.5: 2 of 3 flagged churned... below 20.5: 2 of 2 (precision 1, recall 2/3);
    // below 40.5: 3 of 4 (precision 0.75, recall 1).
    expect(chooseThreshold(MODEL, data, ["at_risk"], { precision: 0.75 })).toEqual({
      min: 40.5,
      reached: true,
    });
    expect(chooseThreshold(MODEL, data, ["at_risk"], { precision: 1 })).toEqual({ min: 20.5, reached: true });
    expect(chooseThreshold(MODEL, data, ["at_risk"], { recall: 1 })).toEqual({ min: 40.5, reached: true });
    expect(thresholdBand(MODEL)).toEqual({ index: 1, key: "caution", min: 70, upper: 80 });
  });
});

describe("editModelSource", () => {
  it("writes a fitted scale on one line in place of the old one, flow or block, keeping comments", () => {
    const block = SOURCE.replace(
      "    scale: { min: 0, max: 100 }\n    weight: 50   # noise weight",
      "    scale: # by hand\n      min: 0\n      max: 100\n    weight: 50   # noise weight",
    );
    const points: [number, number][] = [
      [0, 100],
      [12.5, 40],
      [90, 0],
    ];
    const text = editModelSource(
      block,
      {
        scales: [
          { index: 0, scale: { points } },
          { index: 1, scale: { points } },
        ],
      },
      ["evidence"],
    );
    expect(text).toContain("    scale: { points: [[0, 100], [12.5, 40], [90, 0]] }\n    weight: 50\n");
    expect(text).toContain("# keep this comment");
    expect(text).toContain("scale: # by hand\n");
    const model = parseModel(text);
    expect(model.components.map((c) => c.scale)).toEqual([{ points }, { points }]);
    expect(model.components.map((c) => c.weight)).toEqual([50, 50]);
  });

  it("changes only the tuned numbers and prepends the evidence", () => {
    const text = editModelSource(
      SOURCE,
      {
        weights: [
          { index: 0, weight: 99 },
          { index: 1, weight: 1 },
        ],
        bandMins: [{ index: 1, min: 62.5 }],
      },
      ["evidence", ""],
    );
    expect(text).toBe(
      `# evidence\n#\n${SOURCE.replace("min: 70", "min: 62.5").replace("weight: 50\n", "weight: 99\n").replace("weight: 50   #", "weight: 1   #")}`,
    );
    const model = parseModel(text);
    expect(model.components.map((c) => c.weight)).toEqual([99, 1]);
    expect({ ...model, components: MODEL.components, bands: MODEL.bands }).toEqual(MODEL);
  });
});
