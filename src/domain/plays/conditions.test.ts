import { describe, expect, it } from "vitest";
import { parseDay } from "../dates.ts";
import { conditionsHold, failedConditions } from "./conditions.ts";
import type { PlayAccount } from "./facts.ts";
import { conditionsSchema, type Conditions } from "./schema.ts";

const acme: PlayAccount = {
  id: 1,
  externalId: "acme",
  name: "Acme Corp",
  domain: "acme.example",
  segment: "enterprise",
  owner: "ana@example.com",
  ownerSlackUserId: "U0ANA",
  mrr: 5000,
  seats: 120,
  renewalDate: parseDay("2026-06-01"),
  customerSince: parseDay("2023-01-15"),
  band: "at_risk",
  score: 38.5,
  lowestBand: "at_risk",
};
const bare: PlayAccount = {
  ...acme,
  id: 2,
  name: "Bare",
  domain: null,
  segment: null,
  owner: null,
  ownerSlackUserId: null,
  mrr: null,
  seats: null,
  renewalDate: null,
  customerSince: null,
  band: null,
  score: null,
};

/** The file's `when`, validated as the playbook would be (defaults and refinements applied). */
const when = (w: unknown): Conditions => conditionsSchema.parse(w);

describe("conditions", () => {
  it("hold when there are none", () => {
    expect(conditionsHold(when({}), bare)).toBe(true);
    expect(failedConditions(when({}), bare)).toEqual([]);
  });

  it("test the segment, case aside", () => {
    const c = when({ segment: ["Enterprise", "mid_market"] });
    expect(conditionsHold(c, acme)).toBe(true);
    expect(failedConditions(c, { ...acme, segment: "smb" })).toEqual([
      "segment smb is not one of Enterprise, mid_market",
    ]);
    expect(failedConditions(c, bare)).toEqual(["no segment (wants one of Enterprise, mid_market)"]);
  });

  it("test MRR and ARR (12 x MRR) inclusively, and fail any range without MRR", () => {
    expect(conditionsHold(when({ mrr: { min: 5000, max: 5000 } }), acme)).toBe(true);
    expect(conditionsHold(when({ arr: { min: 60000 } }), acme)).toBe(true);
    expect(failedConditions(when({ arr: { min: 60001 } }), acme)).toEqual(["ARR 60000 is below 60001"]);
    expect(failedConditions(when({ mrr: { max: 4999.5 } }), acme)).toEqual(["MRR 5000 is above 5000"]);
    expect(failedConditions(when({ mrr: { min: 0 } }), bare)).toEqual(["no MRR"]);
    expect(failedConditions(when({ arr: { max: 1e9 } }), bare)).toEqual(["no ARR"]);
  });

  it("test the source owner, set or unset (an empty owner is unset)", () => {
    expect(conditionsHold(when({ owner: "set" }), acme)).toBe(true);
    expect(failedConditions(when({ owner: "set" }), { ...acme, owner: "  " })).toEqual([
      "the account has no owner",
    ]);
    expect(failedConditions(when({ owner: "unset" }), acme)).toEqual([
      "the account has an owner (ana@example.com)",
    ]);
    expect(conditionsHold(when({ owner: "unset" }), bare)).toBe(true);
  });

  it("test the band, with lowest resolved for the account", () => {
    expect(conditionsHold(when({ band: ["lowest"] }), acme)).toBe(true);
    expect(failedConditions(when({ band: ["lowest", "caution"] }), { ...acme, band: "healthy" })).toEqual([
      "band healthy is not one of at_risk, caution",
    ]);
    expect(failedConditions(when({ band: ["lowest"] }), { ...acme, lowestBand: "red" })).toEqual([
      "band at_risk is not red",
    ]);
    expect(failedConditions(when({ band: ["caution"] }), bare)).toEqual(["no band yet (wants caution)"]);
  });

  it("test text fields by value (case aside), list and set", () => {
    expect(
      conditionsHold(when({ account: { name: "acme corp ", domain: ["x.example", "ACME.example"] } }), acme),
    ).toBe(true);
    expect(failedConditions(when({ account: { name: "Beta" } }), acme)).toEqual([
      'name Acme Corp is not "Beta"',
    ]);
    expect(failedConditions(when({ account: { domain: ["a.example", "b.example"] } }), acme)).toEqual([
      'domain acme.example is not one of "a.example", "b.example"',
    ]);
    expect(failedConditions(when({ account: { domain: { set: true } } }), bare)).toEqual([
      "domain is not set",
    ]);
    expect(failedConditions(when({ account: { domain: { set: false } } }), acme)).toEqual([
      "domain is set (acme.example)",
    ]);
    expect(conditionsHold(when({ account: { owner: { set: false }, name: { set: true } } }), bare)).toBe(
      true,
    );
    // A number in the file compares as its text ("segment: 2024" in YAML is a number).
    expect(conditionsHold(when({ account: { segment: 2024 } }), { ...acme, segment: "2024" })).toBe(true);
    expect(conditionsHold(when({ account: { band: "lowest" } }), acme)).toBe(true);
    expect(conditionsHold(when({ account: { segment: "x" } }), bare)).toBe(false);
  });

  it("test number fields by value, list and inclusive range", () => {
    expect(
      conditionsHold(when({ account: { seats: { min: 120, max: 120 }, score: { max: 40 } } }), acme),
    ).toBe(true);
    expect(failedConditions(when({ account: { seats: { min: 200 } } }), acme)).toEqual([
      "seats 120 is below 200",
    ]);
    expect(failedConditions(when({ account: { score: { min: 10, max: 30 } } }), acme)).toEqual([
      "score 38.5 is above 30",
    ]);
    expect(conditionsHold(when({ account: { seats: [10, 120] } }), acme)).toBe(true);
    expect(failedConditions(when({ account: { seats: 100 } }), acme)).toEqual(["seats 120 is not 100"]);
    expect(failedConditions(when({ account: { arr: { min: 100000 } } }), acme)).toEqual([
      "arr 60000 is below 100000",
    ]);
    expect(failedConditions(when({ account: { seats: { min: 1 } } }), bare)).toEqual(["seats is not set"]);
    expect(conditionsHold(when({ account: { mrr: { set: false } } }), bare)).toBe(true);
  });

  it("test date fields against YYYY-MM-DD values and ranges", () => {
    const q2 = when({ account: { renewal_date: { min: "2026-04-01", max: "2026-06-30" } } });
    expect(conditionsHold(q2, acme)).toBe(true);
    expect(failedConditions(q2, { ...acme, renewalDate: parseDay("2026-07-01") })).toEqual([
      "renewal_date 2026-07-01 is above 2026-06-30",
    ]);
    expect(failedConditions(q2, { ...acme, renewalDate: parseDay("2026-03-31") })).toEqual([
      "renewal_date 2026-03-31 is below 2026-04-01",
    ]);
    expect(failedConditions(q2, bare)).toEqual(["renewal_date is not set"]);
    expect(conditionsHold(when({ account: { customer_since: "2023-01-15" } }), acme)).toBe(true);
    expect(
      failedConditions(when({ account: { customer_since: ["2024-01-01", "2025-01-01"] } }), acme),
    ).toEqual(["customer_since 2023-01-15 is not one of 2024-01-01, 2025-01-01"]);
  });

  it("list every failed condition, and stop at the first when only asked whether they hold", () => {
    const c = when({ segment: ["smb"], mrr: { max: 100 }, owner: "unset", account: { seats: { max: 10 } } });
    expect(failedConditions(c, acme)).toEqual([
      "segment enterprise is not smb",
      "MRR 5000 is above 100",
      "the account has an owner (ana@example.com)",
      "seats 120 is above 10",
    ]);
    expect(conditionsHold(c, acme)).toBe(false);
  });

  it("hold exactly when no reason is given, for every kind of condition", () => {
    const conditions = [
      {},
      { segment: ["enterprise"] },
      { segment: [" ENTERPRISE ", "smb"] },
      { mrr: { min: 1000, max: 5000 } },
      { arr: { min: 60_001 } },
      { owner: "set" },
      { owner: "unset" },
      { band: ["lowest"] },
      { band: ["healthy", "caution"] },
      { account: { domain: { set: true }, seats: { min: 100 } } },
      { account: { name: ["acme corp", "Bare"], renewal_date: { max: "2026-12-31" } } },
      {
        segment: ["enterprise"],
        mrr: { min: 1 },
        owner: "set",
        band: ["lowest"],
        account: { score: { max: 40 } },
      },
    ].map(when);
    const accounts = [
      acme,
      bare,
      { ...acme, owner: " ", segment: "Enterprise ", band: "healthy", mrr: 1000 },
    ];
    for (const c of conditions)
      for (const a of accounts) expect(conditionsHold(c, a)).toBe(failedConditions(c, a).length === 0);
  });
});
