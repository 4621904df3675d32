import { describe, expect, it } from "vitest";
import { MAX_COMMENT } from "../ingest/record-schemas.ts";
import { checkRecords, labels } from "./source-records.ts";
import { vendorComment } from "./vendor-common.ts";

describe("vendorComment", () => {
  it("puts a comment on one line and leaves out the control characters the records refuse", () => {
    expect(vendorComment("  Slow\r\nresponses,\tagain\u0000\u0007 ")).toBe("Slow responses, again");
    expect(vendorComment("\u0000 \n")).toBeNull();
    expect(vendorComment("")).toBeNull();
    expect(vendorComment(null)).toBeNull();
    expect(vendorComment(undefined)).toBeNull();
  });

  it("cuts a long comment at MAX_COMMENT, never through an emoji, so its score is never refused", () => {
    expect(vendorComment("x".repeat(MAX_COMMENT + 50))).toBe("x".repeat(MAX_COMMENT));
    // An emoji is two UTF-16 units: one across the cut goes whole.
    const cut = vendorComment(`${"x".repeat(MAX_COMMENT - 1)}😀tail`)!;
    expect(cut).toBe("x".repeat(MAX_COMMENT - 1));
    const response = {
      sourceAccountId: "org-1",
      survey: "csat" as const,
      score: 1,
      respondedAt: new Date("2026-06-01T10:00:00Z"),
      responseId: "r1",
      comment: vendorComment(`${"long ".repeat(1000)}\n\u0001end`),
    };
    expect(checkRecords("response", [response], labels.response).rejected).toEqual([]);
    // Unchecked, the same text is refused, score and all.
    const raw = { ...response, comment: `${"long ".repeat(1000)}\n\u0001end` };
    expect(checkRecords("response", [raw], labels.response).valid).toEqual([]);
  });
});
