import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isotonicDecreasing } from "./isotonic.ts";

const pts = (...xy: [number, number][]) => xy.map(([x, y]) => ({ x, y, weight: 1 }));

describe("isotonicDecreasing (pool-adjacent-violators)", () => {
  it("keeps points that already fall", () => {
    expect(isotonicDecreasing(pts([1, 1], [2, 0.5], [3, 0]))).toEqual([
      { from: 1, to: 1, value: 1, weight: 1 },
      { from: 2, to: 2, value: 0.5, weight: 1 },
      { from: 3, to: 3, value: 0, weight: 1 },
    ]);
  });

  it("pools a violation with its left neighbour, and again leftwards while it still violates", () => {
    // y by x: 1, 0, 1, 0, 0, 1. By hand: [1] [0] -> then 1 violates 0: pool {0,1} = 0.5, which
    // does not violate the 1 before it. Then 0, 0 fall. Then 1 violates: pool {0,1} = 0.5 > 0 before
    // -> pool {0, 0, 1} = 1/3 < 0.5: stop. Steps: 1 | 0.5 (x 2-3) | 1/3 (x 4-6).
    const blocks = isotonicDecreasing(pts([1, 1], [2, 0], [3, 1], [4, 0], [5, 0], [6, 1]));
    expect(blocks.map((b) => [b.from, b.to, b.value, b.weight])).toEqual([
      [1, 1, 1, 1],
      [2, 3, 0.5, 2],
      [4, 6, 1 / 3, 3],
    ]);
  });

  it("pools equal x first, whatever their order, and weighs points by their weight", () => {
    const blocks = isotonicDecreasing([
      { x: 5, y: 0, weight: 1 },
      { x: 1, y: 0, weight: 3 },
      { x: 5, y: 1, weight: 1 },
      { x: 1, y: 1, weight: 1 },
    ]);
    // x=1: (0*3 + 1)/4 = 0.25; x=5: 0.5 violates -> pooled (1 + 1)/6 = 1/3.
    expect(blocks).toEqual([{ from: 1, to: 5, value: 2 / 6, weight: 6 }]);
  });

  it("returns nothing for nothing", () => {
    expect(isotonicDecreasing([])).toEqual([]);
  });

  it("property: steps are non-increasing, cover every x in order, and keep the weighted mean", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ x: fc.integer({ min: 0, max: 30 }), y: fc.constantFrom(0, 1) }), {
          minLength: 1,
          maxLength: 60,
        }),
        (raw) => {
          const blocks = isotonicDecreasing(raw.map((r) => ({ ...r, weight: 1 })));
          for (let i = 1; i < blocks.length; i++) {
            expect(blocks[i]!.value).toBeLessThanOrEqual(blocks[i - 1]!.value + 1e-12);
            expect(blocks[i]!.from).toBeGreaterThan(blocks[i - 1]!.to);
          }
          expect(blocks.reduce((n, b) => n + b.weight, 0)).toBe(raw.length);
          const sum = blocks.reduce((n, b) => n + b.value * b.weight, 0);
          expect(sum).toBeCloseTo(
            raw.reduce((n, r) => n + r.y, 0),
            9,
          );
        },
      ),
    );
  });
});
