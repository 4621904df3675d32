import { describe, expect, it } from "vitest";
import { OBSERVATION_SOURCES } from "../domain/source-precedence.ts";
import { readSettings, readSourcePrecedence, workspaceSettingsSchema } from "./workspace-settings.ts";

describe("workspace settings", () => {
  it("fills in defaults", () => {
    expect(readSettings({})).toEqual({
      timezone: "UTC",
      recompute_cron: "0 * * * *",
      digest_time: "09:00",
      digest_days: [1, 2, 3, 4, 5],
      digest_channel: null,
      alert_channel: null,
      escalation_lead: null,
      escalate_after_business_days: 2,
      reopen_points: 10,
      case_actors: "members",
      case_threads_per_day: 25,
      source_precedence: { default: [...OBSERVATION_SOURCES], metrics: {} },
    });
    expect(readSettings(null).timezone).toBe("UTC");
  });

  it("falls back one setting at a time when a stored value does not validate", () => {
    expect(
      readSettings({
        timezone: "Mars/Olympus",
        recompute_cron: "15 * * * *",
        digest_time: "25:00",
        alert_channel: "#general",
      }),
    ).toEqual({
      timezone: "UTC",
      recompute_cron: "15 * * * *",
      digest_time: "09:00",
      digest_days: [1, 2, 3, 4, 5],
      digest_channel: null,
      alert_channel: null,
      escalation_lead: null,
      escalate_after_business_days: 2,
      reopen_points: 10,
      case_actors: "members",
      case_threads_per_day: 25,
      source_precedence: { default: [...OBSERVATION_SOURCES], metrics: {} },
    });
  });

  describe("source_precedence", () => {
    const problems = (source_precedence: unknown) => {
      const parsed = workspaceSettingsSchema.safeParse({ source_precedence });
      return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    };

    it("takes an order for the workspace and orders of single metrics", () => {
      const stored = { metrics: { weekly_active_ratio: ["track", "connector:sql"] } };
      expect(readSettings({ source_precedence: stored }).source_precedence).toEqual({
        default: [...OBSERVATION_SOURCES],
        metrics: { weekly_active_ratio: ["track", "connector:sql"] },
      });
      expect(problems({ default: ["api"], metrics: {} })).toEqual([]);
    });

    it("names the bad item: an unknown source, a source listed twice, an empty order", () => {
      expect(
        problems({ metrics: { weekly_active_ratio: ["connector:sql", "warehouse", "connector:sql"] } }),
      ).toEqual([
        `source_precedence.metrics.weekly_active_ratio.1: "warehouse" is not a source (the sources: ${OBSERVATION_SOURCES.join(", ")})`,
        'source_precedence.metrics.weekly_active_ratio.2: "connector:sql" is listed twice',
      ]);
      expect(problems({ default: [] })).toEqual(["source_precedence.default: must name at least one source"]);
      expect(problems({ metrics: { "": ["api"] } })).toHaveLength(1);
    });

    it("falls back to the default alone when the stored precedence does not validate", () => {
      const stored = { timezone: "Europe/Paris", source_precedence: { default: ["connector:oracle"] } };
      expect(readSettings(stored)).toMatchObject({
        timezone: "Europe/Paris",
        source_precedence: { default: [...OBSERVATION_SOURCES], metrics: {} },
      });
      expect(readSourcePrecedence(stored)).toEqual({ default: OBSERVATION_SOURCES, metrics: {} });
      expect(readSourcePrecedence({ source_precedence: { default: ["track"] } })).toEqual({
        default: ["track"],
        metrics: {},
      });
    });
  });
});
