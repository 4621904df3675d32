import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_MODEL } from "./default-model.ts";
import { ModelError, parseModel } from "./parse-model.ts";
import { resolveSegment } from "./resolve-segment.ts";

const issueModel = readFileSync(new URL("../../../test/fixtures/issue-model.yaml", import.meta.url), "utf8");

function issuesOf(text: string): string[] {
  try {
    parseModel(text, "m.yaml");
  } catch (e) {
    if (e instanceof ModelError) return e.issues.map((i) => `${i.line ?? "-"} ${i.path}: ${i.message}`);
    throw e;
  }
  throw new Error("expected the model to be invalid");
}

describe("parseModel", () => {
  it("reads the model of the issue, with defaults", () => {
    const m = parseModel(issueModel);
    expect(m.components.map((c) => c.key)).toEqual(["nps", "usage", "tickets"]);
    expect(m.min_coverage).toBe(0.5);
    expect(m.hysteresis).toBe(2);
    const {
      min_coverage: _,
      hysteresis: __,
      ...rest
    } = JSON.parse(JSON.stringify(m)) as Record<string, unknown>;
    expect(parseModel(JSON.stringify(rest)).min_coverage).toBe(0.5);
  });

  it("accepts the same structure in JSON", () => {
    const m = parseModel(JSON.stringify(parseModel(issueModel)), "m.json");
    expect(m).toEqual(parseModel(issueModel));
  });

  it("names the path and line of a bad scale", () => {
    const bad = issueModel.replace("scale: { min: 10, max: 0 }", "scale: { min: 10, max: 10 }");
    expect(issuesOf(bad)).toEqual(["19 components[2].scale.max: min and max must differ"]);
  });

  it("rejects weights <= 0 and unknown inputs", () => {
    const bad = issueModel.replace("weight: 15", "weight: 0").replace("survey: nps", "survey: csatx");
    const issues = issuesOf(bad);
    expect(issues).toContainEqual(
      expect.stringMatching(/^20 components\[2\]\.weight: must be greater than 0/),
    );
    expect(issues).toContainEqual(expect.stringMatching(/^10 components\[0\]\.input\.survey: /));
  });

  it("rejects an input that names neither or both of survey and metric, and a metric without agg", () => {
    expect(issuesOf(issueModel.replace("survey: nps, window_days", "window_days"))).toEqual([
      "10 components[0].input: an input names either a survey (nps, csat, ces) or a metric",
    ]);
    expect(issuesOf(issueModel.replace("agg: last, ", ""))).toEqual([
      "18 components[2].input.agg: required with a metric: one of avg, sum, min, max, last, count",
    ]);
  });

  it("rejects duplicate bands and bands without a 0 floor", () => {
    expect(issuesOf(issueModel.replace("{ key: caution, min: 70 }", "{ key: healthy, min: 70 }"))).toEqual([
      '6 bands[1].key: duplicate band "healthy" (also bands[0])',
    ]);
    expect(issuesOf(issueModel.replace("{ key: caution, min: 70 }", "{ key: caution, min: 80 }"))).toEqual([
      "6 bands[1].min: duplicate min 80 (also bands[0])",
    ]);
    expect(issuesOf(issueModel.replace("{ key: at_risk, min: 0 }", "{ key: at_risk, min: 10 }"))).toEqual([
      "5 bands: the lowest band must have min 0, so that every score has a band",
    ]);
  });

  it("rejects duplicate components, unknown fields and unsorted points", () => {
    expect(issuesOf(issueModel.replace("key: tickets", "key: usage"))).toContainEqual(
      '17 components[2].key: duplicate component "usage" (also components[1])',
    );
    expect(issuesOf(issueModel.replace("weight: 40", "weight: 40\n    wieght: 3"))).toEqual([
      '13 components[1]: unknown field "wieght"',
    ]);
    expect(issuesOf(issueModel.replace("[0.5, 70]", "[0.05, 70]"))).toEqual([
      "15 components[1].scale.points[1][0]: x values must increase strictly",
    ]);
  });

  it("requires a segment's new component in full", () => {
    const bad = issueModel.replace("{ usage: { weight: 30 } }", "{ seats: { weight: 30 } }");
    expect(issuesOf(bad)).toEqual([
      '23 segments.enterprise.components.seats.input: "seats" is not a component of the model, so the segment must define it in full (input, scale, weight)',
      '23 segments.enterprise.components.seats.scale: "seats" is not a component of the model, so the segment must define it in full (input, scale, weight)',
    ]);
  });

  it("reports YAML syntax errors with their line, and non-mapping documents", () => {
    expect(issuesOf("name: x\nbands: [\n")[0]).toMatch(/^3 : /);
    expect(issuesOf("- 1\n- 2")).toEqual(["- : a model is a mapping with name, bands and components"]);
  });

  it("formats the error message with file, line and path", () => {
    expect(() => parseModel(issueModel.replace("weight: 25", "weight: -1"), "models/x.yaml")).toThrow(
      /models\/x\.yaml:12 components\[0\]\.weight: must be greater than 0/,
    );
  });

  it("ships a valid default model with the benchmark bands", () => {
    expect(DEFAULT_MODEL.bands.map((b) => [b.key, b.min])).toEqual([
      ["healthy", 80],
      ["caution", 70],
      ["at_risk", 0],
    ]);
  });
});

