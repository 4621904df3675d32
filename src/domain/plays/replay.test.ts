import { describe, expect, it } from "vitest";
import { parseDay, type Day } from "../dates.ts";
import { parsePlaybook } from "./parse-playbook.ts";
import { replayPlaybook, type ReplayAccount, type ReplayHit } from "./replay.ts";

const D = parseDay("2026-03-02")!; // the first day of the replay
const day = (n: number): Day => D + n;

const PLAYBOOK = parsePlaybook(`
name: t
plays:
  - key: drop
    trigger: { score_drop: { points: 10, within_days: 7 } }
    cooldown_days: 3
    max_per_day: 1
    actions:
      - post: { channel: alert_channel, text: "{{account.name}}" }
      - dm_owner: { text: "{{account.name}}" }
  - key: detractor
    trigger: { survey_answer: { survey: nps, at_most: 6 } }
    actions:
      - post: { channel: alert_channel, text: "{{account.name}}" }
      - webhook: { url: "https://example.com/hook" }
`);

const accounts = new Map<number, ReplayAccount>([
  [1, { id: 1, mrr: 500, ownerSlackUserId: "U1", churnedOn: day(20) }],
  [2, { id: 2, mrr: 900, ownerSlackUserId: null, churnedOn: null }],
  [3, { id: 3, mrr: 100, ownerSlackUserId: "U3", churnedOn: day(200) }],
]);
const hit = (playKey: string, accountId: number, n: number): ReplayHit => ({
  playKey,
  accountId,
  subject: `account:${accountId}`,
  day: day(n),
});

describe("replayPlaybook", () => {
  // Day 0: drop for 1 and 2 (cap 1: 2 has the higher MRR, 1 is capped), detractor for 1.
  // Day 1: drop for 2 again (cooldown 3: held), drop for 1 (fires: its day-0 fire was capped).
  // Day 3: drop for 2 (3 days after day 0: allowed), drop for 3 (capped).
  const hits = [
    hit("drop", 1, 0),
    hit("drop", 2, 0),
    hit("detractor", 1, 0),
    hit("drop", 2, 1),
    hit("drop", 1, 1),
    hit("drop", 2, 3),
    hit("drop", 3, 3),
  ];
  const { report, held, peoplePerDay } = replayPlaybook(PLAYBOOK, hits, accounts, {
    from: day(0),
    to: day(3),
    churnWithinDays: 30,
    churnKnown: true,
  });

  it("applies the cap (highest MRR first) and the cooldown as a live run does", () => {
    expect(report.plays[0]).toMatchObject({
      key: "drop",
      fires: 3,
      per_day: { "2026-03-02": 1, "2026-03-03": 1, "2026-03-04": 0, "2026-03-05": 1 },
      accounts: 2,
    });
    expect(held.drop).toEqual({ cooled: 1, capped: 2 });
  });

  it("counts one message per account and destination, plus a summary for a capped play", () => {
    // Day 0: account 2's drop post; account 1's detractor post; the drop's cap summary (the webhook
    // is no message). Day 1: account 1's drop post and its owner's DM. Day 3: 2's post + summary.
    expect(report.messages_per_day).toEqual({
      "2026-03-02": 3,
      "2026-03-03": 2,
      "2026-03-04": 0,
      "2026-03-05": 2,
    });
    expect(peoplePerDay["2026-03-03"]).toBe(1);
  });

  it("measures precision and lead time against churn within N days of the first fire", () => {
    // drop fired for 2 (never churned) and 1 (first fire day 1, churned day 20: 19 days).
    expect(report.plays[0]).toMatchObject({ precision: 0.5, median_lead_days: 19 });
    // detractor fired for 1 on day 0: churned 20 days later.
    expect(report.plays[1]).toMatchObject({ fires: 1, precision: 1, median_lead_days: 20 });
  });

  it("gives no precision when no churn is known, and none for a play that never fired", () => {
    const unknown = replayPlaybook(PLAYBOOK, hits, accounts, {
      from: day(0),
      to: day(3),
      churnWithinDays: 30,
      churnKnown: false,
    });
    expect(unknown.report.plays.map((p) => [p.precision, p.median_lead_days])).toEqual([
      [null, null],
      [null, null],
    ]);
    const none = replayPlaybook(PLAYBOOK, [], accounts, {
      from: day(0),
      to: day(0),
      churnWithinDays: 30,
      churnKnown: true,
    });
    expect(none.report.plays[0]).toMatchObject({
      fires: 0,
      accounts: 0,
      precision: null,
      median_lead_days: null,
    });
  });
});
