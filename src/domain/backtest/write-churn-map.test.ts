import { describe, expect, it } from "vitest";
import { DEFAULT_MODEL_SOURCE } from "../model/default-model.ts";
import { parseModel } from "../model/parse-model.ts";
import type { ChurnMap } from "../model/schema.ts";
import { writeChurnMap } from "./write-churn-map.ts";

// The default model's text: comments, flow mappings and segments to keep byte for byte.
const SOURCE = DEFAULT_MODEL_SOURCE;
const MAP: ChurnMap = {
  horizon_days: 90,
  method: "isotonic",
  portfolio: {
    accounts: 200,
    churned: 40,
    points: [
      [10.5, 0.6],
      [40, 0.2],
      [90.25, 0.0025],
    ],
  },
  segments: {
    enterprise: {
      accounts: 100,
      churned: 30,
      points: [
        [20, 0.5],
        [80, 0.05],
      ],
    },
    "mid market": { accounts: 60, churned: 30, points: [[50, 0.5]] },
    null: { accounts: 60, churned: 30, points: [[50, 0.4]] },
  },
};

describe("writeChurnMap", () => {
  it("appends a readable section to a block YAML file and leaves every other byte alone", () => {
    const written = writeChurnMap(SOURCE, MAP);
    expect(written.startsWith(SOURCE)).toBe(true);
    expect(written.slice(SOURCE.length)).toBe(
      [
        "churn_probability:",
        "  horizon_days: 90",
        "  method: isotonic",
        "  portfolio:",
        "    accounts: 200",
        "    churned: 40",
        "    points:",
        "      - [10.5, 0.6]",
        "      - [40, 0.2]",
        "      - [90.25, 0.0025]",
        "  segments:",
        "    enterprise:",
        "      accounts: 100",
        "      churned: 30",
        "      points:",
        "        - [20, 0.5]",
        "        - [80, 0.05]",
        '    "mid market":',
        "      accounts: 60",
        "      churned: 30",
        "      points:",
        "        - [50, 0.5]",
        '    "null":',
        "      accounts: 60",
        "      churned: 30",
        "      points:",
        "        - [50, 0.4]",
        "",
      ].join("\n"),
    );
    expect(parseModel(written).churn_probability).toEqual(MAP);
  });

  it("replaces an existing section, whatever its indentation, and keeps what follows", () => {
    const old = SOURCE.replace(
      "components:",
      "churn_probability:   # old\n    horizon_days: 30\n    method: isotonic\n    portfolio:\n        points: [[1, 0.9]]\ncomponents:",
    );
    const written = writeChurnMap(old, MAP);
    expect(parseModel(written).churn_probability).toEqual(MAP);
    expect(written).not.toContain("horizon_days: 30");
    expect(written.endsWith(SOURCE.slice(SOURCE.indexOf("components:")))).toBe(true);
    expect(written.startsWith(SOURCE.slice(0, SOURCE.indexOf("components:")))).toBe(true);
    // Writing again gives the same text.
    expect(writeChurnMap(written, MAP)).toBe(written);
  });

  it("writes JSON into a file written as JSON, appended or replaced", () => {
    const json = JSON.stringify(parseModel(SOURCE), null, 2);
    const appended = writeChurnMap(json, MAP);
    expect(JSON.parse(appended)).toEqual({ ...JSON.parse(json), churn_probability: MAP });
    const other = { ...MAP, horizon_days: 30 };
    expect(JSON.parse(writeChurnMap(appended, other))).toEqual({
      ...JSON.parse(json),
      churn_probability: other,
    });
  });
});
