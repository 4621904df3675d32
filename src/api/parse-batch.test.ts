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

describe("parseBatch's encoding", () => {
  it("refuses a body that is not UTF-8, naming the byte, its position, line and column", () => {
    const body = Buffer.concat([
      Buffer.from('[{"a":"é"},\n {"name":"Caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}]'),
    ]);
    expect(() => parseBatch(body)).toThrow(ApiError);
    try {
      parseBatch(body);
    } catch (e) {
      expect({ status: (e as ApiError).status, ...(e as ApiError).body }).toEqual({
        status: 400,
        error: "malformed_json",
        message:
          "the body is not UTF-8: byte 0xE9 at position 26 (line 2, column 14); send JSON encoded as UTF-8",
        position: 26,
        line: 2,
        column: 14,
      });
    }
  });

  it("refuses overlong forms and lone surrogates, and takes every valid character", () => {
    for (const bad of [
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf5, 0x80, 0x80, 0x80],
      [0xe2, 0x82],
    ]) {
      const body = Buffer.concat([Buffer.from('["'), Buffer.from(bad), Buffer.from('"]')]);
      expect(() => parseBatch(body), bad.join(",")).toThrow(/not UTF-8: byte 0x[0-9A-F]{2} at position 2 /);
    }
    expect(parseBatch(Buffer.from('["é€😀\uFFFD"]'))).toEqual(["é€😀\uFFFD"]);
  });
});
