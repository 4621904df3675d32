import { describe, expect, it } from "vitest";
import {
  batchesOf,
  changedRecords,
  plain,
  topDriversText,
  writeBackValues,
  type RecordValues,
} from "./write-back.ts";

const component = (key: string, score: number | null, weight: number) => ({
  key,
  score,
  weight,
  points: score === null ? null : score * weight,
});

describe("writeBackValues", () => {
  it("writes the rounded score, the band, the probability to 3 decimals, the drivers and the link", () => {
    const values = writeBackValues({
      score: 61.6,
      band: "watch",
      churnProbability: 0.123456,
      components: [component("usage", 40, 0.5), component("nps", 90, 0.5)],
      cardLink: "https://slack.com/archives/C1/p123",
    });
    expect(values).toEqual({
      score: "62",
      band: "watch",
      churn_probability: "0.123",
      top_drivers: "usage 40/100, nps 90/100",
      card_link: "https://slack.com/archives/C1/p123",
    });
  });

  it("clears what there is no value for: no churn map, no score, no card", () => {
    expect(
      writeBackValues({ score: 80, band: "healthy", churnProbability: null, components: [], cardLink: null }),
    ).toMatchObject({ churn_probability: "", card_link: "", top_drivers: "" });
    expect(
      writeBackValues({
        score: null,
        band: "none",
        churnProbability: 0.2,
        components: [component("usage", null, 0)],
        cardLink: null,
      }),
    ).toEqual({ score: "", band: "none", churn_probability: "", top_drivers: "", card_link: "" });
  });
});

describe("topDriversText", () => {
  it("names the components costing the most points, worst first, at most three", () => {
    const text = topDriversText([
      component("usage", 50, 0.4), // costs 20
      component("tickets", 20, 0.2), // costs 16
      component("nps", 95, 0.2), // costs 1
      component("billing", 10, 0.2), // costs 18
      component("empty", null, 0),
    ]);
    expect(text).toBe("usage 50/100, billing 10/100, tickets 20/100");
  });

  it("leaves out components costing under half a point", () => {
    expect(topDriversText([component("usage", 100, 0.5), component("nps", 99.5, 0.5)])).toBe("");
  });

  it("keeps a hostile key plain: no line breaks or control characters reach the CRM", () => {
    expect(topDriversText([component("use\nage\u0000<b>", 10, 1)])).toBe("use age <b> 10/100");
  });
});

describe("plain", () => {
  it("cuts long text with an ellipsis, counting characters not UTF-16 units", () => {
    expect(plain("😀".repeat(10), 5)).toBe("😀😀😀😀…");
    expect(plain("  a \t b  ", 10)).toBe("a b");
  });
});

describe("changedRecords", () => {
  const values = (score: string) => ({
    score,
    band: "healthy",
    churn_probability: "",
    top_drivers: "",
    card_link: "",
  });
  const wanted: RecordValues[] = [
    { recordId: "1", accountId: 1, values: values("80") },
    { recordId: "2", accountId: 2, values: values("70") },
    { recordId: "3", accountId: 3, values: values("60") },
  ];

  it("keeps the records never written and those whose values differ, in order", () => {
    const last = new Map<string, Record<string, unknown>>([
      ["1", values("80")],
      ["2", values("71")],
    ]);
    expect(changedRecords(wanted, last).map((r) => r.recordId)).toEqual(["2", "3"]);
  });

  it("treats a stored value set missing a field as changed", () => {
    const { card_link: _c, ...older } = values("80");
    expect(changedRecords(wanted.slice(0, 1), new Map([["1", older]]))).toHaveLength(1);
  });

  it("finds nothing to write when everything was written", () => {
    const last = new Map(wanted.map((r) => [r.recordId, { ...r.values }]));
    expect(changedRecords(wanted, last)).toEqual([]);
  });
});

describe("batchesOf", () => {
  it("slices into batches of at most the size", () => {
    expect(batchesOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(batchesOf([], 100)).toEqual([]);
    expect(() => batchesOf([1], 0)).toThrow(/positive integer/);
  });
});
