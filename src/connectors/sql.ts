// The SQL connector: reads a PostgreSQL warehouse with one query per mapping, each returning the
// columns of one public file format (accounts, metrics or responses). Everything runs in one
// read-only, repeatable-read transaction with a statement timeout, through a server-side cursor,
// a page of `fetch_size` rows at a time. Each mapping is incremental on one column (observed_at,
// responded_at, or an optional updated_at for accounts): its rows are read in that column's order,
// the greatest value read is the mapping's cursor, and the query receives it as $1 (null on the
// first sync), so it can read only what changed.
//
// Identity: a row's account_id is the customer's own account id (accounts.external_id), so the
// runner matches SQL records to accounts by external id directly (identity.ts).
import { createHash } from "node:crypto";
import pg from "pg";
import { z } from "zod";
import { COLUMNS, RECORD_KINDS, type RecordKind } from "../ingest/record-schemas.ts";
import { commonSettingsShape, parsedUrl } from "./common-settings.ts";
import {
  ConnectorConfigError,
  type ConnectorDefinition,
  type SyncContext,
  type SyncPage,
} from "./contract.ts";
import { classifySqlError, mappingLabel } from "./sql-errors.ts";
import { toSourceRecord, type SqlRecords } from "./sql-records.ts";

const mappingSchema = z
  .object({
    kind: z.enum(RECORD_KINDS, { error: `must be one of ${RECORD_KINDS.join(", ")}` }),
    query: z
      .string()
      .trim()
      .min(1, "must not be empty")
      // A trailing ";" is common in hand-written SQL; the query becomes a subquery, where it is not.
      .transform((q) => q.replace(/[\s;]+$/, ""))
      .refine((q) => !/\$(?:[02-9]|1\d)/.test(q), "only $1 (the mapping's cursor) may be used"),
  })
  .strict();

export const sqlSettingsSchema = z
  .object({
    ...commonSettingsShape,
    mappings: z.array(mappingSchema).min(1, "at least one mapping").max(50),
    /** Each statement (the query's first FETCH included) is cancelled past this. */
    statement_timeout_ms: z.number().int().min(100).max(3_600_000).default(30_000),
    /** Rows per page: each page is committed with its cursor in one transaction. */
    fetch_size: z.number().int().min(1).max(50_000).default(5000),
  })
  .strict();

export const sqlSecretSchema = z
  .object({
    // Parsed as pg reads it (an empty host, for a socket given as ?host=, is allowed); the message
    // never shows the value, which holds the password.
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// connection string")
      .refine(
        (url) => parsedUrl(url.replace("@/", "@localhost/")) !== null,
        "is not a valid postgresql:// connection string",
      ),
  })
  .strict();

/** Per mapping (by a digest of its kind and query, so editing a query starts it afresh): the greatest value read. */
export const sqlCursorSchema = z.object({ mappings: z.record(z.string(), z.string().nullable()) });

export type SqlSettings = z.output<typeof sqlSettingsSchema>;
export type SqlSecret = z.output<typeof sqlSecretSchema>;
export type SqlCursor = z.output<typeof sqlCursorSchema>;

/** The column each kind is incremental on; accounts only when the query returns it. */
export const CURSOR_COLUMNS: Record<RecordKind, string> = {
  accounts: "updated_at",
  metrics: "observed_at",
  responses: "responded_at",
};

/** Accounts first, so that metrics and responses read in the same sync find their accounts. */
const KIND_ORDER: Record<RecordKind, number> = { accounts: 0, metrics: 1, responses: 2 };

export const sqlConnector: ConnectorDefinition<SqlSettings, SqlSecret, SqlCursor> = {
  kind: "sql",
  title: "SQL (PostgreSQL)",
  settings: sqlSettingsSchema,
  secret: sqlSecretSchema,
  cursor: sqlCursorSchema,
  defaultBaseUrl: null,
  authHeaders: () => ({}),
  sync: syncSql,
};

export function mappingKey(kind: RecordKind, query: string): string {
  return createHash("sha256").update(`${kind}\0${query}`).digest("hex").slice(0, 16);
}

