import { describe, expect, it } from "vitest";
import { inBandList, resolveBandList } from "./band-list.ts";

describe("band lists", () => {
  it("read lowest as the account's lowest band", () => {
    expect(inBandList("at_risk", ["lowest"], "at_risk")).toBe(true);
    expect(inBandList("critical", ["lowest", "caution"], "critical")).toBe(true);
    expect(inBandList("caution", ["lowest", "caution"], "at_risk")).toBe(true);
    expect(inBandList("healthy", ["lowest", "caution"], "at_risk")).toBe(false);
    expect(inBandList(null, ["lowest"], "at_risk")).toBe(false);
  });

  it("resolve to the bands for people to read, each once, in the list's order", () => {
    expect(resolveBandList(["lowest"], "at_risk")).toEqual(["at_risk"]);
    expect(resolveBandList(["caution", "lowest", "at_risk", "caution"], "at_risk")).toEqual([
      "caution",
      "at_risk",
    ]);
    expect(resolveBandList([], "at_risk")).toEqual([]);
    const list = ["lowest"];
    expect(resolveBandList(list, "at_risk")).not.toBe(resolveBandList(list, "at_risk"));
  });
});
