// Accounts: bulk upserts for imports, and lookups by the customer's own id.
import { formatDay } from "../../domain/dates.ts";
import type { AccountRow } from "../../ingest/record-schemas.ts";
import type { Db } from "../handle.ts";

/**
 * Upserts a batch of accounts by external id. A column the file leaves empty keeps its stored
 * value, so a partial file (say, only ids and owners) never erases what another import set.
 */
export async function upsertAccounts(
  db: Db,
  workspaceId: number,
  rows: readonly AccountRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const day = (d: number | null) => (d === null ? null : formatDay(d));
  const payload = rows.map((r) => ({
    external_id: r.accountId,
    name: r.name,
    domain: r.domain,
    segment: r.segment,
    owner: r.owner,
    mrr: r.mrr,
    seats: r.seats,
    renewal_date: day(r.renewalDate),
    customer_since: day(r.createdAt),
    status: r.statusGiven ? r.status : null,
    churned_at: day(r.churnedAt),
  }));
  const json = JSON.stringify(payload);
  const written = await db.$executeRawUnsafe(
    `INSERT INTO accounts (workspace_id, external_id, name, domain, segment, owner, mrr, seats, renewal_date,
                           customer_since, status, churned_at, updated_at)
     SELECT $1, x.external_id, x.name, x.domain, x.segment, x.owner, x.mrr, x.seats, x.renewal_date,
            x.customer_since, COALESCE(x.status, 'active')::"AccountStatus", x.churned_at, now()
     FROM jsonb_to_recordset($2::jsonb) AS x(external_id text, name text, domain text, segment text, owner text,
          mrr numeric, seats int, renewal_date date, customer_since date, status text, churned_at date)
     ON CONFLICT (workspace_id, external_id) DO UPDATE SET
       name = excluded.name,
       domain = COALESCE(excluded.domain, accounts.domain),
       segment = COALESCE(excluded.segment, accounts.segment),
       owner = COALESCE(excluded.owner, accounts.owner),
       mrr = COALESCE(excluded.mrr, accounts.mrr),
       seats = COALESCE(excluded.seats, accounts.seats),
       renewal_date = COALESCE(excluded.renewal_date, accounts.renewal_date),
       customer_since = COALESCE(excluded.customer_since, accounts.customer_since),
       updated_at = now()`,
    workspaceId,
    json,
  );
  // Status is set apart: a row that states it (or a churn date) replaces it, one that does not keeps it.
  await db.$executeRawUnsafe(
    `UPDATE accounts a
     SET status = x.status::"AccountStatus", churned_at = CASE WHEN x.status = 'active' THEN NULL ELSE x.churned_at END
     FROM jsonb_to_recordset($2::jsonb) AS x(external_id text, status text, churned_at date)
     WHERE a.workspace_id = $1 AND a.external_id = x.external_id AND x.status IS NOT NULL`,
    workspaceId,
    json,
  );
  return written;
}

/** Internal ids of the given external ids (those that exist) in the workspace. */
export async function resolveAccountIds(
  db: Db,
  workspaceId: number,
  externalIds: readonly string[],
): Promise<Map<string, number>> {
  if (externalIds.length === 0) return new Map();
  const rows = await db.$queryRawUnsafe<{ id: number; external_id: string }[]>(
    `SELECT id, external_id FROM accounts
     WHERE workspace_id = $1 AND external_id IN (SELECT jsonb_array_elements_text($2::jsonb))`,
    workspaceId,
    JSON.stringify([...new Set(externalIds)]),
  );
  return new Map(rows.map((r) => [r.external_id, r.id]));
}

export interface AccountSummary {
  id: number;
  externalId: string;
  name: string;
  segment: string | null;
}

/** How an account matched a search, best first. */
export type MatchKind = "id" | "exact" | "contains" | "similar";

export interface AccountMatch extends AccountSummary {
  domain: string | null;
  match: MatchKind;
  /** pg_trgm similarity of the best-matching field, 0..1. */
  similarity: number;
}

/** Trigram similarity below which a typo'd name is no longer offered as a match. */
const SIMILAR_AT_LEAST = 0.3;

/**
 * Finds accounts by external id, then by exact name or domain (any case), then by a part of the
 * name, domain or id, then by similarity of the name or domain (typos: "acme copr"). Returns the
 * matches of the first rule that matches anything, most similar first, at most `limit`. Each rule is
 * its own indexed query, tried in turn: ids are never compared by similarity (ids sharing a prefix
 * are all "similar"), and a query that an earlier rule answers never pays for the later ones.
 */
export async function findAccounts(
  db: Db,
  workspaceId: number,
  query: string,
  limit = 20,
): Promise<AccountMatch[]> {
  const q = query.trim();
  if (q === "") return [];
  // ILIKE without wildcards is a case-insensitive equality the trigram index can answer.
  const literal = q.replaceAll("\\", "\\\\").replaceAll("%", "\\%").replaceAll("_", "\\_");
  const pattern = `%${literal}%`;
  const rules: [MatchKind, string, unknown[]][] = [
    ["id", `external_id = $2`, []],
    ["exact", `(name ILIKE $3 OR domain = lower($2))`, [literal]],
    ["contains", `(name ILIKE $3 OR domain ILIKE $3 OR external_id ILIKE $3)`, [pattern]],
    ["similar", `($2 <% name OR domain % $2)`, []],
  ];
  for (const [match, where, extra] of rules) {
    const rows = await db.$queryRawUnsafe<
      {
        id: number;
        external_id: string;
        name: string;
        segment: string | null;
        domain: string | null;
        sim: number;
      }[]
    >(
      `SELECT id, external_id, name, segment, domain,
              greatest(word_similarity($2, name), similarity($2, coalesce(domain, '')))::float8 AS sim
       FROM accounts WHERE workspace_id = $1 AND ${where}
       ORDER BY sim DESC, name, id LIMIT ${Number(limit)}`,
      workspaceId,
      q,
      ...extra,
    );
    const kept = match === "similar" ? rows.filter((r) => r.sim >= SIMILAR_AT_LEAST) : rows;
    if (kept.length > 0) {
      return kept.map((r) => ({
        id: r.id,
        externalId: r.external_id,
        name: r.name,
        segment: r.segment,
        domain: r.domain,
        match,
        similarity: r.sim,
      }));
    }
  }
  return [];
}
