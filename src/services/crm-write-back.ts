// Writes each account's latest score, band, churn probability, top drivers and card link to its
// record in a connector's CRM, after a recompute, for connectors with write-back on. Only records
// whose values changed since they were last written are sent (a replay sends nothing), in the
// vendor's batches, paced; each batch's values are recorded as it succeeds, so a run cut short
// resumes with what is left. 429 and 5xx are retried by the HTTP client (Retry-After honoured).
//
// A refused field (missing and not creatable, of the wrong type, not permitted), and any other
// answer no retry can change, stops write-back for the connector: its write_back_error says why,
// the admins are told once, and later runs skip it until `connectors write-back <name> on`.
import { batchesOf, changedRecords, writeBackValues, type RecordValues } from "../domain/crm/write-back.ts";
import {
  lastWrittenValues,
  saveWrittenValues,
  startWriteRun,
  updateWriteRun,
  writeBackRows,
  type WriteBackRow,
} from "../db/repositories/crm-writes.ts";
import { findConnector } from "../db/repositories/connectors.ts";
import { ConnectorAuthError, ConnectorConfigError, SourceRequestError } from "../connectors/contract.ts";
import { reportWriteBackRefused } from "../connectors/failure-alert.ts";
import type { SourceHttpOptions } from "../connectors/http.ts";
import { CONNECTORS, type ConnectorRegistry } from "../connectors/registry.ts";
import { openConnectorSecret } from "../connectors/secrets.ts";
import { connectorHttp, parseStored } from "../connectors/sync-runner.ts";
import { WriteRefusedError, type CrmWriter } from "../connectors/write-back/contract.ts";
import { CRM_WRITERS, type CrmWriters } from "../connectors/write-back/registry.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { silentLogger, type Logger } from "../log.ts";
import type { SecretBox } from "../security/secret-box.ts";
import type { SlackAccess } from "../slack/access.ts";
import { threadLink } from "../slack/blocks/account-card.ts";

export interface WriteBackDeps {
  prisma: PrismaClient;
  box: SecretBox | null;
  slack?: SlackAccess | null;
  log?: Logger;
  connectors?: ConnectorRegistry;
  writers?: CrmWriters;
  /** Tests shorten the HTTP client's retry budget and make waiting instant and observable. */
  http?: Pick<SourceHttpOptions, "retryBudgetMs" | "backoffMs" | "timeoutMs" | "sleep" | "random">;
  /** The pause between batch calls (default: the writer's pace); waits through http.sleep when given. */
  paceMs?: number;
}

export type WriteBackResult =
  | { status: "skipped"; reason: string }
  | {
      status: "succeeded" | "refused";
      runId: string;
      considered: number;
      changed: number;
      written: number;
      notFound: number;
      batches: number;
      error?: string;
    };

