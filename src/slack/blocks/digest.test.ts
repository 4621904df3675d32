import { describe, expect, it } from "vitest";
import { parseDay } from "../../domain/dates.ts";
import type { DigestChange, DigestView } from "../../services/build-digest.ts";
import { digestMessages, digestPreview, MAX_BLOCKS, MAX_SECTION } from "./digest.ts";

const day = parseDay("2026-11-25")!;

function view(changes: number): DigestView {
  const change = (i: number): DigestChange => ({
    changeId: BigInt(i),
    accountId: i,
    name: `Account ${i} <!channel> ${"x".repeat(i % 40)}`,
    owner: i % 2 ? "U0OWNER" : "ana@example.com",
    fromBand: "caution",
    toBand: "at_risk",
    toLabel: "At risk",
    fromScore: 72,
    toScore: 60,
    drivers: [{ key: "usage", from: 30, to: 18, delta: -12, change: "moved" }],
    thread: i % 3 ? { channelId: "C0ALERTS", threadTs: `1764100000.${String(i).padStart(6, "0")}` } : null,
  });
  return {
    localDate: day,
    since: day - 1,
    portfolio: {
      bands: [{ band: "healthy", label: "Healthy", tone: "good", accounts: 10 }],
      average: 77.4,
      averageChange: -1.25,
      month: "2026-10",
      nps: 31,
      churn: 0.021,
      netMrrChurn: -0.004,
    },
    changes: {
      atRisk: Array.from({ length: changes }, (_, i) => change(i + 1)),
      caution: [],
      recovered: [],
      other: [],
    },
    movers: { down: [], up: [] },
    renewals: [],
  };
}

describe("digest messages", () => {
  it("says 'no band changes' in one line when nothing changed, without the portfolio", () => {
    const messages = digestMessages(view(0));
    expect(messages).toHaveLength(1);
    expect(messages[0]!.blocks).toHaveLength(1);
    expect(messages[0]!.text).toBe("No band changes since 2026-11-24.");
  });

  it("shows the portfolio and the groups, escaped", () => {
    const [m] = digestMessages(view(2));
    const text = JSON.stringify(m!.blocks);
    expect(text).toContain(
      "Average score *77* (−1.3 in a week) · 2026-10: NPS 31, churn 2.1%, net MRR churn -0.4%",
    );
    expect(text).toContain("Newly at risk* (2)");
    expect(text).toContain("&lt;!channel&gt;");
    expect(text).not.toContain("<!channel>");
    expect(text).toContain("<@U0OWNER>");
    expect(text).toContain("<https://slack.com/archives/C0ALERTS/p1764100000000001|thread>");
  });

  it("splits a long digest within Block Kit's limits and loses no account", () => {
    const messages = digestMessages(view(3000));
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) {
      expect(m.blocks.length).toBeLessThanOrEqual(MAX_BLOCKS);
      expect(m.text.length).toBeGreaterThan(0);
      for (const b of m.blocks) {
        if (b.type === "section") expect(b.text!.text.length).toBeLessThanOrEqual(MAX_SECTION);
      }
    }
    const all = messages.map((m) => JSON.stringify(m.blocks)).join("");
    for (const i of [1, 1500, 3000]) expect(all).toContain(`*Account ${i} &lt;`);
    expect(digestPreview(messages)).toContain(`--- message 1 of ${messages.length} ---`);
  });
});
