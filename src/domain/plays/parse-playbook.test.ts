import { describe, expect, it } from "vitest";
import { DEFAULT_PLAYBOOK, DEFAULT_PLAYBOOK_SOURCE } from "./default-playbook.ts";
import { PlaybookError, parsePlaybook } from "./parse-playbook.ts";

/** The issues of an invalid playbook as `line path: message`. */
function issuesOf(text: string): string[] {
  try {
    parsePlaybook(text, "p.yaml");
  } catch (e) {
    if (e instanceof PlaybookError) return e.issues.map((i) => `${i.line ?? "-"} ${i.path}: ${i.message}`);
    throw e;
  }
  throw new Error("expected the playbook to be invalid");
}

/** A playbook of one play whose trigger and actions are given as YAML lines (4 spaces in). */
const onePlay = (...lines: string[]) => ["name: p", "plays:", "  - key: a", ...lines, ""].join("\n");
const TRIGGERS =
  "band_entered, band_left, score_drop, component, no_data, renewal, survey_answer, connector_failed";

describe("parsePlaybook", () => {
  it("reads the default playbook, with the defaults filled in", () => {
    expect(DEFAULT_PLAYBOOK.plays).toEqual([
      {
        key: "at_risk_case",
        label: "At-risk case",
        trigger: { band_entered: ["lowest"] },
        when: {},
        actions: [
          { open_case: { channel: "alert_channel", owner: "none", due_business_days: 5, tasks: [] } },
          { escalate: { to: "escalation_lead" } },
        ],
        cooldown_days: 0,
        respect_quiet_hours: true,
      },
    ]);
    // JSON is YAML: the stored definition reads back as the same playbook.
    expect(parsePlaybook(JSON.stringify(DEFAULT_PLAYBOOK))).toEqual(parsePlaybook(DEFAULT_PLAYBOOK_SOURCE));
  });

  it("names an unknown trigger kind", () => {
    expect(
      issuesOf(onePlay("    trigger: { band_entred: [lowest] }", "    actions: [{ digest: include }]")),
    ).toEqual([`4 plays[0].trigger: unknown trigger "band_entred": a trigger is one of ${TRIGGERS}`]);
  });

  it("refuses two trigger kinds in one mapping", () => {
    const text = onePlay(
      "    trigger:",
      "      band_entered: [lowest]",
      "      band_left: [healthy]",
      "    actions: [{ digest: include }]",
    );
    expect(issuesOf(text)).toEqual([
      "5 plays[0].trigger: a trigger has one kind, this one has band_entered and band_left: make a play of each",
    ]);
  });

  it("names an unknown action kind", () => {
    expect(
      issuesOf(onePlay("    trigger: { band_entered: [lowest] }", "    actions: [{ open_cse: {} }]")),
    ).toEqual([
      '5 plays[0].actions[0]: unknown action "open_cse": an action is one of open_case, reply_in_case, dm_owner, post, webhook, escalate, digest',
    ]);
  });

  it("refuses an unknown field", () => {
    const text = onePlay(
      "    trigger: { band_entered: [lowest] }",
      "    actions: [{ digest: include }]",
      "    cooldown: 3",
    );
    expect(issuesOf(text)).toEqual(['3 plays[0]: unknown field "cooldown"']);
  });

  it("refuses a play key used twice, at the second", () => {
    const text = [
      "name: p",
      "plays:",
      "  - key: a",
      "    trigger: { band_entered: [lowest] }",
      "    actions: [{ digest: include }]",
      "  - key: a",
      "    trigger: { band_left: [lowest] }",
      "    actions: [{ digest: include }]",
    ].join("\n");
    expect(issuesOf(text)).toEqual(['6 plays[1].key: duplicate play "a" (also plays[0])']);
  });

  it("refuses a connector_failed play that opens a case or tests the account", () => {
    const text = onePlay(
      "    trigger: { connector_failed: {} }",
      "    when: { segment: [smb] }",
      "    actions:",
      '      - post: { channel: alert_channel, text: "sync failed" }',
      "      - open_case: {}",
    );
    expect(issuesOf(text)).toEqual([
      "8 plays[0].actions[1]: a connector_failed play has no account: it may only post or call a webhook, not open_case",
      "5 plays[0].when: a connector_failed play has no account to test conditions on",
    ]);
  });

  it("refuses escalate without open_case", () => {
    const text = onePlay(
      "    trigger: { band_entered: [lowest] }",
      "    actions:",
      '      - post: { channel: alert_channel, text: "x" }',
      "      - escalate: {}",
    );
    expect(issuesOf(text)).toEqual([
      "6 plays[0].actions: escalate needs an open_case action in the same play (it escalates that case)",
    ]);
  });

  it("refuses a channel that is neither a role nor a channel id", () => {
    const text = onePlay(
      "    trigger: { band_entered: [lowest] }",
      "    actions:",
      '      - post: { channel: "#general", text: "x" }',
      '      - open_case: { channel: "general" }',
    );
    expect(issuesOf(text)).toEqual([
      '6 plays[0].actions[0].post.channel: must be "alert_channel", "digest_channel" or a Slack channel id such as C0123ABCD',
      '7 plays[0].actions[1].open_case.channel: must be "alert_channel", "digest_channel" or a Slack channel id such as C0123ABCD',
    ]);
  });

  it("names the line of bad YAML, and a file that is not a mapping", () => {
    expect(issuesOf(onePlay("    trigger: { band_entered: [lowest]", "    actions: []"))[0]).toMatch(
      /^5 : Flow map in block collection must be sufficiently indented/,
    );
    expect(issuesOf("- a\n- b\n")).toEqual(["- : a playbook is a mapping with name and plays"]);
  });

  it("puts the file's name and each issue's line in the error's message", () => {
    expect(() => parsePlaybook(onePlay("    trigger: { band_entered: [lowest] }"), "p.yaml")).toThrow(
      "p.yaml: invalid playbook\n  p.yaml:3 plays[0].actions: Invalid input: expected array, received undefined",
    );
  });
});
