import { describe, expect, it } from "vitest";
import { parseDay } from "../domain/dates.ts";
import { validateRecords } from "./validate-records.ts";

describe("validateRecords", () => {
  it("validates with the file formats' schemas and keeps each record's index", () => {
    const { records, issues, invalid } = validateRecords("metrics", [
      { account_id: "A1", metric: "logins", value: "12", observed_at: "2026-06-01T23:30:00Z" },
      { account_id: 7, metric: "logins", value: 3.5, observed_at: "2026-06-02", extra: null },
      { account_id: 7, metric: "logins", value: 3.5, observed_at: "2026-06-02" },
    ]);
    expect(invalid).toBe(1);
    expect(issues).toEqual([{ index: 1, field: "extra", reason: "unknown field" }]);
    expect(records).toEqual([
      {
        index: 0,
        record: { accountId: "A1", metric: "logins", value: 12, observedOn: parseDay("2026-06-01") },
      },
      {
        index: 2,
        record: { accountId: "7", metric: "logins", value: 3.5, observedOn: parseDay("2026-06-02") },
      },
    ]);
  });

  it("refuses a metric value beyond ±10^15, which a window's sum could overflow", () => {
    const { records, issues } = validateRecords("metrics", [
      { account_id: "A1", metric: "failed_payments", value: 1e308, observed_at: "2026-06-01" },
      { account_id: "A1", metric: "failed_payments", value: "-2e15", observed_at: "2026-06-01" },
      { account_id: "A1", metric: "failed_payments", value: 1e15, observed_at: "2026-06-01" },
    ]);
    expect(issues).toEqual([
      { index: 0, field: "value", reason: "must be at most 1,000,000,000,000,000" },
      { index: 1, field: "value", reason: "must be at least -1,000,000,000,000,000" },
    ]);
    expect(records.map((r) => r.index)).toEqual([2]);
  });

  it("lists every problem of every invalid record, by index and field", () => {
    const { records, issues, invalid } = validateRecords("responses", [
      "not an object",
      { account_id: "A1", survey: "nps", score: 11, responded_at: "2026-02-30" },
      { account_id: " ", survey: "csat", score: "abc", responded_at: "2026-06-01" },
      { account_id: "A1", survey: "nps", score: 9, responded_at: "2026-06-01" },
    ]);
    expect(invalid).toBe(3);
    expect(records.map((r) => r.index)).toEqual([3]);
    expect(issues).toEqual([
      { index: 0, field: null, reason: "each record must be a JSON object" },
      { index: 1, field: "score", reason: expect.stringContaining("0") as string },
      { index: 1, field: "responded_at", reason: 'not a date (YYYY-MM-DD or ISO timestamp): "2026-02-30"' },
      { index: 2, field: "account_id", reason: "required" },
      { index: 2, field: "score", reason: 'not a number: "abc"' },
    ]);
  });

  it("refuses an account id given twice in one batch", () => {
    const { records, issues } = validateRecords("accounts", [
      { account_id: "A1", name: "Acme" },
      { account_id: "A2", name: "Beta" },
      { account_id: "A1", name: "Acme again" },
    ]);
    expect(records.map((r) => r.index)).toEqual([0, 1]);
    expect(issues).toEqual([
      { index: 2, field: "account_id", reason: 'duplicate account id "A1" (first at index 0)' },
    ]);
  });
});
