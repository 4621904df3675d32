import { describe, expect, it } from "vitest";
import { nearestWhole } from "./rounding.ts";

describe("nearestWhole", () => {
  it("rounds to the nearest whole number", () => {
    expect(nearestWhole(0)).toBe(0);
    expect(nearestWhole(812.49)).toBe(812);
    expect(nearestWhole(812.51)).toBe(813);
    expect(nearestWhole(99.9999)).toBe(100);
    expect(nearestWhole(7)).toBe(7);
  });

  it("leaves a value at or near a half to the caller (NaN), where floating point may have moved it", () => {
    expect(nearestWhole(812.5)).toBeNaN();
    // 81.35 * 10 is 813.5 in floating point, though 81.35 is stored just below it.
    expect(nearestWhole(81.35 * 10)).toBeNaN();
    expect(nearestWhole(0.5)).toBeNaN();
    expect(nearestWhole(812.4999999)).toBeNaN();
    expect(nearestWhole(Number.NaN)).toBeNaN();
  });
});
