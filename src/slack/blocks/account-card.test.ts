import { describe, expect, it } from "vitest";
import { parseDay } from "../../domain/dates.ts";
import type { AccountCard } from "../../services/account-card.ts";
import { accountCardMessage } from "./account-card.ts";

const day = parseDay("2026-11-25")!;

function card(segmentBands: NonNullable<AccountCard["current"]>["segmentBands"]): AccountCard {
  return {
    account: {
      id: 1,
      externalId: "A1",
      name: "Acme",
      domain: null,
      segment: "enterprise",
      owner: null,
      ownerSlackUserId: null,
      mrr: null,
      renewalDate: null,
      status: "active",
    },
    current: {
      asOf: day,
      score: 82.02,
      band: "caution",
      bandLabel: "Caution",
      tone: "warn",
      coverage: 1,
      components: [],
      segmentBands,
    },
    trend: [],
    sinceLastWeek: { asOf: day - 7, score: 81.61, band: "caution", drivers: [], summary: "81.6 -> 82.0" },
    followUp: null,
  };
}

const text = (c: AccountCard) => JSON.stringify(accountCardMessage(c, { revenue: true, today: day }).blocks);

describe("account card", () => {
  it("shows the segment's own bands, so 82 in caution reads right", () => {
    const bands = [
      { key: "healthy", min: 85, label: "Healthy" },
      { key: "caution", min: 72, label: "Caution" },
      { key: "at_risk", min: 0, label: "At risk" },
    ];
    expect(text(card({ segment: "enterprise", bands }))).toContain(
      "enterprise bands: Healthy 85+ · Caution 72+ · At risk below 72",
    );
    expect(text(card(null))).not.toContain("bands:");
  });

  it("shows the week's change with a decimal when whole points would read ±0", () => {
    expect(text(card(null))).toContain("*Since 2026-11-18* (+0.4): 81.6 -&gt; 82.0");
  });
});
