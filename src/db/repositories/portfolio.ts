// Read models of a workspace's portfolio: band counts, band changes of a day, the at-risk list.
import { formatDay, type Day } from "../../domain/dates.ts";
import type { Driver } from "../../domain/scoring/explain.ts";
import type { Db } from "../handle.ts";

export interface BandCount {
  band: string;
  accounts: number;
  averageScore: number | null;
}

/** Active accounts per current band, and their average score. */
export async function bandCounts(db: Db, workspaceId: number): Promise<BandCount[]> {
  const rows = await db.$queryRawUnsafe<{ band: string | null; accounts: number; avg: number | null }[]>(
    `SELECT current_band AS band, count(*)::int AS accounts, avg(current_score)::float8 AS avg
     FROM accounts WHERE workspace_id = $1 AND status = 'active' GROUP BY current_band`,
    workspaceId,
  );
  return rows.map((r) => ({ band: r.band ?? "not scored", accounts: r.accounts, averageScore: r.avg }));
}

/** The average score of the active accounts' snapshots on a day (null: none scored). */
export async function averageScoreOn(db: Db, workspaceId: number, day: Day): Promise<number | null> {
  const rows = await db.$queryRawUnsafe<{ avg: number | null }[]>(
    `SELECT avg(score)::float8 AS avg FROM score_snapshots WHERE workspace_id = $1 AND as_of = $2::date`,
    workspaceId,
    formatDay(day),
  );
  return rows[0]?.avg ?? null;
}

export interface BandChangeView {
  externalId: string;
  name: string;
  owner: string | null;
  fromBand: string | null;
  toBand: string;
  fromScore: number | null;
  toScore: number | null;
  drivers: Driver[];
}

export async function bandChangesOn(db: Db, workspaceId: number, day: Day): Promise<BandChangeView[]> {
  const rows = await db.$queryRawUnsafe<
    {
      external_id: string;
      name: string;
      owner: string | null;
      from_band: string | null;
      to_band: string;
      from_score: number | null;
      to_score: number | null;
      drivers: Driver[];
    }[]
  >(
    `SELECT a.external_id, a.name, a.owner, c.from_band, c.to_band, c.from_score, c.to_score, c.drivers
     FROM band_changes c JOIN accounts a ON a.id = c.account_id AND a.workspace_id = c.workspace_id
     WHERE c.workspace_id = $1 AND c.as_of = $2::date
     ORDER BY c.to_score ASC NULLS FIRST, a.name`,
    workspaceId,
    formatDay(day),
  );
  return rows.map((r) => ({
    externalId: r.external_id,
    name: r.name,
    owner: r.owner,
    fromBand: r.from_band,
    toBand: r.to_band,
    fromScore: r.from_score,
    toScore: r.to_score,
    drivers: r.drivers,
  }));
}

export interface AtRiskView {
  externalId: string;
  name: string;
  segment: string | null;
  owner: string | null;
  score: number;
  mrr: number | null;
  renewalDate: string | null;
}

/** Active accounts currently in `band`, lowest score first. */
export async function accountsInBand(
  db: Db,
  workspaceId: number,
  band: string,
  limit = 50,
): Promise<AtRiskView[]> {
  const rows = await db.$queryRawUnsafe<
    {
      external_id: string;
      name: string;
      segment: string | null;
      owner: string | null;
      score: number;
      mrr: number | null;
      renewal: string | null;
    }[]
  >(
    `SELECT external_id, name, segment, owner, current_score AS score, mrr::float8 AS mrr,
            to_char(renewal_date, 'YYYY-MM-DD') AS renewal
     FROM accounts WHERE workspace_id = $1 AND status = 'active' AND current_band = $2
     ORDER BY current_score ASC, name LIMIT $3`,
    workspaceId,
    band,
    limit,
  );
  return rows.map((r) => ({
    externalId: r.external_id,
    name: r.name,
    segment: r.segment,
    owner: r.owner,
    score: r.score,
    mrr: r.mrr,
    renewalDate: r.renewal,
  }));
}
