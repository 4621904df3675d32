// The reads behind revenue at risk: each active account's MRR with the churn probability of its
// current snapshot (the one at accounts.scored_as_of, found by its primary key), for `/css renewals`
// (one renewal window, ordered and cut in SQL) and the digest (every active account). Scoped by
// workspace. `withProbability` false reads every probability as null: a probability stored under an
// older model whose map the active model no longer has is not shown.
import { formatDay, parseDay, type Day } from "../../domain/dates.ts";
import type { RiskAccount } from "../../domain/kpi/revenue-at-risk.ts";
import type { Db } from "../handle.ts";

export interface RenewalRow {
  id: number;
  externalId: string;
  name: string;
  segment: string | null;
  owner: string | null;
  ownerSlackUserId: string | null;
  mrr: number | null;
  renewalDate: Day;
  score: number | null;
  band: string | null;
  probability: number | null;
}

export interface RenewalWindowRead {
  /** The first `limit` by expected loss (then lowest score, then highest MRR). */
  rows: RenewalRow[];
  /** The window's accounts, and among them those with a probability and those with one but no MRR. */
  total: number;
  withProbability: number;
  unknownMrr: number;
  /** Σ MRR and Σ MRR × p over the accounts with both. */
  mrr: number;
  expectedLoss: number;
}

const CURRENT = `FROM accounts a
  LEFT JOIN score_snapshots s ON s.account_id = a.id AND s.as_of = a.scored_as_of AND s.workspace_id = a.workspace_id`;

/** The active accounts renewing from `from` to `to` (inclusive), worst expected loss first. */
export async function renewalsInWindow(
  db: Db,
  workspaceId: number,
  window: { from: Day; to: Day; limit: number; withProbability: boolean },
): Promise<RenewalWindowRead> {
  const rows = await db.$queryRawUnsafe<
    {
      id: number;
      external_id: string;
      name: string;
      segment: string | null;
      owner: string | null;
      owner_slack_user_id: string | null;
      mrr: number | null;
      renewal_date: string;
      score: number | null;
      band: string | null;
      p: number | null;
      total: number;
      with_probability: number;
      unknown_mrr: number;
      counted_mrr: number | null;
      expected_loss: number | null;
    }[]
  >(
    `WITH w AS (
       SELECT a.id, a.external_id, a.name, a.segment, a.owner, a.owner_slack_user_id, a.mrr::float8 AS mrr,
              a.renewal_date, s.score, s.band, CASE WHEN $4::boolean THEN s.churn_probability END AS p
       ${CURRENT}
       WHERE a.workspace_id = $1 AND a.status = 'active' AND a.renewal_date BETWEEN $2::date AND $3::date
     )
     SELECT id, external_id, name, segment, owner, owner_slack_user_id, mrr,
            to_char(renewal_date, 'YYYY-MM-DD') AS renewal_date, score, band, p,
            (count(*) OVER ())::int AS total,
            (count(p) OVER ())::int AS with_probability,
            (count(*) FILTER (WHERE p IS NOT NULL AND mrr IS NULL) OVER ())::int AS unknown_mrr,
            sum(mrr) FILTER (WHERE p IS NOT NULL) OVER () AS counted_mrr,
            sum(mrr * p) OVER () AS expected_loss
     FROM w
     ORDER BY mrr * p DESC NULLS LAST, score ASC NULLS LAST, mrr DESC NULLS LAST, renewal_date, name, id
     LIMIT $5`,
    workspaceId,
    formatDay(window.from),
    formatDay(window.to),
    window.withProbability,
    window.limit,
  );
  const first = rows[0];
  return {
    rows: rows.map((r) => ({
      id: r.id,
      externalId: r.external_id,
      name: r.name,
      segment: r.segment,
      owner: r.owner,
      ownerSlackUserId: r.owner_slack_user_id,
      mrr: r.mrr,
      renewalDate: parseDay(r.renewal_date)!,
      score: r.score,
      band: r.band,
      probability: r.p,
    })),
    total: first?.total ?? 0,
    withProbability: first?.with_probability ?? 0,
    unknownMrr: first?.unknown_mrr ?? 0,
    mrr: first?.counted_mrr ?? 0,
    expectedLoss: first?.expected_loss ?? 0,
  };
}

/** Every active account as revenue at risk reads it (a few numbers each: the digest sums them). */
export async function riskAccounts(
  db: Db,
  workspaceId: number,
  withProbability: boolean,
): Promise<RiskAccount[]> {
  const rows = await db.$queryRawUnsafe<
    {
      band: string | null;
      segment: string | null;
      owner: string | null;
      mrr: number | null;
      renewal_date: string | null;
      p: number | null;
    }[]
  >(
    `SELECT a.current_band AS band, a.segment, a.owner, a.mrr::float8 AS mrr,
            to_char(a.renewal_date, 'YYYY-MM-DD') AS renewal_date,
            CASE WHEN $2::boolean THEN s.churn_probability END AS p
     ${CURRENT}
     WHERE a.workspace_id = $1 AND a.status = 'active'`,
    workspaceId,
    withProbability,
  );
  return rows.map((r) => ({
    band: r.band,
    segment: r.segment,
    owner: r.owner,
    mrr: r.mrr,
    renewalDate: r.renewal_date === null ? null : parseDay(r.renewal_date)!,
    probability: r.p,
  }));
}
