// What connectors write: accounts as sources know them (a field a source leaves out keeps its stored
// value, an explicit null clears it), the ids each source knows an account by, and survey responses
// keyed by the source's own response id. Bulk statements over jsonb, like the file import's.
import type { Db } from "../handle.ts";

/** Accounts of the workspace known to `source` by these ids. */
export async function findBySourceIds(
  db: Db,
  workspaceId: number,
  source: string,
  sourceIds: readonly string[],
): Promise<Map<string, number>> {
  if (sourceIds.length === 0) return new Map();
  const rows = await db.$queryRawUnsafe<{ source_id: string; account_id: number }[]>(
    `SELECT source_id, account_id FROM account_source_ids
     WHERE workspace_id = $1 AND source = $2 AND source_id = ANY($3::text[])`,
    workspaceId,
    source,
    [...new Set(sourceIds)],
  );
  return new Map(rows.map((r) => [r.source_id, r.account_id]));
}

export interface DomainAccount {
  id: number;
  externalId: string;
  domain: string;
}

/** Accounts with these (lower-case) domains, oldest first. */
export async function findByDomains(
  db: Db,
  workspaceId: number,
  domains: readonly string[],
): Promise<DomainAccount[]> {
  if (domains.length === 0) return [];
  const rows = await db.$queryRawUnsafe<{ id: number; external_id: string; domain: string }[]>(
    `SELECT id, external_id, domain FROM accounts
     WHERE workspace_id = $1 AND domain = ANY($2::text[])
     ORDER BY id`,
    workspaceId,
    [...new Set(domains)],
  );
  return rows.map((r) => ({ id: r.id, externalId: r.external_id, domain: r.domain }));
}

/** Account columns a source may set, by their column names; a key left out keeps the stored value. */
export interface AccountFields {
  name?: string;
  domain?: string | null;
  segment?: string | null;
  owner?: string | null;
  mrr?: number | null;
  seats?: number | null;
  renewal_date?: string | null;
  customer_since?: string | null;
  status?: "active" | "churned";
  churned_at?: string | null;
}

/** Creates the accounts whose external ids do not exist yet (name only); returns every id. */
export async function createMissingAccounts(
  db: Db,
  workspaceId: number,
  rows: readonly { externalId: string; name: string }[],
): Promise<Map<string, number>> {
  if (rows.length === 0) return new Map();
  const result = await db.$queryRawUnsafe<{ id: number; external_id: string }[]>(
    `WITH input AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(e text, n text)),
     created AS (
       INSERT INTO accounts (workspace_id, external_id, name, updated_at)
       SELECT $1, e, n, now() FROM input
       ON CONFLICT (workspace_id, external_id) DO NOTHING
       RETURNING id, external_id)
     SELECT id, external_id FROM created
     UNION ALL
     SELECT a.id, a.external_id FROM accounts a JOIN input ON a.external_id = input.e
     WHERE a.workspace_id = $1`,
    workspaceId,
    JSON.stringify(rows.map((r) => ({ e: r.externalId, n: r.name }))),
  );
  return new Map(result.map((r) => [r.external_id, r.id]));
}

/**
 * Sets the given fields of accounts by id (one entry per account), and renames an account's
 * external id when `rename` is set (a customer's own id replacing one a connector made up).
 */
export async function updateAccountFields(
  db: Db,
  workspaceId: number,
  rows: readonly { id: number; rename?: string; fields: AccountFields }[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const set = (column: string, cast = "") =>
    `${column} = CASE WHEN x.f ? '${column}' THEN (x.f->>'${column}')${cast} ELSE a.${column} END`;
  return db.$executeRawUnsafe(
    `UPDATE accounts a SET
       external_id = COALESCE(x.rename, a.external_id),
       name = COALESCE(x.f->>'name', a.name),
       ${set("domain")}, ${set("segment")}, ${set("owner")},
       owner_slack_user_id = CASE WHEN x.f ? 'owner' AND (x.f->>'owner') IS DISTINCT FROM a.owner
                                  THEN NULL ELSE a.owner_slack_user_id END,
       ${set("mrr", "::numeric")}, ${set("seats", "::int")},
       ${set("renewal_date", "::date")}, ${set("customer_since", "::date")},
       status = COALESCE((x.f->>'status')::"AccountStatus", a.status),
       churned_at = CASE WHEN x.f->>'status' = 'active' THEN NULL
                         WHEN x.f ? 'churned_at' THEN (x.f->>'churned_at')::date ELSE a.churned_at END,
       updated_at = now()
     FROM (SELECT (e->>'id')::int AS id, e->>'rename' AS rename, e->'f' AS f
           FROM jsonb_array_elements($2::jsonb) AS e) AS x
     WHERE a.workspace_id = $1 AND a.id = x.id`,
    workspaceId,
    JSON.stringify(rows.map((r) => ({ id: r.id, rename: r.rename ?? null, f: r.fields }))),
  );
}

/** Records which account each of the source's ids is (a later mapping of an id replaces it). */
export async function upsertSourceIds(
  db: Db,
  workspaceId: number,
  source: string,
  pairs: ReadonlyMap<string, number>,
): Promise<void> {
  if (pairs.size === 0) return;
  await db.$executeRawUnsafe(
    `INSERT INTO account_source_ids (workspace_id, source, source_id, account_id)
     SELECT $1, $2, x.s, x.a FROM jsonb_to_recordset($3::jsonb) AS x(s text, a int)
     ON CONFLICT (workspace_id, source, source_id) DO UPDATE SET account_id = excluded.account_id`,
    workspaceId,
    source,
    JSON.stringify([...pairs].map(([s, a]) => ({ s, a }))),
  );
}

export interface SourceResponseRow {
  accountId: number;
  survey: string;
  score: number;
  respondedAt: Date;
  respondent: string | null;
  /** null: none given (a comment stored before is kept). */
  comment: string | null;
  /** Unique per workspace: the same key read again updates the response instead of adding one. */
  dedupeKey: string;
}

/**
 * Upserts responses by dedupe key (the last of a key in `rows` wins). A response read again without
 * its comment keeps the one stored: a vendor's list may leave comments out where its single record
 * has them, and a comment once told stays on the timeline.
 */
export async function upsertSourceResponses(
  db: Db,
  workspaceId: number,
  rows: readonly SourceResponseRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const unique = new Map(rows.map((r) => [r.dedupeKey, r]));
  return db.$executeRawUnsafe(
    `INSERT INTO survey_responses (workspace_id, account_id, survey, score, responded_at, respondent, comment, dedupe_key)
     SELECT $1, x.a, x.s::"Survey", x.v, x.t, x.p, x.c, x.k
     FROM jsonb_to_recordset($2::jsonb) AS x(a int, s text, v float8, t timestamptz, p text, c text, k text)
     ON CONFLICT (workspace_id, dedupe_key) DO UPDATE SET
       account_id = excluded.account_id, survey = excluded.survey, score = excluded.score,
       responded_at = excluded.responded_at, respondent = excluded.respondent,
       comment = coalesce(excluded.comment, survey_responses.comment)`,
    workspaceId,
    JSON.stringify(
      [...unique.values()].map((r) => ({
        a: r.accountId,
        s: r.survey,
        v: r.score,
        t: r.respondedAt.toISOString(),
        p: r.respondent,
        c: r.comment,
        k: r.dedupeKey,
      })),
    ),
  );
}
