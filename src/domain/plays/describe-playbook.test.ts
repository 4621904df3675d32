import { describe, expect, it } from "vitest";
import { DEFAULT_PLAYBOOK } from "./default-playbook.ts";
import { describePlaybook } from "./describe-playbook.ts";
import { parsePlaybook } from "./parse-playbook.ts";

describe("describePlaybook", () => {
  it("describes the default playbook", () => {
    expect(describePlaybook(DEFAULT_PLAYBOOK)).toBe(
      [
        'playbook "default": 1 play, no quiet hours',
        "  at_risk_case (At-risk case)",
        "    when:   the account enters the lowest band",
        "    if:     always",
        "    then:   open a case in the alert channel (claimed with its buttons, due in 5 business days); " +
          "escalate the case to the escalation lead when unclaimed after the workspace's escalate_after_business_days",
        "    guards: no cooldown, no daily cap, held in quiet hours",
        "",
      ].join("\n"),
    );
  });

  it("puts every trigger, condition, action and guard in words", () => {
    const playbook = parsePlaybook(`
name: team
quiet_hours: { from: "20:00", to: "08:00" }
plays:
  - key: a
    trigger: { band_left: [healthy, caution, lowest] }
    when:
      segment: [enterprise]
      mrr: { min: 500, max: 2000 }
      arr: { max: 10000 }
      owner: unset
      band: [at_risk]
      account: { seats: { min: 50 }, domain: { set: false }, name: [Acme, Initech], score: 40 }
    actions:
      - open_case: { channel: digest_channel, owner: { round_robin: [U01, U02] }, due_business_days: 3, tasks: [call] }
      - reply_in_case: { text: hi }
      - escalate: { to: U03, after_business_days: 4 }
      - digest: exclude
    cooldown_days: 7
    max_per_day: 5
    respect_quiet_hours: false
  - { key: b, trigger: { score_drop: { points: 10, within_days: 7 } }, actions: [{ open_case: { owner: U04 } }] }
  - { key: c, trigger: { component: { key: usage, value: raw, below: 0.2, at_least: 0 } }, actions: [{ digest: include }] }
  - { key: d, trigger: { no_data: { metric: logins, days: 14 } }, actions: [{ dm_owner: { text: hi } }] }
  - { key: e, trigger: { renewal: { within_days: 60, bands: [caution] } }, actions: [{ post: { channel: C0123ABCD, text: hi } }] }
  - { key: f, trigger: { survey_answer: { survey: csat, above: 3, at_most: 5 } }, actions: [{ webhook: { url: "https://x.example/h" } }] }
  - { key: g, trigger: { connector_failed: {} }, actions: [{ post: { channel: alert_channel, text: hi } }] }
`);
    const lines = describePlaybook(playbook).split("\n");
    expect(lines[0]).toBe('playbook "team": 7 plays, quiet hours 20:00-08:00');
    expect(lines.slice(1, 6)).toEqual([
      "  a",
      "    when:   the account leaves healthy, caution or the lowest band",
      "    if:     segment is enterprise, and MRR 500 to 2000, and ARR <= 10000, and the account has no owner, " +
        "and band is at_risk, and seats >= 50, and domain is not set, and name is Acme or Initech, and score is 40",
      "    then:   open a case in the digest channel (owned in turn by U01, U02, due in 3 business days, 1 task); " +
        "reply in the account's open case; escalate the case to U03 when unclaimed after 4 business days; " +
        "leave the band change out of the digest",
      "    guards: silent for 7 days per account after a fire, at most 5 fires a day, ignores quiet hours",
    ]);
    expect(lines.filter((l) => l.startsWith("    when:")).slice(1)).toEqual([
      "    when:   the score falls 10 points or more below its highest of the last 7 days",
      "    when:   the raw input of component usage becomes < 0.2 and >= 0",
      "    when:   no logins observation for 14 days",
      "    when:   the renewal comes within 60 days while in caution",
      "    when:   a CSAT answer <= 5 and > 3 arrives",
      "    when:   a connector's sync fails",
    ]);
    expect(lines.filter((l) => l.startsWith("    then:")).slice(1)).toEqual([
      "    then:   open a case in the alert channel (owned by U04, due in 5 business days)",
      "    then:   show the band change in the digest",
      "    then:   DM the account's owner",
      "    then:   post to C0123ABCD",
      "    then:   call the webhook https://x.example/h",
      "    then:   post to the alert channel",
    ]);
  });
});
