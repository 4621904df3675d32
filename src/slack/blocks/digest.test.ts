import { describe, expect, it } from "vitest";
import { HOSTILE_NAME, liveMarkup, visible } from "../../../test/support/mrkdwn.ts";
import { parseDay } from "../../domain/dates.ts";
import type { DigestChange, DigestGroup, DigestView } from "../../services/build-digest.ts";
import { digestMessages, digestPreview, MAX_BLOCKS, MAX_SECTION } from "./digest.ts";

const day = parseDay("2026-11-25")!;

const change = (i: number, over: Partial<DigestChange> = {}): DigestChange => ({
  accountId: i,
  name: `Account ${i} <!channel> ${"x".repeat(i % 40)}`,
  owner: i % 2 ? "Ana <ana@example.com>" : null,
  ownerSlackUserId: i % 2 ? "U0OWNER" : null,
  mrr: 1000 - i,
  fromBand: "caution",
  toBand: "at_risk",
  toLabel: "At risk",
  fromScore: 72,
  toScore: 60,
  drivers: [{ key: "usage", from: 30, to: 18, delta: -12, change: "moved" }],
  thread: i % 3 ? { channelId: "C0ALERTS", threadTs: `1764100000.${String(i).padStart(6, "0")}` } : null,
  ...over,
});

const group = (shown: DigestChange[], total = shown.length): DigestGroup => ({ shown, total });

function view(atRisk: number, over: Partial<DigestView["changes"]> = {}): DigestView {
  return {
    localDate: day,
    since: day - 1,
    listedFrom: null,
    portfolio: {
      bands: [{ band: "healthy", label: "Healthy", tone: "good", accounts: 10 }],
      average: 77.4,
      averageChange: -1.25,
      month: "2026-10",
      nps: 31,
      churn: 0.021,
      netMrrChurn: -0.004,
      revenueAtRisk: null,
    },
    changes: {
      atRisk: group(Array.from({ length: atRisk }, (_, i) => change(i + 1))),
      caution: group([]),
      recovered: group([]),
      other: 0,
      ...over,
    },
    settles: { ids: [], before: null },
    movers: { down: [], up: [] },
    renewals: [],
  };
}

const textOf = (v: DigestView) =>
  digestMessages(v)
    .map((m) => JSON.stringify(m.blocks))
    .join("");

