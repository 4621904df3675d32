// Runs one sync of one connector: loads it (within its workspace), opens its secret, validates its
// settings, secret and cursor with the definition's schemas, records a sync run, and reads the
// source page by page, committing each page (records, cursor, counts) in one transaction. A sync
// cut short leaves the last committed cursor, so the next run resumes there; writes are upserts, so
// re-reading a page duplicates nothing.
//
// Failures: refused credentials mark the connector auth_failed and tell the admins once per streak;
// configuration problems mark it `error`; both are permanent for the job (see isPermanent). An
// unavailable source marks it `error` too, and the job retries with backoff.
import type { z } from "zod";
import {
  findConnector,
  finishSyncRun,
  markConnectorFailed,
  markConnectorSynced,
  startSyncRun,
} from "../db/repositories/connectors.ts";
import { KnownError } from "../errors.ts";
import type { Prisma, PrismaClient } from "../generated/prisma/client.ts";
import { silentLogger, type Logger } from "../log.ts";
import { SecretBoxError, type SecretBox } from "../security/secret-box.ts";
import { loadSourceGuard } from "../db/repositories/workspaces.ts";
import type { SlackAccess } from "../slack/access.ts";
import { commitPage } from "./commit-page.ts";
import {
  ConnectorAuthError,
  ConnectorConfigError,
  SourceRequestError,
  type ConnectorKind,
  type RejectedRecord,
  type SourceHttp,
} from "./contract.ts";
import { reportAuthFailure } from "./failure-alert.ts";
import { createSourceHttp, type SourceHttpOptions } from "./http.ts";
import { CONNECTORS, type AnyConnectorDefinition, type ConnectorRegistry } from "./registry.ts";
import { EncryptionKeyMissingError, openConnectorSecret } from "./secrets.ts";

export interface SyncDeps {
  prisma: PrismaClient;
  /** Opens connector secrets (CSS_ENCRYPTION_KEY); null: only connectors without a secret sync. */
  box: SecretBox | null;
  /** Tells admins of refused credentials; null: recorded only. */
  slack?: SlackAccess | null;
  log?: Logger;
  connectors?: ConnectorRegistry;
  /** Tests shorten the HTTP client's retry budget and backoff. */
  http?: Pick<SourceHttpOptions, "retryBudgetMs" | "backoffMs" | "timeoutMs" | "sleep" | "random">;
  now?: () => Date;
}

export interface SyncOptions {
  workspaceId: number;
  /** Why it runs ("schedule", "manual", "cli"): logged and audited. */
  trigger: string;
  signal?: AbortSignal;
  /** After each committed page. */
  onPage?: (progress: SyncProgress) => void;
}

export interface SyncProgress {
  pages: number;
  read: number;
  written: number;
  rejected: number;
  superseded: number;
}

export interface SyncResult extends SyncProgress {
  runId: string;
  connectorId: number;
  name: string;
  kind: ConnectorKind;
  durationMs: number;
  /** The first MAX_REJECTIONS rejected records with their reasons (the run counts them all). */
  rejections: RejectedRecord[];
}

export class ConnectorNotFoundError extends KnownError {
  readonly code = "CONNECTOR_NOT_FOUND";
}

const MAX_REJECTIONS = 100;
/** A page is a few thousand records: minutes would mean a stuck database, not a slow page. */
const PAGE_TRANSACTION = { timeout: 5 * 60_000, maxWait: 60_000 };

