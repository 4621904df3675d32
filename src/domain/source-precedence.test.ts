import { describe, expect, it } from "vitest";
import { DEFAULT_SOURCE_PRECEDENCE, sourceGuard } from "./source-precedence.ts";

describe("sourceGuard", () => {
  it("lists the sources ranked above the writer's: a warehouse's value stands against the track webhook's", () => {
    expect(sourceGuard(DEFAULT_SOURCE_PRECEDENCE, "connector:sql").above).toEqual([]);
    expect(sourceGuard(DEFAULT_SOURCE_PRECEDENCE, "track").above).toEqual([
      "connector:sql",
      "connector:stripe",
      "connector:hubspot",
      "connector:salesforce",
      "connector:zendesk",
      "api",
      "import",
    ]);
  });

  it("uses a metric's own order for that metric only", () => {
    const guard = sourceGuard(
      {
        default: ["connector:sql", "api", "track"],
        metrics: { weekly_active_ratio: ["track", "connector:sql"] },
      },
      "connector:sql",
    );
    expect(guard).toEqual({
      source: "connector:sql",
      above: [],
      aboveByMetric: { weekly_active_ratio: ["track"] },
    });
  });

  it("ranks a source missing from an order below every listed one", () => {
    const guard = sourceGuard(
      { default: ["connector:sql", "api"], metrics: { logins: ["track"] } },
      "import",
    );
    expect(guard.above).toEqual(["connector:sql", "api"]);
    expect(guard.aboveByMetric.logins).toEqual(["track"]);
  });
});
