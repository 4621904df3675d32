import { describe, expect, it } from "vitest";
import { DEFAULT_MODEL, DEFAULT_MODEL_SOURCE } from "../../domain/model/default-model.ts";
import { parseModel } from "../../domain/model/parse-model.ts";
import { CHURN_MAP_FIX, checkChurnProbability } from "./churn-probability.ts";

const withMap = (segments: string) =>
  parseModel(
    `${DEFAULT_MODEL_SOURCE.trimEnd()}\nchurn_probability:\n  horizon_days: 60\n  method: isotonic\n` +
      `  portfolio: { accounts: 400, churned: 60, points: [[40, 0.6], [90, 0.02]] }\n${segments}`,
    "with-map.yaml",
  );

describe("checkChurnProbability", () => {
  it("warns without a map: probabilities and revenue at risk are off, and the fix names the commands", () => {
    const check = checkChurnProbability({ model: DEFAULT_MODEL, version: null });
    expect(check).toEqual({
      name: "churn probability",
      status: "warn",
      message:
        'the default model "default" has no churn map (no churn history given), so churn probabilities ' +
        "and revenue at risk are off: cards show the score and band only",
      fix: CHURN_MAP_FIX,
    });
    // Each step of the fix is a real command with its real flags (src/cli/commands).
    expect(CHURN_MAP_FIX).toContain("account_id,churned[,churned_at]");
    expect(CHURN_MAP_FIX).toContain("npx css-bot model show > model.yaml");
    expect(CHURN_MAP_FIX).toMatch(
      /npx css-bot calibrate --model model\.yaml --accounts accounts\.csv .*--outcomes outcomes\.csv --as-of YYYY-MM-DD --out calibrated\.yaml/,
    );
    expect(CHURN_MAP_FIX).toContain("npx css-bot model set calibrated.yaml");
    expect(checkChurnProbability({ model: DEFAULT_MODEL, version: 3 }).message).toMatch(
      /^model version 3 \("default"\) has no churn map/,
    );
  });

  it("with a map, says its horizon and what it was fitted on, segment by segment", () => {
    expect(checkChurnProbability({ model: withMap(""), version: 2 })).toEqual({
      name: "churn probability",
      status: "ok",
      message:
        'model version 2 ("default"): churn within 60 days, fitted on 400 accounts of which 60 churned; ' +
        "every segment reads the portfolio's curve",
      fix: null,
    });
    const segmented = withMap(
      "  segments:\n    enterprise: { accounts: 120, churned: 30, points: [[50, 0.4], [95, 0.01]] }\n",
    );
    expect(checkChurnProbability({ model: segmented, version: 4 }).message).toMatch(
      /fitted on 400 accounts of which 60 churned; 1 segment with a curve of its own \(enterprise: 30 of 120\)$/,
    );
  });
});
