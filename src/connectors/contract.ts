// What a connector is: a definition that reads one source (a warehouse, Stripe, HubSpot, Salesforce,
// Zendesk) page by page from a stored cursor, and says what it read in the source's own terms (its ids), as
// plain records. The sync runner (sync-runner.ts) owns everything around it: the HTTP client with
// retries and rate limits, committing each page with its cursor in one transaction, reconciling the
// source's ids with accounts, counting, recording the sync run, and telling admins of failures.
// A connector does no database writes of its own and never catches the runner's errors.
import type { z } from "zod";
import type { Day } from "../domain/dates.ts";
import type { AccountStatus, SurveyKind } from "../domain/records.ts";
import { KnownError } from "../errors.ts";
import type { Logger } from "../log.ts";

export const CONNECTOR_KINDS = ["sql", "stripe", "hubspot", "salesforce", "zendesk"] as const;
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number];

/**
 * An account as a source knows it. `sourceId` is the source's own id (a Stripe customer, a HubSpot
 * company, a Zendesk organization; for the SQL connector the customer's account id). Fields left
 * undefined are not known to this source and keep what another source set; null clears them.
 */
export interface SourceAccount {
  sourceId: string;
  /** The customer's own account id, when the source carries it (e.g. a HubSpot property). */
  externalId?: string | null;
  name?: string | null;
  /** Lower case, no scheme or path: "acme.com". Accounts of different sources meet by domain. */
  domain?: string | null;
  segment?: string | null;
  /** The owner's email (mapped to a Slack user by email). */
  owner?: string | null;
  mrr?: number | null;
  seats?: number | null;
  renewalDate?: Day | null;
  createdAt?: Day | null;
  status?: AccountStatus;
  churnedAt?: Day | null;
}

/**
 * An account the source removed: deleted (the account is then churned on `on`, its MRR 0), or merged
 * into another of the source's accounts (`mergedInto`: its source id then names the winner's account,
 * and nothing churns). A removal of an account css-bot never knew is nothing to do.
 */
export interface SourceRemoval {
  sourceId: string;
  on: Day;
  mergedInto?: string | null;
}

/** A metric value of the account the source knows as `sourceAccountId`, for one day. */
export interface SourceMetric {
  sourceAccountId: string;
  metric: string;
  value: number;
  observedOn: Day;
}

/** A survey answer; `responseId` is the source's id of it, so a re-read stores it once. */
export interface SourceResponse {
  sourceAccountId: string;
  survey: SurveyKind;
  score: number;
  respondedAt: Date;
  responseId: string;
  respondent?: string | null;
  /**
   * What the respondent wrote beside the score (shown on the timeline, told by survey_answer plays);
   * undefined or null: none given, and a comment stored before is kept.
   */
  comment?: string | null;
}

/** A source record that could not be used: counted, never fatal. */
export interface RejectedRecord {
  /** What it was, in the source's terms: "subscription sub_123", "row 17". */
  record: string;
  reason: string;
}

/**
 * One page of a sync, committed atomically with its cursor: after a crash the next run resumes
 * from the last committed page's cursor. Records of accounts a page does not itself define must
 * be of accounts already known (from earlier pages or runs, or another source by domain);
 * otherwise the runner rejects them with "unknown account".
 */
export interface SyncPage<Cursor> {
  /** How many source records this page read (rejected ones included). */
  read: number;
  accounts?: SourceAccount[];
  /** Applied after the page's accounts, so a merge's winner may be one of them. */
  removals?: SourceRemoval[];
  /**
   * Fields of accounts this source already defined (a renewal date read from another object): an
   * update of an account unknown here is nothing to do, never a new account.
   */
  accountUpdates?: SourceAccount[];
  metrics?: SourceMetric[];
  responses?: SourceResponse[];
  rejected?: RejectedRecord[];
  cursor: Cursor;
}

export interface HttpRequest {
  method?: "GET" | "POST" | "PATCH";
  /** Appended to the connector's base URL: "/v1/customers". */
  path: string;
  /** Arrays repeat the key (`types[]=a&types[]=b`); undefined values are left out. */
  query?: Record<string, string | number | boolean | readonly string[] | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as application/x-www-form-urlencoded instead (OAuth token endpoints take only that). */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Called with a successful answer's headers (a vendor's usage figures: Sforce-Limit-Info). */
  onHeaders?: (headers: Headers) => void;
}

