// Writes a track webhook batch: the events' accounts resolved in one query, their activity rows
// inserted (a row already stored is left alone), and the usage metrics of every day the new rows
// can change recounted in SQL and upserted as observations, all in one transaction. A retried batch
// inserts no row, so it recounts and changes nothing.
import { resolveAccountIds } from "../db/repositories/accounts.ts";
import { upsertObservations } from "../db/repositories/observations.ts";
import {
  countUsageMetrics,
  insertTrackActivity,
  lockTrackAccounts,
} from "../db/repositories/track-activity.ts";
import type { Db } from "../db/handle.ts";
import type { Day } from "../domain/dates.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { RecordIssue } from "./ingest-batch.ts";
import { loadSourceGuard } from "../db/repositories/workspaces.ts";

/** Feature adoption metrics per account and day: the events with the most users in the week. */
export const MAX_FEATURE_METRICS = 50;

/**
 * One track event, as read from the request (api/track-events.ts); `account` is the customer's own
 * account id (accounts.external_id), `index` its position in the batch.
 */
export interface TrackActivity {
  index: number;
  account: string;
  /** Where the account id came from, to name it when the account is unknown. */
  accountField: string;
  user: string;
  day: Day;
  event: string;
}

export interface TrackOutcome {
  /** Events whose account is known (written, or already stored). */
  accepted: number;
  /** Issues of events whose account is unknown. */
  issues: RecordIssue[];
  /** Observations recounted. */
  metrics: number;
  /** Of those, observations not written: another source's value for the day ranks above the track's. */
  superseded: number;
}

export async function recordTrackActivity(
  prisma: PrismaClient,
  workspaceId: number,
  activities: readonly TrackActivity[],
  o: { onWritten?: (tx: Db, outcome: TrackOutcome) => Promise<void> } = {},
): Promise<TrackOutcome> {
  return prisma.$transaction(
    async (tx) => {
      const ids = await resolveAccountIds(
        tx,
        workspaceId,
        activities.map((a) => a.account),
      );
      const issues: RecordIssue[] = [];
      const rows = activities.flatMap((a) => {
        const accountId = ids.get(a.account);
        if (accountId !== undefined) return [{ accountId, day: a.day, userId: a.user, event: a.event }];
        issues.push({
          index: a.index,
          field: a.accountField,
          reason: `unknown account ${JSON.stringify(a.account)} (send it to /api/v1/accounts first)`,
        });
        return [];
      });
      await lockTrackAccounts(
        tx,
        rows.map((r) => r.accountId),
      );
      const touched = await insertTrackActivity(tx, workspaceId, rows);
      const metrics = await countUsageMetrics(tx, workspaceId, touched, MAX_FEATURE_METRICS);
      const { superseded } =
        metrics.length === 0
          ? { superseded: 0 }
          : await upsertObservations(
              tx,
              workspaceId,
              await loadSourceGuard(tx, workspaceId, "track"),
              metrics,
            );
      const outcome = { accepted: rows.length, issues, metrics: metrics.length, superseded };
      if (rows.length > 0) await o.onWritten?.(tx, outcome);
      return outcome;
    },
    { timeout: 60_000, maxWait: 10_000 },
  );
}