describe("digest messages", () => {
  it("says 'no band changes' in one line when nothing changed, without the portfolio", () => {
    const messages = digestMessages(view(0));
    expect(messages).toHaveLength(1);
    expect(messages[0]!.blocks).toHaveLength(1);
    expect(messages[0]!.text).toBe("No band changes since 2026-11-24.");
  });

  it("names the days a channel's first digest covers", () => {
    const first = { ...view(0), since: null, listedFrom: day - 1 };
    expect(digestMessages(first)[0]!.text).toBe("No band changes on 2026-11-24 or 2026-11-25.");
    expect(textOf({ ...view(1), since: null, listedFrom: day - 1 })).toContain(
      "Net band changes on 2026-11-24 or 2026-11-25 (the channel's first digest: earlier ones are not listed)",
    );
  });

  it("shows the portfolio and the groups, escaped", () => {
    const text = textOf(view(2));
    expect(text).toContain(
      "Average score *77* (−1.3 in a week) · 2026-10: NPS 31, churn 2.1%, net MRR churn -0.4%",
    );
    expect(text).toContain("Newly at risk* (2)");
    expect(text).toContain("Net band changes since 2026-11-24");
    expect(text).toContain("&lt;!channel&gt;");
    expect(text).not.toContain("<!channel>");
    expect(text).toContain("<@U0OWNER>");
    expect(text).toContain("<https://slack.com/archives/C0ALERTS/p1764100000000001|thread>");
  });

  it("says the share of MRR at risk and next quarter's GRR forecast, never an amount", () => {
    const v = view(2);
    v.portfolio.revenueAtRisk = {
      horizonDays: 90,
      share: 0.0412,
      grossRevenueRetention: 0.9583,
      accounts: 40,
      leftOut: 3,
    };
    const text = textOf(v);
    expect(text).toContain(
      "Revenue at risk: *4.1%* of MRR expected to churn within 90 days · gross revenue retention forecast for next quarter *95.8%* (40 accounts with a churn probability; 3 without a probability or MRR not counted)",
    );
    // The change lines carry MRR for ordering only: no amount, in any currency, anywhere.
    expect(text).not.toMatch(/[$€£¥]|\/mo|\bMRR [\d,.]+|\d,\d{3}/);
  });

  it("leaves the revenue line out without churn probabilities", () => {
    expect(textOf(view(2))).not.toContain("Revenue at risk");
  });

  it("writes one line per account: the move, the owner, the drivers", () => {
    const lines = textOf(view(1)).match(/• \*Account 1 [^"]*/g);
    expect(lines).toEqual([
      "• *Account 1 &lt;!channel&gt; x* 72 → 60 · <@U0OWNER> · usage −12 · <https://slack.com/archives/C0ALERTS/p1764100000000001|thread>",
    ]);
  });

  it("says when an account had no score before", () => {
    const text = textOf(view(0, { atRisk: group([change(1, { fromBand: null, fromScore: null })]) }));
    expect(text).toContain("x* 60 (no score before) · <@U0OWNER>");
  });

  it("shows a decimal when whole numbers would hide the move", () => {
    const recovered = change(3, { fromBand: "caution", toBand: "healthy", toLabel: "Healthy" });
    const text = textOf(
      view(0, { recovered: group([{ ...recovered, fromScore: 81.61, toScore: 82.02, drivers: [] }]) }),
    );
    expect(text).toContain("81.6 → 82.0 · now Healthy");
    expect(text).toContain("no single component stands out");
  });

  it("mentions only the owners of accounts newly at risk", () => {
    const owned = (i: number) => change(i, { owner: "ana@example.com", ownerSlackUserId: "U0ANA" });
    const text = textOf(
      view(0, {
        atRisk: group([owned(1)]),
        caution: group([{ ...owned(3), fromBand: "healthy", toBand: "caution" }]),
        recovered: group([{ ...owned(5), fromBand: "at_risk", toBand: "caution", toLabel: "Caution" }]),
      }),
    );
    expect(text.match(/<@U0ANA>/g)).toHaveLength(1);
    expect(text).toMatch(/Account 1 [^•]*<@U0ANA>/);
    expect(text).toMatch(/Account 3 [^•]* · ana@example.com · /);
    expect(text).toMatch(/Account 5 [^•]* · now Caution · ana@example.com · /);
  });

  it("counts the accounts beyond a group's lines and the other band changes", () => {
    const shown = Array.from({ length: 15 }, (_, i) => change(i + 1));
    const text = textOf(
      view(0, {
        atRisk: group(shown, 20),
        caution: group([change(40, { fromBand: "healthy", toBand: "caution" })], 3),
        other: 4,
      }),
    );
    expect(text).toContain("Newly at risk* (20)");
    expect(text).toContain("and 5 more: `/css at-risk`");
    expect(text).toContain("Dropped to caution* (3)");
    expect(text).toContain("and 2 more: `/css movers`");
    expect(text).toContain(
      "4 other band changes (newly scored, too little data, between middle bands) not listed",
    );
    expect(digestMessages(view(0, { other: 4 }))[0]!.text).toBe(
      "Customer Success digest 2026-11-25: 0 newly at risk, 0 dropped to caution, 0 recovered",
    );
  });

  it("names the movers' owners without mentioning them", () => {
    const mover = {
      id: 9,
      externalId: "A9",
      name: "Mover",
      segment: null,
      score: 40.2,
      band: "at_risk",
      ownerSlackUserId: "U0BEN",
      owner: "ben@example.com",
      mrr: null,
      renewalDate: null,
      followUpOwner: null,
      weekAgoScore: 70,
    };
    const text = textOf({ ...view(1), movers: { down: [mover], up: [] } });
    expect(text).toContain("• *Mover* 70 → 40 · ben@example.com");
    expect(text).not.toContain("U0BEN");
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

  it("shows a hostile name, owner and band label literally, in the blocks and the text", () => {
    const hostile = {
      name: HOSTILE_NAME,
      owner: "*ana*@example.com",
      ownerSlackUserId: null,
      toLabel: "~Bad~",
    };
    const v = view(0, { atRisk: group([change(1, hostile)]), recovered: group([change(2, hostile)]) });
    const text = digestMessages(v)
      .map((m) => JSON.stringify(m.blocks) + m.text)
      .join("");
    expect(liveMarkup(text)).toEqual([]);
    for (const raw of ["*ana*@example.com", "~Bad~"]) {
      expect(text).not.toContain(raw);
      expect(visible(text)).toContain(raw);
    }
  });
});