/**
 * How a vendor's own error answer is to be treated when its status alone misleads: Salesforce
 * answers an exhausted daily allowance with 403 (REQUEST_LIMIT_EXCEEDED), which is a rate limit and
 * not refused credentials, and a refused refresh token with 400 (invalid_grant), which is refused
 * credentials and not a bad request. `problem` names it in the error or the retry's log.
 */
export type HttpFault = { retry: true; problem: string } | { auth: true; problem: string };
export type ClassifyHttpError = (status: number, body: string) => HttpFault | null;

/**
 * The HTTP client a connector is given, bound to its base URL. It retries 429 (waiting Retry-After,
 * or backoff with jitter when there is none) and 5xx/network errors with exponential backoff and
 * jitter, within a time budget; it throws ConnectorAuthError on 401/403 (permanent: the connector
 * is marked failed and admins are told) and SourceUnavailableError when retries are exhausted (the
 * sync job retries later from the committed cursor). Other 4xx throw SourceRequestError.
 */
export interface SourceHttp {
  json<T = unknown>(request: HttpRequest): Promise<T>;
}

export interface SyncContext<Settings, Secret, Cursor> {
  settings: Settings;
  secret: Secret;
  /** The last committed cursor; null on the first sync. */
  cursor: Cursor | null;
  http: SourceHttp;
  /** The sync's start; incremental windows end here. */
  now: Date;
  signal: AbortSignal;
  log: Logger;
}

/** What `connectors add` gives a definition's check (see ConnectorDefinition.check). */
export interface CheckContext<Settings, Secret> {
  settings: Settings;
  secret: Secret;
  http: SourceHttp;
  signal: AbortSignal;
}

export interface ConnectorDefinition<Settings, Secret, Cursor> {
  kind: ConnectorKind;
  /** For the CLI and Slack: "Stripe". */
  title: string;
  /** Non-secret settings, stored as JSON (base_url, cadence, mappings...). Validated on add. */
  settings: z.ZodType<Settings>;
  /** Credentials, stored encrypted (AES-256-GCM), never logged or printed. */
  secret: z.ZodType<Secret>;
  cursor: z.ZodType<Cursor>;
  /** The source's default base URL (settings.base_url overrides it: tests point it at a fake). */
  defaultBaseUrl: string | null;
  /** Headers that authenticate a request (Authorization...). */
  authHeaders(secret: Secret): Record<string, string>;
  /** The vendor's error answers whose status misleads (see HttpFault); default: by status alone. */
  classifyError?: ClassifyHttpError;
  /**
   * Run by `connectors add` before anything is stored: the source takes the credentials and the
   * settings fit it (Salesforce: the field mapping against the org's describe). Throws
   * ConnectorAuthError or ConnectorConfigError naming the problem. Every sync checks the same again.
   */
  check?(context: CheckContext<Settings, Secret>): Promise<void>;
  /** Reads from the cursor to now, a page at a time. */
  sync(context: SyncContext<Settings, Secret, Cursor>): AsyncIterable<SyncPage<Cursor>>;
}

// Settings every connector has besides its own.
export interface CommonSettings {
  base_url?: string;
  /** A cron pattern in the workspace's timezone; default hourly. */
  cadence?: string;
}

/** The source refused the credentials: permanent until an admin fixes them. */
export class ConnectorAuthError extends KnownError {
  readonly code = "CONNECTOR_AUTH";
}

/** The source kept failing (429/5xx/network) past the retry budget: the sync job retries later. */
export class SourceUnavailableError extends KnownError {
  readonly code = "SOURCE_UNAVAILABLE";
}

/** The source answered 4xx to a request the connector made: a bug or a misconfiguration. */
export class SourceRequestError extends KnownError {
  readonly code = "SOURCE_REQUEST";
}

/**
 * The connector's settings (or what they make the source do) cannot work as configured: a SQL
 * mapping that writes or runs past its timeout, a missing column. Permanent until an admin changes
 * the settings (`css-bot connectors add` again): the sync job is not retried.
 */
export class ConnectorConfigError extends KnownError {
  readonly code = "CONNECTOR_CONFIG";
}
