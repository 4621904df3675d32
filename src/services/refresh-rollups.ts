// Brings a workspace's rollups up to date for a day, so the next recompute reads one row per account:
// the accounts whose observations changed since their rollup, and, once the local day has turned, the
// active accounts whose rollup is of an earlier day. Run by the refresh-rollups job every few minutes;
// a recompute computes whatever is still out of date when it runs, so scores never depend on it.
import type { Day } from "../domain/dates.ts";
import { modelInputs } from "../domain/model/resolve-segment.ts";
import { accountsToRefresh, refreshRollups } from "../db/repositories/metric-rollups.ts";
import { AGGREGATION_SETTINGS } from "../db/repositories/window-aggregates.ts";
import { activeModelForScoring, modelVersion } from "../db/repositories/models.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";

export interface RefreshSummary {
  accounts: number;
  chunks: number;
}

/**
 * One pass over the workspace in id order, `chunk` accounts per statement. Changes that arrive during
 * the pass for accounts already passed are taken by the next pass (or by the run).
 */
export async function refreshWorkspaceRollups(
  prisma: PrismaClient,
  workspaceId: number,
  asOf: Day,
  options: { chunk?: number; onChunk?: (done: number) => void } = {},
): Promise<RefreshSummary> {
  const chunk = options.chunk ?? 5000;
  const active = await activeModelForScoring(prisma, workspaceId);
  const inputs = modelInputs(await modelVersion(prisma, workspaceId, active.id));
  const summary: RefreshSummary = { accounts: 0, chunks: 0 };
  for (let after = 0; ;) {
    const ids = await accountsToRefresh(prisma, workspaceId, asOf, after, chunk);
    if (ids.length === 0) return summary;
    await prisma.$transaction(
      async (tx) => {
        await tx.$queryRawUnsafe(AGGREGATION_SETTINGS);
        await refreshRollups(tx, workspaceId, ids, inputs, asOf);
      },
      { timeout: 120_000 },
    );
    summary.accounts += ids.length;
    summary.chunks++;
    options.onChunk?.(summary.accounts);
    after = ids.at(-1)!;
  }
}
