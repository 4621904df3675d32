import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDay } from "../domain/dates.ts";
import { checkRecord, formatIssue, readRecords, type ReadItem, type ReadOptions } from "./read-records.ts";
import type { RecordKind } from "./record-schemas.ts";

const dir = mkdtempSync(join(tmpdir(), "css-read-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
async function readAll<K extends RecordKind>(
  path: string,
  kind: K,
  options: ReadOptions = {},
): Promise<ReadItem<K>[]> {
  const out: ReadItem<K>[] = [];
  for await (const item of readRecords(path, kind, options)) out.push(item);
  return out;
}
const problems = (items: ReadItem<RecordKind>[], path: string) =>
  items.flatMap((i) => i.issues ?? []).map((i) => formatIssue(path, i).slice(path.length));

describe("readRecords", () => {
  it("checks survey scores against each survey's scale", async () => {
    const path = file(
      "r.csv",
      [
        "account_id,survey,score,responded_at",
        "A,nps,11,2026-01-01",
        "A,nps,-1,2026-01-01",
        "A,csat,0,2026-01-01",
        "A,csat,6,2026-01-01",
        "A,ces,8,2026-01-01",
        "A,nps,7.5,2026-01-01",
        "A,NPS,10,2026-01-01",
        "A,csat,5,2026-01-01",
        "A,ces,1,2026-01-01",
        "A,survey,3,2026-01-01",
      ].join("\n"),
    );
    const items = await readAll(path, "responses");
    expect(problems(items, path)).toEqual([
      ":2 score: NPS score must be a whole number from 0 to 10, got 11",
      ":3 score: NPS score must be a whole number from 0 to 10, got -1",
      ":4 score: CSAT score must be a whole number from 1 to 5, got 0",
      ":5 score: CSAT score must be a whole number from 1 to 5, got 6",
      ":6 score: CES score must be a whole number from 1 to 7, got 8",
      ":7 score: NPS score must be a whole number from 0 to 10, got 7.5",
      ":11 survey: must be one of nps, csat, ces",
    ]);
    expect(items.filter((i) => i.record).map((i) => i.record!.survey)).toEqual(["nps", "csat", "ces"]);
  });

  it("reads dates and timestamps as UTC days, and rejects impossible ones", async () => {
    const path = file(
      "m.csv",
      [
        "account_id,metric,value,observed_at",
        "A,m,1,2026-03-01",
        "A,m,1,2026-03-01T23:30:00-05:00",
        "A,m,1,2026-03-01 10:00",
        "A,m,1,2026-02-29",
        "A,m,1,01/03/2026",
        "A,m,1e3,2026-03-01",
        "A,m,,2026-03-01",
      ].join("\n"),
    );
    const items = await readAll(path, "metrics");
    expect(items[0]!.record!.observedOn).toBe(parseDay("2026-03-01"));
    expect(items[1]!.record!.observedOn).toBe(parseDay("2026-03-02")); // 23:30 at -05:00 is 04:30 UTC next day
    expect(items[2]!.record!.observedOn).toBe(parseDay("2026-03-01"));
    expect(items[5]!.record!.value).toBe(1000);
    expect(problems(items, path)).toEqual([
      ':5 observed_at: not a date (YYYY-MM-DD or ISO timestamp): "2026-02-29"',
      ':6 observed_at: not a date (YYYY-MM-DD or ISO timestamp): "01/03/2026"',
      ":8 value: required",
    ]);
  });

  it("reads quoted CSV fields, a byte-order mark and CRLF line ends, and counts lines across quoted newlines", async () => {
    const path = file(
      "a.csv",
      '\ufeffaccount_id,name\r\nA1,"Acme, ""the best"""\r\nA2,"Two\nlines"\r\nA3,\r\n',
    );
    const items = await readAll(path, "accounts");
    // A name may not hold a line break (a control character), but the line count goes past it.
    expect(items.map((i) => i.record?.name ?? null)).toEqual(['Acme, "the best"', null, null]);
    expect(problems(items, path)).toEqual([
      ":4 name: contains a control character (U+000A at character 4); remove it",
      ":5 name: required",
    ]);
  });

  it("reports rows with the wrong number of fields", async () => {
    const path = file("a2.csv", "account_id,name\nA1,One,extra\nA2\n");
    expect(problems(await readAll(path, "accounts"), path)).toEqual([
      ":2: has 3 fields, the header has 2",
      ":3: has 1 fields, the header has 2",
    ]);
  });

  it("reads JSON Lines, reporting bad JSON, non-objects and unknown fields by line", async () => {
    const path = file(
      "a.jsonl",
      [
        '{"account_id":"A1","name":"One","mrr":12.5}',
        "",
        "{nope",
        "[1,2]",
        '{"account_id":7,"name":"Seven","colour":"red"}',
        '{"account_id":8,"name":"Eight","seats":2.5}',
      ].join("\n"),
    );
    const items = await readAll(path, "accounts");
    expect(items[0]!.record).toMatchObject({ accountId: "A1", mrr: 12.5, status: "active" });
    expect(problems(items, path)).toEqual([
      expect.stringMatching(/^:3: not valid JSON/) as string,
      ":4: each line must be a JSON object",
      ":5 colour: unknown field",
      ":6 seats: must be a whole number",
    ]);
  });

  it("rejects an account marked active with a churn date, and infers churned from a churn date", async () => {
    const path = file(
      "a3.csv",
      "account_id,name,status,churned_at\nA1,One,active,2026-01-01\nA2,Two,,2026-01-01\n",
    );
    const items = await readAll(path, "accounts");
    expect(problems(items, path)).toEqual([':2 churned_at: set, but status is "active"']);
    expect(items[1]!.record).toMatchObject({ status: "churned", statusGiven: true });
  });

  it("fails on a missing file, an empty file and a header without the required columns", async () => {
    await expect(readAll(join(dir, "missing.csv"), "accounts")).rejects.toThrow(/missing\.csv: no such file/);
    await expect(readAll(file("empty.csv", ""), "accounts")).rejects.toThrow(
      /empty\.csv: empty file: expected a header row/,
    );
    await expect(readAll(file("h.csv", "id,metric,value,observed_at\n"), "metrics")).rejects.toThrow(
      /h\.csv:1: bad metrics header: missing column account_id; unknown column "id"/,
    );
    await expect(readAll(file("data.json", "[]"), "metrics")).rejects.toThrow(/not a CSV or JSON Lines file/);
  });
});

describe("checkRecord", () => {
  it("refuses values the database columns cannot hold, naming the field", () => {
    const base = { account_id: "a1", name: "Acme" };
    expect(checkRecord("accounts", { ...base, mrr: 1e13 })).toEqual({
      issues: [{ field: "mrr", reason: "must be less than 1,000,000,000,000" }],
    });
    expect(checkRecord("accounts", { ...base, seats: 3_000_000_000 })).toEqual({
      issues: [{ field: "seats", reason: "must be at most 2,147,483,647" }],
    });
    expect(checkRecord("accounts", { ...base, mrr: 999_999_999_999.99, seats: 2_147_483_647 })).toMatchObject(
      {
        record: { mrr: 999_999_999_999.99, seats: 2_147_483_647 },
      },
    );
  });

  it("says a blank required field is required", () => {
    expect(
      checkRecord("metrics", { account_id: "a1", metric: " ", value: 1, observed_at: "2026-01-01" }),
    ).toEqual({
      issues: [{ field: "metric", reason: "required" }],
    });
  });
});

describe("dates in records", () => {
  it("refuses a timestamp whose calendar date does not exist, rather than rolling it over", () => {
    const row = { account_id: "a1", metric: "m", value: 1 };
    expect(checkRecord("metrics", { ...row, observed_at: "2026-11-31T10:00:00Z" })).toMatchObject({
      issues: [{ field: "observed_at" }],
    });
    expect(checkRecord("metrics", { ...row, observed_at: "2026-11-30T23:30:00-02:00" })).toMatchObject({
      record: { observedOn: parseDay("2026-12-01") },
    });
  });
});

describe("bad characters", () => {
  const control = (field: string, code: string, at: number) =>
    `${field}: contains a control character (${code} at character ${at}); remove it`;
  const account = { account_id: "a1", name: "Acme" };

  it("refuses NUL and other control characters in every text field, naming the field", () => {
    const cases: [RecordKind, Record<string, unknown>, string][] = [
      ["accounts", { ...account, account_id: "a\u00001" }, "account_id"],
      ["accounts", { ...account, name: "Ac\u0000me" }, "name"],
      ["accounts", { ...account, segment: "smb\u0000" }, "segment"],
      ["accounts", { ...account, owner: "a\u001bb" }, "owner"],
      ["accounts", { ...account, name: "Ac\u007fme" }, "name"],
      ["accounts", { ...account, domain: "acme\u0000.com" }, "domain"],
      [
        "metrics",
        { account_id: "a1", metric: "lo\u0000gins", value: 1, observed_at: "2026-01-01" },
        "metric",
      ],
      [
        "responses",
        { account_id: "a1", survey: "nps", score: 9, responded_at: "2026-01-01", response_id: "r\u00001" },
        "response_id",
      ],
      [
        "responses",
        { account_id: "a1", survey: "nps", score: 9, responded_at: "2026-01-01", respondent: "x\ty" },
        "respondent",
      ],
    ];
    for (const [kind, row, field] of cases) {
      const checked = checkRecord(kind, row);
      expect(checked, field).toHaveProperty("issues");
      const issues = "issues" in checked ? checked.issues : [];
      expect(issues.map((i) => i.field)).toEqual([field]);
      expect(issues[0]!.reason).toMatch(
        /^contains a control character \(U\+00(00|1B|09|7F) at character \d+\); remove it$/,
      );
    }
    // Numbers and dates with a NUL are not numbers or dates, and say so with the NUL escaped.
    expect(
      checkRecord("metrics", {
        account_id: "a1",
        metric: "m",
        value: "1\u0000",
        observed_at: "2026-01-01\u0000",
      }),
    ).toEqual({
      issues: [
        { field: "value", reason: 'not a number: "1\\u0000"' },
        { field: "observed_at", reason: 'not a date (YYYY-MM-DD or ISO timestamp): "2026-01-01\\u0000"' },
      ],
    });
    // Surrounding white space (a tab, a line end) is trimmed, as before.
    expect(checkRecord("accounts", { ...account, name: "\tAcme\r\n" })).toMatchObject({
      record: { name: "Acme" },
    });
  });

  it("reports a NUL in a CSV or JSON Lines row with its line and field, and reads the other rows", async () => {
    const csv = file("nul.csv", "account_id,name\nA1,Acme\nA2,Bad\u0000Name\nA3,Three\n");
    const items = await readAll(csv, "accounts");
    expect(items.map((i) => i.record?.accountId ?? null)).toEqual(["A1", null, "A3"]);
    expect(problems(items, csv)).toEqual([`:3 ${control("name", "U+0000", 4)}`]);

    const jsonl = file(
      "nul.jsonl",
      '{"account_id":"A1","name":"Acme"}\n{"account_id":"A\\u00002","name":"B"}\n',
    );
    expect(problems(await readAll(jsonl, "accounts"), jsonl)).toEqual([
      `:2 ${control("account_id", "U+0000", 2)}`,
    ]);
  });

  it("refuses a file that is not UTF-8 with the line of the first bad byte", async () => {
    const lines = ["account_id,name", "A1,Acme", "A2,Cafe"].join("\n") + "\n";
    const path = join(dir, "latin1.csv");
    writeFileSync(path, Buffer.concat([Buffer.from(lines), Buffer.from("A3,Caf\u00e9\n", "latin1")]));
    await expect(readAll(path, "accounts")).rejects.toThrow(
      `${path}:4: not UTF-8 (byte 0xE9); re-save as UTF-8 or pass --encoding latin1`,
    );
    const jsonl = join(dir, "latin1.jsonl");
    writeFileSync(jsonl, Buffer.from('{"account_id":"A1","name":"Caf\u00e9"}\n', "latin1"));
    await expect(readAll(jsonl, "accounts")).rejects.toThrow(`${jsonl}:1: not UTF-8 (byte 0xE9)`);
  });

  it("reads a Latin-1 file right with encoding latin1", async () => {
    const path = join(dir, "cafe.csv");
    writeFileSync(path, Buffer.from("account_id,name\nA1,Caf\u00e9\n", "latin1"));
    const items = await readAll(path, "accounts", { encoding: "latin1" });
    expect(items.map((i) => i.record?.name)).toEqual(["Caf\u00e9"]);
  });

  it("reads UTF-8 characters cut across read chunks, and a byte-order mark in JSON Lines", async () => {
    // 64 KiB read chunks: two-, three- and four-byte characters land on every chunk boundary.
    const name = "\u00e9\u20ac\u{1f600}".repeat(20);
    const rows = Array.from({ length: 3000 }, (_, i) => `A${i},${name}`);
    const path = file("multibyte.csv", ["account_id,name", ...rows].join("\n"));
    const items = await readAll(path, "accounts");
    expect(items.filter((i) => i.record?.name === name)).toHaveLength(3000);

    const jsonl = file("bom.jsonl", '\ufeff{"account_id":"A1","name":"Acme"}\n');
    expect((await readAll(jsonl, "accounts")).map((i) => i.record?.name)).toEqual(["Acme"]);
  });

  it("refuses a record past the size limit with its line", async () => {
    const big = "x".repeat(5000);
    const csv = file("big.csv", `account_id,name\nA1,Acme\nA2,${big}\nA3,Three\n`);
    await expect(readAll(csv, "accounts", { maxRecordBytes: 1000 })).rejects.toThrow(
      `${csv}:3: record longer than 1000 bytes, the limit per record (docs/data.md, "File formats")`,
    );
    const jsonl = file(
      "big.jsonl",
      `{"account_id":"A1","name":"Acme"}\n{"account_id":"A2","name":"${big}"}\n{"account_id":"A3","name":"C"}\n`,
    );
    const items = await readAll(jsonl, "accounts", { maxRecordBytes: 1000 });
    expect(items.map((i) => i.record?.accountId ?? null)).toEqual(["A1", null, "A3"]);
    // Bytes, not characters: 280 euro signs are 840 bytes and fit; 340 are 1020 bytes and do not.
    const euros = file(
      "euros.jsonl",
      `{"account_id":"E1","name":"${"\u20ac".repeat(280)}"}\n{"account_id":"E2","name":"${"\u20ac".repeat(340)}"}\n`,
    );
    const counted = await readAll(euros, "accounts", { maxRecordBytes: 1000 });
    expect(counted.map((i) => i.record?.accountId ?? null)).toEqual(["E1", null]);
    expect(problems(counted, euros)).toEqual([
      ':2: record longer than 1000 bytes, the limit per record (docs/data.md, "File formats")',
    ]);
    expect(problems(items, jsonl)).toEqual([
      ':2: record longer than 1000 bytes, the limit per record (docs/data.md, "File formats")',
    ]);
  });
});
