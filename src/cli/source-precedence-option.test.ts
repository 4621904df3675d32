import { describe, expect, it } from "vitest";
import { DEFAULT_SOURCE_PRECEDENCE, OBSERVATION_SOURCES } from "../domain/source-precedence.ts";
import { UsageError } from "./errors.ts";
import { describeSourcePrecedence, editSourcePrecedence } from "./source-precedence-option.ts";

describe("--source-precedence", () => {
  it("sets one metric's order and leaves the workspace's and the other metrics' as they were", () => {
    const current = { default: ["api", "track"] as const, metrics: { logins: ["track"] as const } };
    expect(editSourcePrecedence(current, ["weekly_active_ratio=connector:sql, api,track"])).toEqual({
      default: ["api", "track"],
      metrics: { logins: ["track"], weekly_active_ratio: ["connector:sql", "api", "track"] },
    });
  });

  it("sets the workspace's order, and takes a metric name that holds '=' or ':'", () => {
    expect(editSourcePrecedence(DEFAULT_SOURCE_PRECEDENCE, ["track,import", "a=b:c=api"])).toEqual({
      default: ["track", "import"],
      metrics: { "a=b:c": ["api"] },
    });
  });

  it("resets with default: the workspace's order to the built-in one, a metric's to the workspace's", () => {
    const current = {
      default: ["track"] as const,
      metrics: { logins: ["track"] as const, nps: ["api"] as const },
    };
    expect(editSourcePrecedence(current, ["default", "logins=DEFAULT"])).toEqual({
      default: [...OBSERVATION_SOURCES],
      metrics: { nps: ["api"] },
    });
  });

  it("fails naming the item and what is wrong with it", () => {
    const edit = (item: string) => () => editSourcePrecedence(DEFAULT_SOURCE_PRECEDENCE, ["api", item]);
    expect(edit("weekly_active_ratio=connector:sql,warehouse")).toThrow(
      new UsageError(
        `--source-precedence "weekly_active_ratio=connector:sql,warehouse": "warehouse" is not a source (the sources: ${OBSERVATION_SOURCES.join(", ")})`,
      ),
    );
    expect(edit("logins=api,track,api")).toThrow(
      '--source-precedence "logins=api,track,api": "api" is listed twice',
    );
    expect(edit("logins=")).toThrow('--source-precedence "logins=": must name at least one source');
    expect(edit("=api")).toThrow('--source-precedence "=api": the metric name must be 1 to 100 characters');
    expect(edit("")).toThrow('--source-precedence "": must name at least one source');
  });

  it("is shown one order a line, first wins", () => {
    expect(
      describeSourcePrecedence({ default: ["api", "track"], metrics: { nps: ["track"], logins: ["api"] } }),
    ).toEqual(["source_precedence api > track", "  logins: api", "  nps: track"]);
  });
});
