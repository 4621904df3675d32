import { describe, expect, it } from "vitest";
import { DEFAULT_OUTAGE_POLICY, jobOutage, nextWaitMs, OUTAGE_FIELD } from "./outage-wait.ts";

describe("nextWaitMs", () => {
  const policy = DEFAULT_OUTAGE_POLICY;
  const since = 1_000_000;

  it("starts at 5 s and doubles up to a minute", () => {
    const waits = [0, 1, 2, 3, 4, 5, 6].map((waits) => nextWaitMs({ since, waits }, since, policy));
    expect(waits).toEqual([5000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
  });

  it("never waits past the limit, and gives up once it is reached", () => {
    const limit = since + policy.maxWaitMs;
    expect(nextWaitMs({ since, waits: 9 }, limit - 20_000, policy)).toBe(20_000);
    expect(nextWaitMs({ since, waits: 9 }, limit, policy)).toBeNull();
  });
});

describe("jobOutage", () => {
  it("reads the job data's outage, and nothing from data without one", () => {
    expect(jobOutage({ runId: "1", [OUTAGE_FIELD]: { since: 5, waits: 2 } })).toEqual({ since: 5, waits: 2 });
    expect(jobOutage({ runId: "1" })).toBeNull();
    expect(jobOutage(null)).toBeNull();
  });
});
