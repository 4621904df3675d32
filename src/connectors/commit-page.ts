// One page of a sync, written in the caller's transaction: its records checked (each bad one
// rejected with a reason), its accounts reconciled and written, its metrics and responses written
// against the accounts they name (records of unknown accounts rejected), and the page's cursor and
// counts stored with them. Re-reading a page writes the same rows: nothing is ever duplicated.
import type { Prisma } from "../generated/prisma/client.ts";
import type { Db } from "../db/handle.ts";
import { commitPageProgress, type PageCounts } from "../db/repositories/connectors.ts";
import { upsertObservations } from "../db/repositories/observations.ts";
import type { SourceGuard } from "../domain/source-precedence.ts";
import { upsertSourceResponses } from "../db/repositories/source-accounts.ts";
import type {
  ConnectorKind,
  RejectedRecord,
  SourceAccount,
  SourceMetric,
  SourceResponse,
  SyncPage,
} from "./contract.ts";
import {
  applyRemovals,
  reconcileAccounts,
  resolveSourceAccounts,
  responseKey,
  updateKnownAccounts,
} from "./identity.ts";
import { checkRecords, labels } from "./source-records.ts";

export interface PageTarget {
  workspaceId: number;
  connectorId: number;
  kind: ConnectorKind;
  runId: bigint;
  /** The connector's source and the sources ranked above it (read once per run). */
  guard: SourceGuard;
}

export async function commitPage(
  db: Db,
  target: PageTarget,
  page: SyncPage<unknown>,
  cursor: Prisma.InputJsonValue,
): Promise<PageCounts & { rejections: RejectedRecord[] }> {
  const { workspaceId, kind } = target;
  const accounts = checkRecords<SourceAccount>("account", page.accounts, labels.account);
  const metrics = checkRecords<SourceMetric>("metric", page.metrics, labels.metric);
  const responses = checkRecords<SourceResponse>("response", page.responses, labels.response);
  const rejected = [
    ...(page.rejected ?? []),
    ...accounts.rejected,
    ...metrics.rejected,
    ...responses.rejected,
  ];

  const ids = await reconcileAccounts(db, workspaceId, kind, accounts.valid);
  const removals = await applyRemovals(db, workspaceId, kind, page.removals ?? []);
  rejected.push(...removals.notes);
  const updated = await updateKnownAccounts(db, workspaceId, kind, page.accountUpdates ?? []);
  const unknown = [...metrics.valid, ...responses.valid]
    .map((r) => r.sourceAccountId)
    .filter((id) => !ids.has(id));
  for (const [sourceId, accountId] of await resolveSourceAccounts(db, workspaceId, kind, unknown)) {
    ids.set(sourceId, accountId);
  }
  const known = <T extends { sourceAccountId: string }>(records: T[], label: (r: T) => string) =>
    records.flatMap((r) => {
      const accountId = ids.get(r.sourceAccountId);
      if (accountId !== undefined) return [{ record: r, accountId }];
      rejected.push({ record: label(r), reason: `unknown account ${JSON.stringify(r.sourceAccountId)}` });
      return [];
    });
  const metricRows = known(metrics.valid, labels.metric).map(({ record, accountId }) => ({
    accountId,
    metric: record.metric,
    observedOn: record.observedOn,
    value: record.value,
  }));
  const responseRows = known(responses.valid, labels.response).map(({ record, accountId }) => ({
    accountId,
    survey: record.survey,
    score: record.score,
    respondedAt: record.respondedAt,
    respondent: record.respondent ?? null,
    comment: record.comment ?? null,
    dedupeKey: responseKey(kind, record.responseId),
  }));
  const observations = await upsertObservations(db, workspaceId, target.guard, metricRows);
  await upsertSourceResponses(db, workspaceId, responseRows);

  const counts: PageCounts = {
    read: page.read,
    written: accounts.valid.length + removals.applied + updated + observations.written + responseRows.length,
    rejected: rejected.length,
    superseded: observations.superseded,
  };
  await commitPageProgress(db, target.connectorId, target.runId, cursor, counts);
  return { ...counts, rejections: rejected };
}
