// Accounts: bulk upserts for imports, and lookups by the customer's own id.
import { formatDay } from "../../domain/dates.ts";
import type { AccountRow } from "../../ingest/record-schemas.ts";
import { PREPARED } from "../client.ts";
import type { Db, SqlClient } from "../handle.ts";

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
       -- A new owner is someone else: matched to their Slack user again (services/match-owners).
       owner_slack_user_id = CASE WHEN excluded.owner IS NOT NULL AND excluded.owner IS DISTINCT FROM accounts.owner
                                  THEN NULL ELSE accounts.owner_slack_user_id END,
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
     WHERE workspace_id = $1 AND external_id = ANY($2::text[])`,
    workspaceId,
    [...new Set(externalIds)],
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

/**
 * What a query names exactly, on accounts of workspace $1 for the query $2: its external id, its
 * whole name in any case, or its domain. Three index lookups; the exact name in any case is one on
 * (workspace_id, lower(name)): as `ILIKE` without wildcards on the trigram index it rechecked every
 * name sharing the query's words. The search's first rule, and loadExactCard's (services/account-card),
 * which tells the search to skip it when nothing matched so.
 */
export const EXACT_MATCH = `(external_id = $2 OR lower(name) = lower($2) OR domain = lower($2))`;

/** Trigram similarity below which a typo'd name is no longer offered as a match. */
const SIMILAR_AT_LEAST = 0.3;

/** How many of a rule's matches are scored for similarity; the rest are never shown anyway. */
const CANDIDATES = 50;

/**
 * Finds accounts by external id, then by exact name or domain (any case), then by a part of the
 * name or domain, or of the id for a query with a digit, then by similarity of the name or domain
 * (typos: "acme copr"). Returns the matches of the first rule that matches anything, most similar first, at most
 * `limit`. Each rule is its own query, tried in turn: ids are never compared by similarity (ids
 * sharing a prefix are all "similar"), and a query that an earlier rule answers never pays for the
 * later ones. `exactMatches: false` says that no account's id, whole name or domain is the query,
 * so the search starts at the partial matches.
 */
export async function findAccounts(
  sql: SqlClient,
  workspaceId: number,
  query: string,
  limit = 20,
  options: { exactMatches?: boolean } = {},
): Promise<AccountMatch[]> {
  return (await searchAccounts(sql, workspaceId, query, limit, options)).matches;
}

/** What a search found: its first matches, and how many there are in all. */
export interface AccountSearch {
  /** At most the limit asked for, best first. */
  matches: AccountMatch[];
  /** How many accounts the matching rule found: exact up to CANDIDATES, a floor when `atLeast`. */
  total: number;
  /** The rule's candidates were cut at CANDIDATES: there are `total` or more. */
  atLeast: boolean;
}

/**
 * findAccounts with the number of matches, counted over the rule's candidates in the same
 * statement (no round trip more, and no row read that the search did not read): the true number up
 * to CANDIDATES, "CANDIDATES or more" beyond. Counting every name that shares a word would read
 * them all, which is what the search stopped doing (BENCHMARKS, Slack: 5.7 -> 1.6 ms for a word a
 * thousand names start with).
 */
export async function searchAccounts(
  sql: SqlClient,
  workspaceId: number,
  query: string,
  limit = 20,
  { exactMatches = true }: { exactMatches?: boolean } = {},
): Promise<AccountSearch> {
  const none: AccountSearch = { matches: [], total: 0, atLeast: false };
  const q = query.trim();
  if (q === "") return none;
  // The query as a LIKE pattern's literal text.
  const literal = q.replaceAll("\\", "\\\\").replaceAll("%", "\\%").replaceAll("_", "\\_");
  const pattern = `%${literal}%`;
  // Typos are looked for in names, or in domains when the query looks like one ("acme.com"): a
  // name compared with every domain matches thousands of them by their shared suffixes and TLDs.
  const domainLike = /^[^\s]+\.[^\s]+$/.test(q);
  // Each rule: how it matches, the statement that picks its candidates (at most CANDIDATES of
  // them), and that statement's parameters from $3 on.
  // A word many names share matches thousands: of the exact and partial matches, those that start
  // with the query come first, then the shortest (the closest to what was typed), and only the first
  // few are scored. Typos are few and ranked by similarity alone.
  type Rule = [MatchKind, string, unknown[]];
  const columns = `id, external_id, name, segment, domain`;
  const ranked = (where: string, rank: string) =>
    `SELECT ${columns} FROM accounts WHERE workspace_id = $1 AND ${where} ORDER BY ${rank} LIMIT ${CANDIDATES}`;
  const byLength = `name ILIKE $3 DESC, length(name), id`;
  const prefix = `${literal}%`;
  // A domain holds no spaces: a query with one is looked for in names only (a long pattern's
  // trigram scan of the domains cost as much as the names', 0.3-0.7 ms, to find nothing).
  const inDomains = !/\s/.test(q);
  const rules: Rule[] = [];
  // Left out when the caller already knows that nothing matches so (loadExactCard).
  if (exactMatches) {
    rules.push(["exact", ranked(EXACT_MATCH, `external_id = $2 DESC, ${byLength}`), [prefix]]);
  }
  // The names that start with the query rank first: when at least CANDIDATES do, they are the
  // candidates, read from the (workspace_id, lower(name)) index alone (a range of it, from the
  // pattern the statement is planned for). A word that starts a thousand names cost 4 ms as a
  // trigram search that fetched and rechecked every one of them, and well under 1 ms so.
  rules.push([
    "contains",
    `WITH starts AS (SELECT id FROM accounts WHERE workspace_id = $1 AND lower(name) LIKE lower($3)
                     ORDER BY length(name), id LIMIT ${CANDIDATES})
     SELECT a.id, a.external_id, a.name, a.segment, a.domain FROM starts JOIN accounts a ON a.id = starts.id
     WHERE (SELECT count(*) FROM starts) = ${CANDIDATES}
     UNION ALL
     (${ranked(
       `${inDomains ? `(name ILIKE $4 OR domain ILIKE $4)` : `name ILIKE $4`} AND (SELECT count(*) FROM starts) < ${CANDIDATES}`,
       byLength,
     )})`,
    [prefix, pattern],
  ]);
  // Only for what looks like a piece of an id (one word with a digit), and before the typos (an id
  // is not a misspelt name): ids have no trigram index (see the schema), so this reads the
  // workspace's accounts.
  if (/^\S*\d\S*$/.test(q)) {
    rules.push([
      "contains",
      ranked(`external_id ILIKE $4`, `external_id ILIKE $3 DESC, length(external_id), id`),
      [prefix, pattern],
    ]);
  }
  rules.push(
    domainLike
      ? ["similar", ranked(`domain % $2`, `similarity($2, domain) DESC, id`), []]
      : ["similar", ranked(`$2 <% name`, `word_similarity($2, name) DESC, id`), []],
  );
  for (const [match, candidates, extra] of rules) {
    const rows = await sql.query<{
      id: number;
      external_id: string;
      name: string;
      segment: string | null;
      domain: string | null;
      sim: number;
      candidates: number;
      matching: number;
    }>(
      // Prepared once per connection where the best plan is the same whatever the query: the
      // exact rule (index lookups) and the typo search (the trigram index; planning it cost 1 ms
      // of a 5 ms search). A partial match is planned for its actual pattern: the range of names
      // that start with it, and a two-letter part has no trigram to look up and is better read by
      // a scan than by the index.
      // The counts are of every candidate, before the limit; a typo's only of those similar enough.
      `${match !== "contains" ? PREPARED : ""}SELECT ${columns}, sim, (count(*) OVER ())::int AS candidates,
              (count(*) FILTER (WHERE sim >= ${SIMILAR_AT_LEAST}) OVER ())::int AS matching
       FROM (SELECT ${columns},
                    greatest(word_similarity($2, name), similarity($2, coalesce(domain, '')))::float8 AS sim
             FROM (${candidates}) AS candidates) AS scored
       ORDER BY sim DESC, name, id LIMIT ${Number(limit)}`,
      [workspaceId, q, ...extra],
    );
    // The customer's own id names one account: it wins over names that happen to equal it.
    const byId = rows.filter((r) => r.external_id === q);
    const kept =
      byId.length > 0 ? byId : match === "similar" ? rows.filter((r) => r.sim >= SIMILAR_AT_LEAST) : rows;
    if (kept.length > 0) {
      const first = rows[0]!;
      const total = byId.length > 0 ? byId.length : match === "similar" ? first.matching : first.candidates;
      return {
        matches: kept.map((r) => ({
          id: r.id,
          externalId: r.external_id,
          name: r.name,
          segment: r.segment,
          domain: r.domain,
          match: r.external_id === q ? "id" : match,
          similarity: r.sim,
        })),
        total,
        // Typos are ranked by similarity: when the last candidate is not similar enough, none beyond it is.
        atLeast: byId.length === 0 && (match === "similar" ? first.matching : first.candidates) >= CANDIDATES,
      };
    }
  }
  return none;
}
