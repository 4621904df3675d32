import { describe, expect, it } from "vitest";
import { parseDay } from "../dates.ts";
import type { PlayAccount } from "./facts.ts";
import {
  TEMPLATE_FIELDS,
  accountTemplateValues,
  fillTemplate,
  templateProblems,
  type TemplateValues,
} from "./templates.ts";

const FIELDS = TEMPLATE_FIELDS.join(", ");

describe("templateProblems", () => {
  it("accepts every field, with or without spaces inside the braces", () => {
    const all = TEMPLATE_FIELDS.map((f) => `{{${f}}}`).join(" ");
    expect(templateProblems(all, { revenue: true })).toEqual([]);
    expect(templateProblems("{{ account.name }} fell: {{trigger}}", { revenue: false })).toEqual([]);
    expect(templateProblems("no fields at all", { revenue: false })).toEqual([]);
  });

  it("names an unknown field once, with the fields there are", () => {
    expect(
      templateProblems("{{account.nme}} and {{account.nme}} {{Account.Name}}", { revenue: true }),
    ).toEqual([
      `unknown field {{account.nme}} (the fields: ${FIELDS})`,
      `unknown field {{Account.Name}} (the fields: ${FIELDS})`,
    ]);
  });

  it("refuses revenue where a channel shows it, once per template", () => {
    const text = "{{account.name}} pays {{account.mrr}} a month ({{account.arr}} a year)";
    expect(templateProblems(text, { revenue: false })).toEqual([
      "revenue is never posted in channels: use dm_owner or webhook",
    ]);
    expect(templateProblems(text, { revenue: true })).toEqual([]);
  });

  it("refuses an unclosed field", () => {
    expect(templateProblems("hello {{account.name}", { revenue: false })).toEqual([
      'a "{{" without its "}}": write fields as {{account.name}}',
    ]);
  });
});

describe("fillTemplate", () => {
  const values: TemplateValues = {
    "account.name": "Acme",
    "account.id": "acme-1",
    "account.segment": "smb",
    "account.band": "at_risk",
    "account.score": "38.5",
    "account.owner": "<@U0ANA>",
    "account.renewal_date": "2026-06-01",
    "account.mrr": "5,000",
    "account.arr": "60,000",
    trigger: "score fell 12 points in 7 days (81 -> 69)",
    play: "Sharp drop",
    drivers: "usage -8, nps -4",
  };
  const mark = (s: string) => `[${s}]`;

  it("passes every value but the owner through escape, and keeps the admin's text as written", () => {
    const all = TEMPLATE_FIELDS.map((f) => `${f}={{${f}}}`).join("\n");
    expect(fillTemplate(`*Heads up* ${all}`, values, mark)).toBe(`*Heads up* account.name=[Acme]
account.id=[acme-1]
account.segment=[smb]
account.band=[at_risk]
account.score=[38.5]
account.owner=<@U0ANA>
account.renewal_date=[2026-06-01]
account.mrr=[5,000]
account.arr=[60,000]
trigger=[score fell 12 points in 7 days (81 -> 69)]
play=[Sharp drop]
drivers=[usage -8, nps -4]`);
  });

  it("hands a hostile name to escape and never puts it in raw", () => {
    const seen: string[] = [];
    const escape = (s: string) => {
      seen.push(s);
      return s
        .replaceAll("<", "&lt;")
        .replaceAll(">", "&gt;")
        .replace(/[*_~`]/g, "\u2060$&\u2060");
    };
    const hostile = { ...values, "account.name": "<!channel> *x*" };
    const out = fillTemplate("{{account.name}} needs you, {{ account.owner }}", hostile, escape);
    expect(seen).toEqual(["<!channel> *x*"]);
    expect(out).toBe("&lt;!channel&gt; \u2060*\u2060x\u2060*\u2060 needs you, <@U0ANA>");
    expect(out).not.toContain("<!channel>");
  });

  it("shows a missing value as an em dash, and leaves an unknown field as written", () => {
    const out = fillTemplate(
      "{{account.segment}} / {{account.nope}} / {{account.owner}}",
      {
        ...values,
        "account.segment": null,
        "account.owner": null,
      },
      mark,
    );
    expect(out).toBe("— / {{account.nope}} / —");
  });
});

describe("accountTemplateValues", () => {
  const account: PlayAccount = {
    id: 9,
    externalId: "acme-1",
    name: "Acme",
    domain: null,
    segment: null,
    owner: "ana@example.com",
    ownerSlackUserId: "U0ANA",
    mrr: 1234.5,
    seats: null,
    renewalDate: parseDay("2026-06-01"),
    customerSince: null,
    band: "at_risk",
    score: 38.46,
    lowestBand: "at_risk",
  };

  it("writes the account's state as text, and takes the fire's parts as given", () => {
    expect(
      accountTemplateValues(account, { play: "Sharp drop", trigger: "t", drivers: null, owner: "<@U0ANA>" }),
    ).toEqual({
      "account.name": "Acme",
      "account.id": "acme-1",
      "account.segment": null,
      "account.band": "at_risk",
      "account.score": "38.5",
      "account.owner": "<@U0ANA>",
      "account.renewal_date": "2026-06-01",
      "account.mrr": "1,234.5",
      "account.arr": "14,814",
      trigger: "t",
      play: "Sharp drop",
      drivers: null,
    });
    const none = accountTemplateValues(
      { ...account, mrr: null, score: null, renewalDate: null },
      { play: "p", trigger: "t", drivers: "d", owner: null },
    );
    expect([
      none["account.mrr"],
      none["account.arr"],
      none["account.score"],
      none["account.renewal_date"],
    ]).toEqual([null, null, null, null]);
  });
});
