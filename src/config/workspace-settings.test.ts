import { describe, expect, it } from "vitest";
import { readSettings } from "./workspace-settings.ts";

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
      case_threads_per_day: 25,
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
      case_threads_per_day: 25,
    });
  });
});
