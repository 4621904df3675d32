// Scores accounts straight from files with a model: no database (for trying a model on exported data).
import type { Day } from "../domain/dates.ts";
import type { ScoringModel } from "../domain/model/schema.ts";
import { SegmentResolver } from "../domain/model/resolve-segment.ts";
import type { AccountRecord } from "../domain/records.ts";
import { PortfolioInputs } from "../domain/scoring/portfolio-inputs.ts";
import { scoreFromInputs, type ScoreResult } from "../domain/scoring/score.ts";
import { computeRawInputs } from "../domain/scoring/window-inputs.ts";
import type { IssueReport } from "../ingest/row-issues.ts";
import { readPortfolioFiles, type PortfolioFiles, type ReadFilesOptions } from "./read-portfolio-files.ts";

export interface AccountScore {
  account: AccountRecord;
  result: ScoreResult;
}

export async function scoreFiles(
  model: ScoringModel,
  files: PortfolioFiles,
  asOf: Day,
  options: ReadFilesOptions = {},
): Promise<{ scores: AccountScore[]; report: IssueReport }> {
  const inputs = new PortfolioInputs(model, asOf);
  const { accounts, report } = await readPortfolioFiles(
    files,
    { metric: (m) => inputs.addMetric(m), response: (r) => inputs.addResponse(r) },
    options,
  );
  return { scores: scorePortfolio(model, accounts, inputs), report };
}

export function scorePortfolio(
  model: ScoringModel,
  accounts: readonly AccountRecord[],
  inputs: PortfolioInputs,
): AccountScore[] {
  const segments = new SegmentResolver(model);
  return accounts.map((account) => {
    const effective = segments.for(account.segment);
    const { metrics, responses } = inputs.get(account.accountId);
    const raws = computeRawInputs(effective.components, metrics, responses, inputs.asOf);
    return { account, result: scoreFromInputs(effective, raws) };
  });
}
