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
      churn: null,
    },
    trend: [],
    sinceLastWeek: { asOf: day - 7, score: 81.61, band: "caution", drivers: [], summary: "81.6 -> 82.0" },
    followUp: null,
    timeline: [],
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

  it("shows the latest timeline entries, dated and escaped, and a Timeline button beside Share", () => {
    const withTimeline: AccountCard = {
      ...card(null),
      timeline: [
        {
          at: "2026-11-24T15:00:00.000Z",
          kind: "note",
          text: "<!channel> *call*\nthem",
          actor: "U0ALICE",
          details: {},
        },
        {
          at: "2026-11-23T09:00:00.000Z",
          kind: "case_assigned",
          text: "Case assigned, due 2026-11-30",
          actor: "U0BOB",
          details: { owner: "U0CAROL" },
        },
        {
          at: "2026-11-22T00:00:00.000Z",
          kind: "band_change",
          text: "Band caution → at risk: 74 → 61",
          actor: "css-bot",
          details: {},
        },
      ],
    };
    const blocks = accountCardMessage(withTimeline, { revenue: true, today: day }).blocks;
    const plain = accountCardMessage(card(null), { revenue: true, today: day }).blocks;
    // Just one block more, before the buttons, and one button more.
    expect(blocks).toHaveLength(plain.length + 1);
    expect(blocks.at(-2)).toEqual({
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: [
            "*Latest* (newest first)",
            "2026-11-24 :memo: &lt;!channel&gt; \u2060*\u2060call\u2060*\u2060 them · <@U0ALICE>",
            "2026-11-23 :bust_in_silhouette: Case assigned, due 2026-11-30 to <@U0CAROL> · <@U0BOB>",
            "2026-11-22 :chart_with_downwards_trend: Band caution → at risk: 74 → 61",
          ].join("\n"),
        },
      ],
    });
    const actions = blocks.at(-1) as { elements: { action_id: string; value: string }[] };
    expect(actions.elements.map((e) => [e.action_id, e.value])).toEqual([
      ["css_share_card", '{"v":1,"a":1}'],
      ["css_show_timeline", '{"v":1,"a":1}'],
    ]);
    // The card shared in a channel shows no timeline.
    const shared = JSON.stringify(
      accountCardMessage(withTimeline, { revenue: false, today: day, sharedBy: "U0ALICE" }),
    );
    expect(shared).not.toContain("Latest");
  });
});

describe("the card's churn risk", () => {
  it("says the chance in words when the model has a churn map, and nothing without one", () => {
    const plain = card(null);
    expect(text(plain)).not.toMatch(/Churn risk|chance/);
    const withMap: AccountCard = {
      ...plain,
      current: {
        ...plain.current!,
        churn: {
          probability: 0.26,
          horizonDays: 90,
          phrase: "about 1 in 4 chance of churning within 90 days",
        },
      },
    };
    expect(text(withMap)).toContain("*Churn risk*: About 1 in 4 chance of churning within 90 days");
    // The shared card (no revenue) keeps it: a chance is no revenue figure.
    const shared = JSON.stringify(
      accountCardMessage(withMap, { revenue: false, today: day, sharedBy: "U0A" }).blocks,
    );
    expect(shared).toContain("About 1 in 4 chance");
  });
});