async function* syncSql(
  ctx: SyncContext<SqlSettings, SqlSecret, SqlCursor>,
): AsyncGenerator<SyncPage<SqlCursor>> {
  const client = new pg.Client({
    connectionString: ctx.secret.url,
    connectionTimeoutMillis: 30_000,
    application_name: "css-bot",
    types: { getTypeParser: textDates },
  });
  // A dead connection emits "error" outside any query; the query in flight fails with it anyway.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw classifySqlError(error, null, ctx.settings.statement_timeout_ms);
  }
  try {
    await run(client, null, ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    await run(client, null, ctx, `SET LOCAL statement_timeout = ${ctx.settings.statement_timeout_ms}`);
    const cursors: Record<string, string | null> = { ...ctx.cursor?.mappings };
    const order = ctx.settings.mappings
      .map((m, i) => ({ ...m, number: i + 1 }))
      .sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.number - b.number);
    for (const mapping of order) {
      ctx.signal.throwIfAborted();
      const key = mappingKey(mapping.kind, mapping.query);
      for await (const page of readMapping(client, ctx, mapping, cursors[key] ?? null)) {
        cursors[key] = page.cursor;
        yield { ...page.records, cursor: { mappings: { ...cursors } } };
      }
    }
    await run(client, null, ctx, "COMMIT");
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface Mapping {
  kind: RecordKind;
  query: string;
  /** 1-based, in the settings' order: how messages name it. */
  number: number;
}

async function* readMapping(
  client: pg.Client,
  ctx: SyncContext<SqlSettings, SqlSecret, SqlCursor>,
  mapping: Mapping,
  cursor: string | null,
): AsyncGenerator<{ records: SqlRecords; cursor: string | null }> {
  const usesCursor = /\$1(?!\d)/.test(mapping.query);
  const params = usesCursor ? [cursor] : [];
  // A newline before ")" so that a query ending in a -- comment still closes.
  const subquery = `(\n${mapping.query}\n) AS css_mapping`;
  const described = await run(client, mapping, ctx, `SELECT * FROM ${subquery} LIMIT 0`, params);
  const columns = new Set(described.fields.map((f) => f.name));
  const missing = COLUMNS[mapping.kind].required.filter((c) => !columns.has(c));
  if (missing.length > 0) {
    throw new ConnectorConfigError(
      `${mappingLabel(mapping)} returns no column ${missing.join(", ")} (a ${mapping.kind} mapping returns ${COLUMNS[mapping.kind].required.join(", ")})`,
    );
  }
  const cursorColumn = columns.has(CURSOR_COLUMNS[mapping.kind]) ? CURSOR_COLUMNS[mapping.kind] : null;
  const name = `css_mapping_${mapping.number}`;
  // Rows in the order of the cursor column (those without a value first), so that the greatest
  // value read so far is a safe place to resume after a page: nothing before it is left unread.
  const order = cursorColumn ? ` ORDER BY css_mapping."${cursorColumn}" ASC NULLS FIRST` : "";
  await run(
    client,
    mapping,
    ctx,
    `DECLARE ${name} NO SCROLL CURSOR FOR SELECT * FROM ${subquery}${order}`,
    params,
  );
  let row = 0;
  for (;;) {
    ctx.signal.throwIfAborted();
    const result = await run(client, mapping, ctx, `FETCH FORWARD ${ctx.settings.fetch_size} FROM ${name}`);
    if (result.rows.length === 0) break;
    const records: SqlRecords = {
      read: result.rows.length,
      accounts: [],
      metrics: [],
      responses: [],
      rejected: [],
    };
    for (const r of result.rows as Record<string, unknown>[]) {
      row++;
      toSourceRecord(mapping.kind, r, `${mappingLabel(mapping)} row ${row}`, records);
      if (cursorColumn && r[cursorColumn] !== null && r[cursorColumn] !== undefined) {
        cursor = cursorText(r[cursorColumn]);
      }
    }
    yield { records, cursor };
    if (result.rows.length < ctx.settings.fetch_size) break;
  }
  await run(client, mapping, ctx, `CLOSE ${name}`);
}

/** One statement, always over the extended protocol: a query can never smuggle in a second one. */
async function run(
  client: pg.Client,
  mapping: Mapping | null,
  ctx: SyncContext<SqlSettings, SqlSecret, SqlCursor>,
  text: string,
  values: unknown[] = [],
): Promise<pg.QueryResult> {
  const config = { text, values, queryMode: "extended" } as pg.QueryConfig;
  try {
    return await client.query(config);
  } catch (error) {
    throw classifySqlError(error, mapping, ctx.settings.statement_timeout_ms);
  }
}

function cursorText(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

// Dates and timestamps as text the record schemas read, never a Date in the process's time zone:
// date and timestamp (UTC by convention) as PostgreSQL prints them, timestamptz as ISO in UTC.
const DATE = 1082;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;
function textDates(oid: number, format?: string): (value: string) => unknown {
  if (oid === DATE || oid === TIMESTAMP) return (v) => v;
  if (oid === TIMESTAMPTZ) {
    const parse = pg.types.getTypeParser(TIMESTAMPTZ) as (v: string) => unknown;
    return (v) => {
      const d: unknown = parse(v);
      return d instanceof Date && !Number.isNaN(d.getTime()) ? d.toISOString() : v;
    };
  }
  return pg.types.getTypeParser(oid, (format ?? "text") as "text") as (value: string) => unknown;
}
