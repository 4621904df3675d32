// The public JSON shape of a score (`css-bot score --json`, `css-bot explain --json`).
// Users' scripts read it: extend it, never rename or reshape a field.
import type { ComponentResult } from "../../domain/scoring/score.ts";

export interface ScoreJson {
  account_id: string;
  name: string;
  score: number | null;
  band: string;
  coverage: number;
  components: { key: string; raw: number | null; score: number | null; weight: number }[];
}

export function scoreJson(
  account: { accountId: string; name: string },
  result: { score: number | null; band: string; coverage: number; components: readonly ComponentResult[] },
): ScoreJson {
  return {
    account_id: account.accountId,
    name: account.name,
    score: result.score,
    band: result.band,
    coverage: result.coverage,
    components: result.components.map((c) => ({ key: c.key, raw: c.raw, score: c.score, weight: c.weight })),
  };
}
