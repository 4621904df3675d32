import { describe, expect, it } from "vitest";
import { PlaybookError, parsePlaybook } from "./parse-playbook.ts";
import { conditionsSchema } from "./schema.ts";
import { TEMPLATE_FIELDS } from "./templates.ts";

// The refinements of the playbook's schema, read through the parser so each issue shows the line
// and path an admin would see.
function issuesOf(text: string): string[] {
  try {
    parsePlaybook(text, "p.yaml");
  } catch (e) {
    if (e instanceof PlaybookError) return e.issues.map((i) => `${i.line ?? "-"} ${i.path}: ${i.message}`);
    throw e;
  }
  throw new Error("expected the playbook to be invalid");
}

/** A playbook of one play with `body` (its YAML lines after the trigger, line 5 on). */
const play = (body: string) => `name: t
plays:
  - key: p
    trigger: { band_entered: [lowest] }
${body}
`;

describe("the file's account tests", () => {
  const file = (account: string) =>
    play(`    when:
      account:
${account}
    actions:
      - digest: exclude`);

  it("accepts dates as YYYY-MM-DD and numbers on number fields", () => {
    const p = parsePlaybook(
      file(`        renewal_date: { min: 2026-01-01, max: "2026-12-31" }
        customer_since: [2024-02-29]
        seats: { min: 10 }
        mrr: 100`),
    );
    expect(p.plays[0]!.when.account).toEqual({
      renewal_date: { min: "2026-01-01", max: "2026-12-31" },
      customer_since: ["2024-02-29"],
      seats: { min: 10 },
      mrr: 100,
    });
  });

  it("refuses a date that is not one, a range on text, text on a number field, and min above max", () => {
    expect(
      issuesOf(
        file(`        renewal_date: { min: 2026-02-30 }
        customer_since: [2024-01-01, 20240101]
        name: { min: 3 }
        seats: "many"
        score: { min: 50, max: 40 }`),
      ),
    ).toEqual([
      '7 plays[0].when.account.renewal_date.min: renewal_date is a date: give it as "YYYY-MM-DD" (got "2026-02-30")',
      '8 plays[0].when.account.customer_since[1]: customer_since is a date: give it as "YYYY-MM-DD" (got 20240101)',
      "9 plays[0].when.account.name: name is text: a range makes no sense, give a value, a list or { set: true|false }",
      '10 plays[0].when.account.seats: seats is a number: give a number (got "many")',
      "11 plays[0].when.account.score.max: max must not be below min",
    ]);
  });

  it("refuses an MRR range upside down", () => {
    expect(() => conditionsSchema.parse({ mrr: { min: 10, max: 5 } })).toThrow(/max must not be below min/);
  });
});

describe("the playbook's templates", () => {
  const file = (actions: string) =>
    play(`    actions:
${actions}`);

  it("allows revenue in a DM to the owner only", () => {
    expect(() =>
      parsePlaybook(
        file(`      - dm_owner: { text: "{{account.name}} ({{account.mrr}}/mo) fell: {{trigger}}" }`),
      ),
    ).not.toThrow();
    expect(
      issuesOf(
        file(`      - post: { channel: alert_channel, text: "{{account.name}}: {{account.arr}}" }
      - reply_in_case: { text: "{{account.mrr}} {{play}}" }
      - dm_owner: { text: "{{account.nam}}" }`),
      ),
    ).toEqual([
      "6 plays[0].actions[0].post.text: revenue is never posted in channels: use dm_owner or webhook",
      "7 plays[0].actions[1].reply_in_case.text: revenue is never posted in channels: use dm_owner or webhook",
      `8 plays[0].actions[2].dm_owner.text: unknown field {{account.nam}} (the fields: ${TEMPLATE_FIELDS.join(", ")})`,
    ]);
  });
});
