// Accounts as plays see them (domain/plays/facts.ts PlayAccount), read in one statement.
import { resolveSegment } from "../../domain/model/resolve-segment.ts";
import type { ScoringModel } from "../../domain/model/schema.ts";
import type { PlayAccount } from "../../domain/plays/facts.ts";
import type { SqlRead } from "../../db/handle.ts";

interface AccountRow {
  id: number;
  external_id: string;
  name: string;
  domain: string | null;
  segment: string | null;
  owner: string | null;
  owner_slack_user_id: string | null;
  mrr: string | null;
  seats: number | null;
  /** Days (domain/dates.ts Day), as the SQL gives them. */
  renewal_day: number | null;
  customer_since_day: number | null;
  current_band: string | null;
  current_score: number | null;
}

/** The lowest band of a segment's bands (the model's when it overrides none): what `lowest` means. */
export function lowestBand(model: ScoringModel, segment: string | null): string {
  const bands = resolveSegment(model, segment).bands;
  return bands[bands.length - 1]!.key;
}

/** lowestBand for `model`, worked out once per segment: readers turn thousands of accounts at once. */
export function lowestBands(model: ScoringModel): (segment: string | null) => string {
  const known = new Map<string | null, string>();
  return (segment) => {
    let band = known.get(segment);
    if (band === undefined) known.set(segment, (band = lowestBand(model, segment)));
    return band;
  };
}

/** An accounts row as plays see it; `lowest` is lowestBands(model) of the model it is read under. */
export function toPlayAccount(row: AccountRow, lowest: (segment: string | null) => string): PlayAccount {
  return {
    id: row.id,
    externalId: row.external_id,
    name: row.name,
    domain: row.domain,
    segment: row.segment,
    owner: row.owner,
    ownerSlackUserId: row.owner_slack_user_id,
    mrr: row.mrr === null ? null : Number(row.mrr),
    seats: row.seats,
    renewalDate: row.renewal_day,
    customerSince: row.customer_since_day,
    band: row.current_band,
    score: row.current_score,
    lowestBand: lowest(row.segment),
  };
}

/**
 * The workspace's active accounts as plays see them: those with the given ids, or those now in one
 * of the given bands. Through the driver after a run (`db.sql.query`: thousands of rows, which
 * Prisma's raw query converts twice), or `prismaRead(prisma)`.
 */
export async function readPlayAccounts(
  read: SqlRead,
  workspaceId: number,
  filter: { ids: readonly number[] } | { bands: readonly string[] },
  model: ScoringModel,
): Promise<PlayAccount[]> {
  const byIds = "ids" in filter;
  const rows = await read<AccountRow>(
    `SELECT id, external_id, name, domain, segment, owner, owner_slack_user_id, mrr::text AS mrr, seats,
            renewal_date - DATE '1970-01-01' AS renewal_day,
            customer_since - DATE '1970-01-01' AS customer_since_day, current_band, current_score
     FROM accounts
     WHERE workspace_id = $1 AND status = 'active'
       AND ${byIds ? "id = ANY($2::int[])" : "current_band = ANY($2::text[])"}
     ORDER BY id`,
    [workspaceId, byIds ? [...filter.ids] : [...filter.bands]],
  );
  const lowest = lowestBands(model);
  return rows.map((r) => toPlayAccount(r, lowest));
}
