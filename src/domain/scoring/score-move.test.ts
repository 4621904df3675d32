import { describe, expect, it } from "vitest";
import { moveDigits, sameFixed, scoreMove, scoreMoveText } from "./score-move.ts";
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

  it("tells scores apart as toFixed's texts do, on values where rounding is delicate", () => {
    // The texts themselves, as moveDigits and scoreMoveText compared and wrote them before.
    const digitsByText = (a: number, b: number) => [0, 1, 2].find((d) => a.toFixed(d) !== b.toFixed(d)) ?? 0;
    const textOf = (a: number | null, b: number | null) => {
      const d = a === null || b === null ? 0 : digitsByText(a, b);
      return `${a === null ? "n/a" : a.toFixed(d)} -> ${b === null ? "n/a" : b.toFixed(d)}`;
    };
    const tricky = [
      81.25,
      81.35,
      81.45,
      81.15,
      81.05,
      1.005,
      1.015,
      2.675,
      0.125,
      0.5,
      1.5,
      2.5,
      99.995,
      99.5,
      100.5,
      0.049999999999999996,
      0.05,
      0,
      -0,
      -0.001,
      -0.4,
      -0.5,
      -1.5,
      -81.35,
      1e-7,
      999_999.5,
      2_000_000.25,
      1e21,
      Number.NaN,
      Infinity,
      -Infinity,
      0.1 + 0.2,
      81.2 - 69.2,
    ];
    // Every 0.005 from 60 to 62, and each a hair either side: ties and near-ties at each digit.
    const steps = Array.from({ length: 401 }, (_, i) => 60 + i * 0.005).flatMap((x) => [
      x,
      x - 1e-9,
      x + 1e-9,
    ]);
    const values = [...tricky, ...steps];
    const wrong: string[] = [];
    for (const a of values) {
      for (const b of [...tricky, a + 0.001, a - 0.004, a + 0.005, a + 0.01, a + 0.5, a - 1]) {
        for (const d of [0, 1, 2])
          if (sameFixed(a, b, d) !== (a.toFixed(d) === b.toFixed(d))) wrong.push(`sameFixed ${a} ${b} ${d}`);
        if (moveDigits(a, b) !== digitsByText(a, b)) wrong.push(`moveDigits ${a} ${b}`);
        if (scoreMoveText(a, b) !== textOf(a, b)) wrong.push(`scoreMoveText ${a} ${b}`);
      }
    }
    expect(wrong).toEqual([]);
    // 81.25 is a tie that rounds up, 81.35 is stored just below its tie: both are 81.3 to one decimal.
    expect(scoreMoveText(81.25, 81.35)).toBe("81.25 -> 81.35");
    expect(scoreMoveText(81.25, 81.45)).toBe("81.3 -> 81.5");
    expect(scoreMoveText(-0, 0)).toBe("0 -> 0");
    expect(scoreMoveText(null, 81.5)).toBe("n/a -> 82");
    expect(scoreMoveText(81.5, null)).toBe("82 -> n/a");
    expect(moveDigits(null, null)).toBe(0);
  });
});
