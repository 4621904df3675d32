// Write-back's tables: the write log (one row per write-back run of a connector) and the values last
// written to each CRM record, against which the next run's values are compared.
import type { CrmWriteRun, Prisma } from "../../generated/prisma/client.ts";
import type { Db } from "../handle.ts";

/** An account's latest snapshot as written back, once per record id the CRM knows it by. */
export interface WriteBackRow {
  recordId: string;
  accountId: number;
  score: number | null;
  band: string;
  churnProbability: number | null;
  components: unknown;
  /** The channel and ts of the account's latest case thread (its card in Slack), if any. */
  channelId: string | null;
  threadTs: string | null;
}

/**
 * Every record of the CRM (by the connector's kind, as the sync recorded its ids) whose account has
 * a snapshot, with that account's latest one. Ordered by record id, so batches are stable.
 */
export async function writeBackRows(db: Db, workspaceId: number, source: string): Promise<WriteBackRow[]> {
  return db.$queryRawUnsafe<WriteBackRow[]>(
    `SELECT asi.source_id AS "recordId", asi.account_id AS "accountId", s.score, s.band,
            s.churn_probability AS "churnProbability", s.components,
            f.channel_id AS "channelId", f.thread_ts AS "threadTs"
       FROM account_source_ids asi
       JOIN LATERAL (SELECT score, band, churn_probability, components FROM score_snapshots ss
                      WHERE ss.account_id = asi.account_id ORDER BY ss.as_of DESC LIMIT 1) s ON true
       LEFT JOIN LATERAL (SELECT channel_id, thread_ts FROM follow_ups fu
                           WHERE fu.account_id = asi.account_id AND fu.workspace_id = asi.workspace_id
                             AND fu.channel_id IS NOT NULL AND fu.thread_ts IS NOT NULL
                           ORDER BY fu.opened_at DESC LIMIT 1) f ON true
      WHERE asi.workspace_id = $1 AND asi.source = $2
      ORDER BY asi.source_id`,
    workspaceId,
    source,
  );
}

export async function lastWrittenValues(
  db: Db,
  connectorId: number,
): Promise<Map<string, Record<string, unknown>>> {
  const rows = await db.crmWrittenValue.findMany({
    where: { connectorId },
    select: { recordId: true, values: true },
  });
  return new Map(rows.map((r) => [r.recordId, (r.values ?? {}) as Record<string, unknown>]));
}

/** Records the values a batch wrote (replacing the previous ones). */
export async function saveWrittenValues(
  db: Db,
  connectorId: number,
  rows: readonly { recordId: string; accountId: number; values: Record<string, string> }[],
): Promise<void> {
  if (rows.length === 0) return;
  await db.$executeRawUnsafe(
    `INSERT INTO crm_written_values (connector_id, record_id, account_id, "values", written_at)
     SELECT $1, x.r, x.a, x.v, now() FROM jsonb_to_recordset($2::jsonb) AS x(r text, a int, v jsonb)
     ON CONFLICT (connector_id, record_id)
     DO UPDATE SET account_id = excluded.account_id, "values" = excluded."values", written_at = now()`,
    connectorId,
    JSON.stringify(rows.map((r) => ({ r: r.recordId, a: r.accountId, v: r.values }))),
  );
}

export function startWriteRun(
  db: Db,
  connector: { id: number; workspaceId: number },
  recomputeRunId: bigint | null,
): Promise<CrmWriteRun> {
  return db.crmWriteRun.create({
    data: { workspaceId: connector.workspaceId, connectorId: connector.id, recomputeRunId },
  });
}

export function updateWriteRun(
  db: Db,
  id: bigint,
  data: Prisma.CrmWriteRunUpdateInput,
): Promise<CrmWriteRun> {
  return db.crmWriteRun.update({ where: { id }, data });
}

/** The connector's write log, newest first. */
export function listWriteRuns(db: Db, connectorId: number, limit: number): Promise<CrmWriteRun[]> {
  return db.crmWriteRun.findMany({
    where: { connectorId },
    orderBy: [{ startedAt: "desc" }, { id: "desc" }],
    take: limit,
  });
}
