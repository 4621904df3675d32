import { describe, expect, it } from "vitest";
import { moveDigits, scoreMove, scoreMoveText } from "./score-move.ts";
import { summariseChange } from "./explain.ts";

describe("a move from one score to another", () => {
  it("is whole numbers when they tell the two apart", () => {
    expect(scoreMove(74.4, 61.2)).toEqual({ from: "74", to: "61", delta: "−13" });
    expect(scoreMoveText(53.28, 86.41)).toBe("53 -> 86");
  });

  it("has one decimal when whole numbers would look alike", () => {
    // The case: a band moved by hysteresis between 81.61 and 82.02.
    expect(scoreMove(81.61, 82.02)).toEqual({ from: "81.6", to: "82.0", delta: "+0.4" });
    expect(scoreMoveText(81.61, 82.02, "→")).toBe("81.6 → 82.0");
    // 81.5 and 82.4 both round to 82.
    expect(scoreMove(82.4, 81.5)).toEqual({ from: "82.4", to: "81.5", delta: "−0.9" });
  });

  it("has two when one decimal is not enough, and none when nothing tells them apart", () => {
    expect(moveDigits(81.61, 81.64)).toBe(2);
    expect(scoreMoveText(81.61, 81.64)).toBe("81.61 -> 81.64");
    expect(scoreMove(70, 70)).toEqual({ from: "70", to: "70", delta: "±0" });
    expect(scoreMove(70.001, 70.002)).toEqual({ from: "70", to: "70", delta: "±0" });
  });

  it("shows a missing score as n/a, without a delta", () => {
    expect(scoreMove(null, 61.7)).toEqual({ from: "n/a", to: "62", delta: null });
    expect(scoreMove(61.7, null)).toEqual({ from: "62", to: "n/a", delta: null });
  });

  it("is what the explanation's summary shows", () => {
    const at = (score: number) => ({ score, band: "x", components: [{ key: "usage", points: score }] });
    expect(summariseChange(at(81.61), at(82.02), [])).toBe("81.6 -> 82.0");
  });
});
