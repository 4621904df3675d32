// Brings a workspace's rollups up to date for a day, so the next recompute reads one row per account:
// the accounts whose observations changed since their rollup, and, once the local day has turned, the
// active accounts whose rollup is of an earlier day. Each rollup holds the active model's inputs and
// the two counts of each no_data play of the active playbook (domain/plays/no-data-window.ts), as a
// run's shards ask (recompute.ts): one holding fewer would be computed again inside the run. Run by
// the refresh-rollups job every few minutes; a recompute computes whatever is still out of date when
// it runs, so scores never depend on it.
import type { Day } from "../domain/dates.ts";
import { modelInputs } from "../domain/model/resolve-segment.ts";
import { noDataRollupInputs } from "../domain/plays/no-data-window.ts";
import { runCandidatePlays } from "../domain/plays/run-candidates.ts";
import {
  accountsOfEarlierDay,
  changedBlocks,
  refreshChangedBlock,
  refreshRollups,
} from "../db/repositories/metric-rollups.ts";
import { aggregationTransaction } from "../db/repositories/window-aggregates.ts";
import { activeModelForScoring, modelVersion } from "../db/repositories/models.ts";
import { findActivePlaybook } from "../db/repositories/playbooks.ts";
import type { Clients } from "../db/handle.ts";

export interface RefreshSummary {
  accounts: number;
  chunks: number;
}

/**
 * One pass: every block of account ids with change records (its accounts computed and its records
 * cleared in one statement), then the active accounts whose rollup is of an earlier day, `chunk` at a
 * time in id order. Changes that arrive during the pass are taken by the next pass (or by the run).
 */
export async function refreshWorkspaceRollups(
  db: Clients,
  workspaceId: number,
  asOf: Day,
  options: { chunk?: number } = {},
): Promise<RefreshSummary> {
  const chunk = options.chunk ?? 5000;
  const active = await activeModelForScoring(db.prisma, workspaceId);
  // The stored active playbook's: a run records candidates for a stored playbook only.
  const playbook = await findActivePlaybook(db.prisma, workspaceId);
  const inputs = [
    ...modelInputs(await modelVersion(db.prisma, workspaceId, active.id)),
    ...noDataRollupInputs(playbook ? runCandidatePlays(playbook.playbook.plays) : []),
  ];
  const summary: RefreshSummary = { accounts: 0, chunks: 0 };
  // Through the driver: a chunk's rollups are megabytes of JSON, which Prisma would convert twice.
  for (const bucket of await changedBlocks(db.sql.query, workspaceId)) {
    const done = await aggregationTransaction(db.sql, (read) =>
      refreshChangedBlock(read, workspaceId, bucket, inputs, asOf),
    );
    summary.accounts += done.size;
    summary.chunks++;
  }
  for (let after = 0; ;) {
    const ids = await accountsOfEarlierDay(db.sql.query, workspaceId, asOf, after, chunk);
    if (ids.length === 0) return summary;
    await aggregationTransaction(db.sql, (read) => refreshRollups(read, workspaceId, ids, inputs, asOf));
    summary.accounts += ids.length;
    summary.chunks++;
    after = ids.at(-1)!;
  }
}
