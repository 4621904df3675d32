import { describe, expect, it } from "vitest";
import { fitLogistic } from "./logistic-fit.ts";

/** Rows of (features, y) repeated `count` times each. */
function data(cells: { x: number[]; ones: number; zeros: number }[]) {
  const rows: number[][] = [];
  const y: (0 | 1)[] = [];
  for (const c of cells) {
    for (let i = 0; i < c.ones + c.zeros; i++) {
      rows.push(c.x);
      y.push(i < c.ones ? 1 : 0);
    }
  }
  return { x: Float64Array.from(rows.flat()), p: cells[0]!.x.length, y };
}

// One 0/1 feature: the fit reproduces each group's rate, so intercept = logit(rate at 0) and
// slope = logit(rate at 1) - logit(rate at 0). Rates 1/4 and 3/4: -ln 3 and 2 ln 3.
const LN3 = Math.log(3);

describe("fitLogistic", () => {
  it("reproduces two groups' log-odds (hand-worked)", () => {
    const { x, p, y } = data([
      { x: [0], ones: 1, zeros: 3 },
      { x: [1], ones: 3, zeros: 1 },
    ]);
    for (const nonNegative of [false, true]) {
      const fit = fitLogistic(x, p, y, { nonNegative });
      expect(fit.intercept).toBeCloseTo(-LN3, 4);
      expect(fit.coefficients[0]).toBeCloseTo(2 * LN3, 4);
    }
  });

  it("holds a coefficient that wants to be negative at 0, the intercept then the overall log-odds", () => {
    const { x, p, y } = data([
      { x: [0], ones: 3, zeros: 1 },
      { x: [1], ones: 1, zeros: 3 },
    ]);
    const free = fitLogistic(x, p, y, { nonNegative: false });
    expect(free.coefficients[0]).toBeCloseTo(-2 * LN3, 4);
    const bounded = fitLogistic(x, p, y, { nonNegative: true });
    expect(bounded.coefficients[0]).toBe(0);
    expect(bounded.intercept).toBeCloseTo(0, 6); // 4 of 8: log-odds 0
  });

  it("with one feature held at 0, fits the other as if alone", () => {
    // a raises y, b lowers it; pooled over b, a's groups have rates 2/8 and 6/8 (as above).
    const { x, p, y } = data([
      { x: [0, 0], ones: 2, zeros: 2 },
      { x: [0, 1], ones: 0, zeros: 4 },
      { x: [1, 0], ones: 4, zeros: 0 },
      { x: [1, 1], ones: 2, zeros: 2 },
    ]);
    const fit = fitLogistic(x, p, y, { nonNegative: true });
    expect(fit.coefficients[1]).toBe(0);
    expect(fit.coefficients[0]).toBeCloseTo(2 * LN3, 3);
    expect(fit.intercept).toBeCloseTo(-LN3, 3);
  });

  it("refuses features that do not match the outcomes", () => {
    expect(() => fitLogistic(new Float64Array(3), 2, [1, 0], { nonNegative: true })).toThrow(/2 x 2/);
  });
});
