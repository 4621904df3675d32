import { describe, expect, it } from "vitest";
import { HOSTILE_NAME, liveMarkup, visible } from "../../../test/support/mrkdwn.ts";
import { parseDay } from "../../domain/dates.ts";
import type { RenewalLine, RenewalsView } from "../../services/renewals.ts";
import { formatProbability, renewalsMessage } from "./renewals.ts";

const today = parseDay("2026-12-07")!;

const renewal = (i: number, over: Partial<RenewalLine> = {}): RenewalLine => ({
  id: i,
  externalId: `acct-${i}`,
  name: `Account ${i}`,
  segment: null,
  owner: "ana@example.com",
  ownerSlackUserId: "U0ANA",
  mrr: 5000,
  renewalDate: today + 13,
  score: 42.4,
  band: "at_risk",
  bandLabel: "At risk",
  tone: "bad",
  probability: 0.33,
  expectedLoss: 1650,
  ...over,
});

const view = (over: Partial<RenewalsView> = {}): RenewalsView => ({
  today,
  days: 90,
  horizonDays: 90,
  shown: [renewal(1)],
  total: 1,
  withProbability: 1,
  unknownMrr: 0,
  mrr: 5000,
  expectedLoss: 1650,
  ...over,
});

/** Each block's text: a section's, or a context's elements as JSON. */
const texts = (v: RenewalsView): string[] =>
  renewalsMessage(v).blocks.map((b) => {
    if (b.type === "section") return b.text?.text ?? "";
    return b.type === "context" ? JSON.stringify(b.elements) : "";
  });

describe("renewals reply", () => {
  it("lists each renewal with score, band, probability, MRR, expected loss, owner and date", () => {
    const [head, context, line] = texts(view());
    expect(head).toBe(
      "*Renewals in the next 90 days*: 1 account · expected MRR lost within 90 days *1,650/mo* of 5,000/mo (33.0%)",
    );
    expect(context).toContain("Probability of churning within 90 days");
    expect(line).toBe(
      ":red_circle: *Account 1* · 42 At risk · 33% · 5,000/mo · expected loss *1,650/mo* · <@U0ANA> · renews 2026-12-20 (in 13 days)",
    );
    expect(renewalsMessage(view()).text).toBe("Renewals in the next 90 days: 1, expected MRR lost 1,650/mo");
  });

  it("says which accounts are not in the sum, and lists them without a probability", () => {
    const v = view({
      shown: [
        renewal(1),
        renewal(2, {
          score: null,
          band: null,
          bandLabel: null,
          tone: "none",
          probability: null,
          expectedLoss: null,
        }),
        renewal(3, { mrr: null, expectedLoss: null, renewalDate: today }),
      ],
      total: 3,
      withProbability: 2,
      unknownMrr: 1,
    });
    const all = texts(v).join("\n");
    expect(all).toContain("Not in the sum: 1 without a probability (not scored yet), 1 without MRR");
    expect(all).toContain("*Account 2* · not scored · no probability · 5,000/mo · <@U0ANA>");
    expect(all).toContain(
      "*Account 3* · 42 At risk · 33% · MRR unknown · <@U0ANA> · renews 2026-12-07 (today)",
    );
  });

  it("without a churn map shows no probability and says that one needs outcomes", () => {
    const v = view({
      horizonDays: null,
      withProbability: 0,
      mrr: 0,
      expectedLoss: 0,
      shown: [renewal(1, { probability: null, expectedLoss: null })],
    });
    const all = texts(v).join("\n");
    expect(all).toContain("No churn probabilities yet: they need churn history");
    expect(all).toContain("css-bot calibrate");
    expect(all).toContain("docs/backtesting.md");
    expect(all).not.toMatch(/expected|%/);
    expect(all).toContain("*Account 1* · 42 At risk · 5,000/mo · <@U0ANA>");
    expect(renewalsMessage(v).text).toBe("Renewals in the next 90 days: 1");
  });

  it("with a map but no probability yet says they come with the next recompute, not that outcomes are missing", () => {
    const v = view({
      withProbability: 0,
      mrr: 0,
      expectedLoss: 0,
      shown: [renewal(1, { probability: null, expectedLoss: null })],
    });
    const all = texts(v).join("\n");
    expect(all).toContain("their probabilities come with the next recompute");
    expect(all).not.toContain("css-bot calibrate");
    expect(all).not.toMatch(/expected|%/);
  });

  it("counts the renewals beyond the list", () => {
    const shown = Array.from({ length: 20 }, (_, i) => renewal(i + 1));
    const message = renewalsMessage(view({ shown, total: 57, withProbability: 57 }));
    expect(message.blocks).toHaveLength(23);
    expect(JSON.stringify(message.blocks.at(-1))).toContain(
      "and 37 more further down the same order. `/css renewals 45` narrows the window.",
    );
  });

  it("says so when nothing renews in the window", () => {
    const message = renewalsMessage(view({ days: 1, total: 0, shown: [], withProbability: 0 }));
    expect(message.text).toBe(
      "No active account renews in the next 1 day (renewal dates come from the account data).",
    );
  });

  it("escapes the account and the owner", () => {
    const v = view({
      shown: [renewal(1, { name: HOSTILE_NAME, owner: HOSTILE_NAME, ownerSlackUserId: null })],
    });
    const line = texts(v)[2]!;
    expect(liveMarkup(line)).toEqual([]);
    expect(visible(line)).toContain("&lt;!channel&gt;");
  });

  it("puts a probability in whole percent, never rounding a small one to 0", () => {
    expect([0, 0.004, 0.01, 0.333, 0.995, 1].map(formatProbability)).toEqual([
      "0%",
      "<1%",
      "1%",
      "33%",
      ">99%",
      "100%",
    ]);
  });
});