export async function runWriteBack(
  deps: WriteBackDeps,
  connectorId: number,
  options: { workspaceId: number; recomputeRunId?: bigint | null },
): Promise<WriteBackResult> {
  const { prisma } = deps;
  const log = deps.log ?? silentLogger;
  const connector = await findConnector(prisma, options.workspaceId, connectorId);
  if (!connector) return { status: "skipped", reason: "the connector no longer exists" };
  if (!connector.writeBack) return { status: "skipped", reason: "write-back is off" };
  if (connector.writeBackError)
    return { status: "skipped", reason: `write-back stopped: ${connector.writeBackError}` };
  const writer = (deps.writers ?? CRM_WRITERS)[connector.kind as keyof CrmWriters];
  const definition = (deps.connectors ?? CONNECTORS)[connector.kind as keyof ConnectorRegistry];
  if (!writer || !definition)
    return { status: "skipped", reason: `no write-back to ${connector.kind} in this version` };

  const wanted = (await writeBackRows(prisma, connector.workspaceId, connector.kind)).map(recordValues);
  const changed = changedRecords(wanted, await lastWrittenValues(prisma, connector.id));
  const run = await startWriteRun(prisma, connector, options.recomputeRunId ?? null);
  const counts = { considered: wanted.length, changed: changed.length, written: 0, notFound: 0, batches: 0 };
  const result = (status: "succeeded" | "refused", error?: string): WriteBackResult => ({
    status,
    runId: run.id.toString(),
    ...counts,
    ...(error === undefined ? {} : { error }),
  });
  // The write log's counts as they stand (notFound is the difference between changed and written).
  const logged = () => ({
    considered: counts.considered,
    changed: counts.changed,
    written: counts.written,
    batches: counts.batches,
  });
  try {
    if (changed.length > 0) {
      const settings = parseStored(definition.settings, connector.settings, "settings");
      const secret = parseStored(
        definition.secret,
        openConnectorSecret(deps.box, connector.workspaceId, connector.id, connector.encryptedSecret),
        "secret",
      );
      const http = connectorHttp(definition, settings as Record<string, unknown>, secret, deps.http ?? {});
      const session = writer.open({ settings, secret, http });
      await session.prepare();
      const pace = deps.paceMs ?? writer.paceMs;
      const sleep = deps.http?.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
      let lastCall = 0;
      for (const batch of batchesOf(changed, writer.batchSize)) {
        const wait = lastCall + pace - Date.now();
        if (lastCall > 0 && wait > 0) await sleep(wait);
        lastCall = Date.now();
        const { notFound } = await session.write(batch);
        const missing = new Set(notFound);
        const written = batch.filter((r) => !missing.has(r.recordId));
        counts.batches++;
        counts.written += written.length;
        counts.notFound += batch.length - written.length;
        await prisma.$transaction(async (tx) => {
          await saveWrittenValues(tx, connector.id, written);
          await updateWriteRun(tx, run.id, { written: counts.written, batches: counts.batches });
        });
      }
    }
    await updateWriteRun(prisma, run.id, {
      ...logged(),
      status: "succeeded",
      finishedAt: new Date(),
    });
    log.info("write-back finished", { connector: connector.id, ...counts });
    return result("succeeded");
  } catch (error) {
    const message = refusalMessage(error, writer).slice(0, 2000);
    const refused = isRefusal(error);
    await updateWriteRun(prisma, run.id, {
      ...logged(),
      status: refused ? "refused" : "failed",
      error: message,
      finishedAt: new Date(),
    });
    if (!refused) throw error; // the job retries; what was written is recorded
    // Only the run that stops write-back tells the admins (a concurrent one finds it stopped).
    const stopped = await prisma.connectorConfig.updateMany({
      where: { id: connector.id, writeBackError: null },
      data: { writeBackError: message },
    });
    log.warn("write-back refused: stopped for this connector", { connector: connector.id, error: message });
    if (stopped.count > 0)
      await reportWriteBackRefused({ prisma, slack: deps.slack, log }, connector, writer.title, message);
    return result("refused", message);
  }
}

/** Answers no retry can change: a refused field, refused credentials or scopes, a rejected request. */
function isRefusal(error: unknown): boolean {
  return (
    error instanceof WriteRefusedError ||
    error instanceof ConnectorAuthError ||
    error instanceof SourceRequestError ||
    error instanceof ConnectorConfigError
  );
}

/** Refused credentials, for a write, mean a permission missing: the message names the scopes needed. */
function refusalMessage(error: unknown, writer: CrmWriter): string {
  const message = (error as Error).message;
  if (!(error instanceof ConnectorAuthError)) return message;
  return `${writer.title} refused the write: the credentials lack a permission write-back needs (${writer.permissions}). ${message}`;
}

function recordValues(row: WriteBackRow): RecordValues {
  return {
    recordId: row.recordId,
    accountId: row.accountId,
    values: writeBackValues({
      score: row.score,
      band: row.band,
      churnProbability: row.churnProbability,
      components: Array.isArray(row.components) ? (row.components as never[]) : [],
      cardLink: row.channelId && row.threadTs ? threadLink(row.channelId, row.threadTs) : null,
    }),
  };
}
