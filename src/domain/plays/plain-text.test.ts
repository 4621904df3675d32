import { describe, expect, it } from "vitest";
import { formatNumber, shortQuote } from "./plain-text.ts";

describe("formatNumber", () => {
  it("writes whole numbers as they are, others to 3 significant digits (whole from 100)", () => {
    expect(formatNumber(12)).toBe("12");
    expect(formatNumber(12.5)).toBe("12.5");
    expect(formatNumber(12.345)).toBe("12.3");
    expect(formatNumber(0.0345)).toBe("0.0345");
    expect(formatNumber(1234.6)).toBe("1235");
    expect(formatNumber(9.996)).toBe("10");
    expect(formatNumber(-2.675)).toBe("-2.67");
  });

  it("is toPrecision(3)'s number, ties and near-ties included", () => {
    // What it wrote before it rounded by numbers between 1 and 100.
    const byText = (n: number) =>
      Number.isInteger(n)
        ? String(n)
        : Math.abs(n) >= 100
          ? String(Math.round(n))
          : String(Number(n.toPrecision(3)));
    const tricky = [
      81.25, 81.35, 1.005, 1.015, 2.675, 9.995, 9.9951, 99.95, 99.949999, 10.05, 0.125, -0.5, -81.35,
    ];
    const steps = Array.from({ length: 24_001 }, (_, i) => -120 + i * 0.01).flatMap((x) => [
      x,
      x + 0.005,
      x + 1e-9,
    ]);
    const wrong = [...tricky, ...steps, Number.NaN, Infinity, -Infinity, -0]
      .filter((n) => formatNumber(n) !== byText(n))
      .map(String);
    expect(wrong).toEqual([]);
  });
});

describe("shortQuote", () => {
  it("puts a comment on one line and cuts it at `max` characters", () => {
    expect(shortQuote("  Fine,\n  mostly. ")).toBe("Fine, mostly.");
    expect(shortQuote("x".repeat(120))).toBe("x".repeat(120));
    expect(shortQuote("x".repeat(121))).toBe(`${"x".repeat(119)}…`);
    // Characters, not UTF-16 units: 120 emoji are 240 units and are kept whole.
    expect(shortQuote("😀".repeat(120))).toBe("😀".repeat(120));
    expect(shortQuote("😀".repeat(121))).toBe(`${"😀".repeat(119)}…`);
    expect(shortQuote("abcdef", 5)).toBe("abcd…");
    expect(shortQuote("abcde", 5)).toBe("abcde");
  });
});