describe("parseModel: the churn map", () => {
  const withMap = (points: string, extra = "") =>
    `${issueModel.trimEnd()}\nchurn_probability:\n  horizon_days: 90\n  method: isotonic\n${extra}  portfolio:\n    points: ${points}\n`;
  const lineOf = (text: string, needle: string) =>
    text.split("\n").findLastIndex((l) => l.includes(needle)) + 1;

  it("reads a valid map", () => {
    const m = parseModel(withMap("[[10, 0.5], [50, 0.5], [90, 0.01]]"));
    expect(m.churn_probability).toEqual({
      horizon_days: 90,
      method: "isotonic",
      portfolio: {
        points: [
          [10, 0.5],
          [50, 0.5],
          [90, 0.01],
        ],
      },
    });
  });

  it("names the point whose probability is outside [0, 1], rises, or whose score is out of order", () => {
    const text = withMap("[[10, 0.5], [50, 1.5]]");
    expect(issuesOf(text)).toEqual([
      `${lineOf(text, "points:")} churn_probability.portfolio.points[1][1]: Too big: expected number to be <=1`,
    ]);
    expect(issuesOf(withMap("[[10, 0.2], [50, 0.3]]"))).toEqual([
      `${lineOf(text, "points:")} churn_probability.portfolio.points[1][1]: a probability may not rise with the score (points[0] has 0.2 at score 10)`,
    ]);
    expect(issuesOf(withMap("[[50, 0.3], [10, 0.2]]"))).toEqual([
      `${lineOf(text, "points:")} churn_probability.portfolio.points[1][0]: scores must increase strictly (points[0] has score 50)`,
    ]);
    expect(issuesOf(withMap("[]"))).toEqual([
      `${lineOf(text, "points:")} churn_probability.portfolio.points: needs at least one [score, probability] point`,
    ]);
  });

  it("names a segment's bad curve, an unknown method and a missing horizon", () => {
    const segment = withMap("[[10, 0.5]]").replace(
      "  portfolio:",
      "  segments:\n    enterprise:\n      accounts: 10\n      churned: 11\n      points: [[10, 0.5]]\n  portfolio:",
    );
    expect(issuesOf(segment)).toEqual([
      `${lineOf(segment, "churned: 11")} churn_probability.segments.enterprise.churned: more than accounts (10)`,
    ]);
    const method = withMap("[[10, 0.5]]").replace("method: isotonic", "method: platt");
    expect(issuesOf(method)).toEqual([
      `${lineOf(method, "method:")} churn_probability.method: the only method is "isotonic"`,
    ]);
    const horizon = withMap("[[10, 0.5]]").replace("  horizon_days: 90\n", "");
    expect(issuesOf(horizon)[0]).toMatch(/churn_probability\.horizon_days: /);
  });
});

describe("resolveSegment", () => {
  const model = parseModel(issueModel);

  it("applies a segment's weights and bands, and leaves others on the base model", () => {
    const ent = resolveSegment(model, "enterprise");
    expect(ent.segment).toBe("enterprise");
    expect(ent.components.find((c) => c.key === "usage")?.weight).toBe(30);
    expect(ent.components.find((c) => c.key === "usage")?.scale).toEqual(model.components[1]!.scale);
    expect(ent.bands.map((b) => b.min)).toEqual([85, 72, 0]);
    const smb = resolveSegment(model, "smb");
    expect(smb.segment).toBeNull();
    expect(smb.components.find((c) => c.key === "usage")?.weight).toBe(40);
    expect(smb.bands.map((b) => b.key)).toEqual(["healthy", "caution", "at_risk"]);
  });

  it("sorts bands given in any order from the highest min down", () => {
    const shuffled = issueModel.replace(
      "  - { key: healthy, min: 80 }\n  - { key: caution, min: 70 }\n  - { key: at_risk, min: 0 }",
      "  - { key: at_risk, min: 0 }\n  - { key: healthy, min: 80 }\n  - { key: caution, min: 70 }",
    );
    expect(resolveSegment(parseModel(shuffled), null).bands.map((b) => b.key)).toEqual([
      "healthy",
      "caution",
      "at_risk",
    ]);
  });
});