export async function runSync(
  deps: SyncDeps,
  connectorId: number,
  options: SyncOptions,
): Promise<SyncResult> {
  const { prisma } = deps;
  const log = deps.log ?? silentLogger;
  const now = deps.now ?? (() => new Date());
  const connector = await findConnector(prisma, options.workspaceId, connectorId);
  if (!connector) {
    throw new ConnectorNotFoundError(`no connector ${connectorId} in workspace ${options.workspaceId}`);
  }
  const kind = connector.kind as ConnectorKind;
  const started = now();
  const runId = await startSyncRun(prisma, connector.workspaceId, connector.id);
  const progress: SyncProgress = { pages: 0, read: 0, written: 0, rejected: 0, superseded: 0 };
  const rejections: RejectedRecord[] = [];
  const signal = options.signal ?? new AbortController().signal;
  let definition: AnyConnectorDefinition | undefined;
  try {
    definition = (deps.connectors ?? CONNECTORS)[kind];
    if (!definition)
      throw new ConnectorConfigError(`this version of css-bot has no "${connector.kind}" connector`);
    const settings = parseStored(definition.settings, connector.settings, "settings") as Record<
      string,
      unknown
    >;
    const secret = parseStored(
      definition.secret,
      openConnectorSecret(deps.box, connector.workspaceId, connector.id, connector.encryptedSecret),
      "secret",
    );
    const cursor = storedCursor(definition, connector.cursor, log, connector.id);
    const http = connectorHttp(definition, settings, secret, { ...deps.http, signal });
    const target = {
      workspaceId: connector.workspaceId,
      connectorId: connector.id,
      kind,
      runId,
      guard: await loadSourceGuard(prisma, connector.workspaceId, `connector:${kind}`),
    };
    for await (const page of definition.sync({ settings, secret, cursor, http, now: started, signal, log })) {
      signal.throwIfAborted();
      const nextCursor = definition.cursor.safeParse(page.cursor);
      if (!nextCursor.success) throw new Error(`the ${definition.title} connector yielded an invalid cursor`);
      const counts = await prisma.$transaction(
        (tx) => commitPage(tx, target, page, nextCursor.data as Prisma.InputJsonValue),
        PAGE_TRANSACTION,
      );
      progress.pages++;
      progress.read += counts.read;
      progress.written += counts.written;
      progress.rejected += counts.rejected;
      progress.superseded += counts.superseded;
      for (const r of counts.rejections) if (rejections.length < MAX_REJECTIONS) rejections.push(r);
      if (counts.rejected > 0)
        log.warn("sync rejected records", { connector: connector.id, first: counts.rejections.slice(0, 5) });
      options.onPage?.({ ...progress });
    }
    await finishSyncRun(prisma, runId, { status: "succeeded" });
    await markConnectorSynced(prisma, connector.id, now());
    log.info("sync finished", { connector: connector.id, kind, trigger: options.trigger, ...progress });
  } catch (error) {
    const message = signal.aborted
      ? `interrupted after ${progress.pages} committed page(s): the next run resumes from there`
      : errorMessage(error);
    await finishSyncRun(prisma, runId, { status: "failed", error: message });
    const status = error instanceof ConnectorAuthError ? "auth_failed" : "error";
    const firstOfStreak = await markConnectorFailed(prisma, connector.id, status, message);
    log.warn("sync failed", { connector: connector.id, kind, trigger: options.trigger, error: message });
    if (error instanceof ConnectorAuthError && firstOfStreak) {
      await reportAuthFailure(
        { prisma, slack: deps.slack, log },
        connector,
        definition?.title ?? kind,
        message,
      );
    }
    throw error;
  }
  return {
    runId: runId.toString(),
    connectorId: connector.id,
    name: connector.name,
    kind,
    durationMs: now().getTime() - started.getTime(),
    ...progress,
    rejections,
  };
}

/** Failures no retry can fix: the job stops and waits for an admin (or the next cadence). */
export function isPermanent(error: unknown): boolean {
  return (
    error instanceof ConnectorAuthError ||
    error instanceof ConnectorConfigError ||
    error instanceof SourceRequestError ||
    error instanceof ConnectorNotFoundError ||
    error instanceof SecretBoxError ||
    error instanceof EncryptionKeyMissingError
  );
}

/** A connector's stored settings or secret, checked with its schema (write-back reads them too). */
export function parseStored(schema: z.ZodType, value: unknown, what: "settings" | "secret"): unknown {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${[what, ...i.path].join(".")}: ${i.message}`).join("; ");
  throw new ConnectorConfigError(
    `the connector's stored ${what} ${what === "settings" ? "are" : "is"} not valid: ${problems}`,
  );
}

/** An unreadable stored cursor starts the sync over: slower, never wrong (writes are upserts). */
function storedCursor(definition: AnyConnectorDefinition, stored: unknown, log: Logger, id: number): unknown {
  if (stored === null || stored === undefined) return null;
  const parsed = definition.cursor.safeParse(stored);
  if (parsed.success) return parsed.data;
  log.warn("stored cursor not readable: syncing from the start", { connector: id });
  return null;
}

/** The HTTP client of a connector: its base URL (settings' or the default), credentials and error rules. */
export function connectorHttp(
  definition: AnyConnectorDefinition,
  settings: Record<string, unknown>,
  secret: unknown,
  options: SyncDeps["http"] & { signal?: AbortSignal },
): SourceHttp {
  const baseUrl = (settings.base_url as string | undefined) ?? definition.defaultBaseUrl;
  if (!baseUrl) return noHttp(definition.title);
  return createSourceHttp({
    ...options,
    baseUrl,
    headers: definition.authHeaders(secret),
    source: definition.title,
    classify: definition.classifyError,
  });
}

function noHttp(title: string): SourceHttp {
  return {
    json: () => Promise.reject(new ConnectorConfigError(`the ${title} connector has no base_url to call`)),
  };
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, 2000);
}
