import { describe, expect, it } from "vitest";
import { ApiError } from "./api-error.ts";
import { MAX_RECORDS, parseBatch } from "./parse-batch.ts";

const refusal = (body: string) => {
  try {
    parseBatch(Buffer.from(body));
  } catch (e) {
    if (e instanceof ApiError) return { status: e.status, ...e.body };
    throw e;
  }
  throw new Error("accepted");
};

describe("parseBatch", () => {
  it("takes {records: [...]} or a bare array", () => {
    expect(parseBatch(Buffer.from('{"records":[{"a":1},2]}'))).toEqual([{ a: 1 }, 2]);
    expect(parseBatch(Buffer.from('\uFEFF[{"a":1}]'))).toEqual([{ a: 1 }]);
    expect(parseBatch(Buffer.from("[]"))).toEqual([]);
  });

  it("refuses malformed JSON with the parser's position", () => {
    expect(refusal('{"records": [1,]}')).toMatchObject({
      status: 400,
      error: "malformed_json",
      position: 15,
      line: 1,
      column: 16,
      message: 'the body is not valid JSON: unexpected character "]" at position 15 (line 1, column 16)',
    });
  });

  it("refuses other shapes", () => {
    for (const body of ['{"metrics":[]}', '{"records":{}}', "3", "null", '"x"']) {
      expect(refusal(body), body).toMatchObject({ status: 400, error: "bad_request" });
    }
  });

  it("refuses more than MAX_RECORDS records with 413", () => {
    expect(parseBatch(Buffer.from(JSON.stringify(new Array(MAX_RECORDS).fill(0))))).toHaveLength(MAX_RECORDS);
    expect(refusal(JSON.stringify({ records: new Array(MAX_RECORDS + 1).fill(0) }))).toMatchObject({
      status: 413,
      error: "payload_too_large",
      message: "at most 10000 records per request (got 10001): split the batch",
    });
  });
});
