import { describe, expect, it } from "vitest";
import { locateJsonError } from "./locate-json-error.ts";

describe("locateJsonError", () => {
  it("finds nothing wrong with valid JSON (whatever JSON.parse accepts)", () => {
    for (const text of [
      "[]",
      " {} ",
      '{"records":[{"a":-1.5e+3,"b":"x\\u00e9\\n","c":[true,false,null]},{}]}',
      "0",
      '"\\"\\\\\\/\\b\\f\\n\\r\\t"',
      "[[[[]]]]",
    ]) {
      expect(() => JSON.parse(text) as unknown, text).not.toThrow();
      expect(locateJsonError(text), text).toBeNull();
    }
  });

  it("names the first offending character and its line and column", () => {
    expect(locateJsonError('{"records": [1,]}')).toEqual({
      position: 15,
      line: 1,
      column: 16,
      reason: 'unexpected character "]"',
    });
    expect(locateJsonError('{\n  "a": 1\n  "b": 2\n}')).toEqual({
      position: 13,
      line: 3,
      column: 3,
      reason: "expected ',' or '}'",
    });
    expect(locateJsonError('{"records": [')).toMatchObject({
      position: 13,
      reason: "unexpected end of input",
    });
    expect(locateJsonError('{"a" 1}')).toMatchObject({
      position: 5,
      reason: "expected ':' after a property name",
    });
    expect(locateJsonError("{a: 1}")).toMatchObject({ position: 1 });
    expect(locateJsonError('["abc')).toMatchObject({ position: 5, reason: "unterminated string" });
    expect(locateJsonError('["a\tb"]')).toMatchObject({ position: 3 });
    expect(locateJsonError('["\\x"]')).toMatchObject({ position: 3, reason: "bad escape in a string" });
    expect(locateJsonError("[01]")).toMatchObject({ position: 2 });
    expect(locateJsonError("[-]")).toMatchObject({ position: 1, reason: "bad number" });
    expect(locateJsonError("[] []")).toMatchObject({ position: 3 });
    expect(locateJsonError("[tru]")).toMatchObject({ position: 1 });
    expect(locateJsonError("")).toMatchObject({ position: 0, reason: "unexpected end of input" });
  });

  it("agrees with JSON.parse where V8 states a position", () => {
    let compared = 0;
    for (const text of ['{"a":1,}', '["a"  "b"]', '{"a":1 "b"}', "[1,2", '{"a"', "{a:1}", '["a\tb"]']) {
      const v8 = /at position (\d+)/.exec(
        (() => {
          try {
            JSON.parse(text);
            return "";
          } catch (e) {
            return (e as Error).message;
          }
        })(),
      );
      if (!v8) continue;
      expect(locateJsonError(text)?.position, text).toBe(Number(v8[1]));
      compared++;
    }
    expect(compared).toBeGreaterThan(3);
  });

  it("walks deep nesting without recursion", () => {
    expect(locateJsonError("[".repeat(200_000) + "]".repeat(200_000))).toBeNull();
    expect(locateJsonError("[".repeat(200_000) + "}")).toMatchObject({ position: 200_000 });
  });
});
