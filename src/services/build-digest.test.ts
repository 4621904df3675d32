import { describe, expect, it } from "vitest";
import { parseDay } from "../domain/dates.ts";
import { DEFAULT_MODEL } from "../domain/model/default-model.ts";
import { riskBands } from "./account-lists.ts";
import { groupOf, netChanges, type PendingChange } from "./build-digest.ts";

const monday = parseDay("2026-11-30")!;
let id = 0n;
const change = (
  accountId: number,
  asOf: number,
  from: [string | null, number | null],
  to: [string, number],
): PendingChange => ({
  id: ++id,
  accountId,
  asOf,
  fromBand: from[0],
  fromScore: from[1],
  toBand: to[0],
  toScore: to[1],
  drivers: [{ key: "usage", from: 30, to: 20, delta: -10, change: "moved" }],
});

describe("net band changes", () => {
  it("nets a weekend into one move per account, from the first score to the last", () => {
    const nets = netChanges([
      // Fell on Saturday and came back on Sunday: nothing to report.
      change(1, monday - 2, ["healthy", 81], ["caution", 78]),
      change(1, monday - 1, ["caution", 78], ["healthy", 80.5]),
      // Fell over three days, through two bands.
      change(2, monday - 2, ["healthy", 84], ["caution", 77]),
      change(2, monday, ["caution", 74], ["at_risk", 61]),
      change(3, monday, [null, null], ["caution", 75]),
    ]);
    expect(nets).toEqual([
      expect.objectContaining({
        accountId: 2,
        fromBand: "healthy",
        fromScore: 84,
        firstAsOf: monday - 2,
        toBand: "at_risk",
        toScore: 61,
        lastAsOf: monday,
        changes: 2,
      }),
      expect.objectContaining({ accountId: 3, fromBand: null, toBand: "caution", changes: 1 }),
    ]);
  });
});

describe("digest groups", () => {
  const risk = new Set(riskBands(DEFAULT_MODEL));
  const group = (segment: string | null, from: string | null, to: string) =>
    groupOf(DEFAULT_MODEL, segment, risk, from, to);

  it("sorts a move by the tones of its bands", () => {
    expect(group(null, "healthy", "at_risk")).toBe("atRisk");
    expect(group(null, "caution", "at_risk")).toBe("atRisk");
    expect(group(null, null, "at_risk")).toBe("atRisk");
    expect(group("enterprise", "healthy", "caution")).toBe("caution");
    expect(group(null, "at_risk", "caution")).toBe("recovered");
    expect(group(null, "caution", "healthy")).toBe("recovered");
    expect(group(null, "at_risk", "healthy")).toBe("recovered");
  });

  it("leaves the other moves to be counted", () => {
    expect(group(null, null, "healthy")).toBe("other");
    expect(group(null, "healthy", "insufficient_data")).toBe("other");
    expect(group(null, "at_risk", "insufficient_data")).toBe("other");
    expect(group(null, "insufficient_data", "caution")).toBe("other");
  });
});
