import { describe, expect, it } from "vitest";
import { sparkline } from "./sparkline.ts";

describe("sparkline", () => {
  it("maps the range onto eight bars and marks missing days", () => {
    expect(sparkline([0, 50, 100, null, 100])).toBe("▁▅█·█");
  });

  it("keeps a nearly flat series in the middle, not swinging bottom to top", () => {
    expect(sparkline([80, 81, 80])).toBe("▄▅▄");
  });

  it("is empty without any score", () => {
    expect(sparkline([null, null])).toBe("");
  });
});
