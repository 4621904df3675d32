import { describe, expect, it } from "vitest";
import type { SourceAccount } from "./contract.ts";
import { checkRecords, labels } from "./source-records.ts";
import { toSourceRecord, type SqlRecords } from "./sql-records.ts";

describe("connector records with control characters", () => {
  it("rejects a vendor value holding NUL with a reason, keeps the others, and shows the NUL escaped", () => {
    const accounts: SourceAccount[] = [
      { sourceId: "c1", name: "Acme" },
      { sourceId: "c\u00002", name: "Two" },
      { sourceId: "c3", name: "Th\u0000ree" },
    ];
    const { valid, rejected } = checkRecords("account", accounts, labels.account);
    expect(valid.map((a) => a.sourceId)).toEqual(["c1"]);
    expect(rejected).toEqual([
      {
        record: "account c\\u00002",
        reason: "sourceId: contains a control character (U+0000 at character 2); remove it",
      },
      {
        record: "account c3",
        reason: "name: contains a control character (U+0000 at character 3); remove it",
      },
    ]);
  });

  it("rejects a warehouse row holding NUL", () => {
    const out: SqlRecords = { read: 0, accounts: [], metrics: [], responses: [], rejected: [] };
    toSourceRecord("accounts", { account_id: "a\u00001", name: "Acme" }, "row a\u00001", out);
    expect(out.accounts).toEqual([]);
    expect(out.rejected).toEqual([
      {
        record: "row a\\u00001",
        reason: "account_id: contains a control character (U+0000 at character 2); remove it",
      },
    ]);
  });
});
