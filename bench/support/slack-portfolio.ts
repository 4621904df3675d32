// The accounts `/css <account>` searches, for the Slack benchmark, generated inside PostgreSQL with
// `INSERT ... SELECT ... FROM generate_series` (as synthetic-portfolio.ts does for the recompute).
//
// Names are "<First> <Second> <Suffix>" from three word lists (e.g. "Amber Falcon Labs"), each
// combination used once (a permutation of the combinations, so neighbouring ids share no words),
// with a numeral past the last combination. Every first or second word is shared by about 1% of the
// accounts, so a one-word or partial query matches many, as it would in a real book of business.
// Domains are the name's words run together ("amberfalconlabs.io"); external ids "acc-0001234".
//
// Every account has `days` daily snapshots up to `asOf` under the default model: each component's
// sub-score is a pure function of (account id, component, day) with a per-account drift, so the card
// has a trend and a "since last week"; points and weights as the model (and the account's segment)
// give them. The accounts' current score and band are the last snapshot's.
import pg from "pg";
import { CSM_OWNERS } from "../../src/demo/company-names.ts";
import { formatDay, type Day } from "../../src/domain/dates.ts";
import { resolveSegment } from "../../src/domain/model/resolve-segment.ts";
import type { Scale, ScoringModel } from "../../src/domain/model/schema.ts";
import { stepTimer } from "./lifecycle.ts";

const FIRST = [
  "Amber", "Apex", "Arctic", "Ashford", "Aurora", "Azure", "Bayside", "Birchwood", "Bluepeak", "Boulder",
  "Bright", "Brisk", "Cedar", "Celestial", "Clearwater", "Cobalt", "Coastal", "Copper", "Coral", "Crescent",
  "Crimson", "Crystal", "Daring", "Desert", "Eastern", "Echo", "Elmstead", "Ember", "Emerald", "Evergreen",
  "Fairview", "Fernhill", "Fleet", "Forest", "Frost", "Gilded", "Glacier", "Golden", "Granite", "Greenway",
  "Harbor", "Hazel", "Highland", "Horizon", "Indigo", "Iron", "Ivory", "Jade", "Juniper", "Keystone",
  "Lakeside", "Lunar", "Maple", "Meadow", "Meridian", "Midnight", "Misty", "Modern", "Noble", "Northern",
  "Oakmont", "Ocean", "Onyx", "Orchard", "Pacific", "Pinecrest", "Pioneer", "Polar", "Prairie", "Quantum",
  "Quiet", "Radiant", "Rapid", "Redwood", "Riverside", "Rocky", "Royal", "Ruby", "Sable", "Sage",
  "Scarlet", "Silver", "Solar", "Southern", "Sterling", "Stonegate", "Summit", "Sunny", "Swift", "Tidal",
  "Timber", "Trusty", "Twin", "Upland", "Valley", "Velvet", "Vivid", "Western", "Willow", "Zenith",
] as const; // prettier-ignore

const SECOND = [
  "Anchor", "Arrow", "Badger", "Beacon", "Bear", "Bison", "Bridge", "Brook", "Canyon", "Cardinal",
  "Castle", "Comet", "Condor", "Cove", "Crane", "Creek", "Crow", "Delta", "Dolphin", "Dove",
  "Eagle", "Elk", "Falcon", "Fjord", "Fox", "Gate", "Gull", "Hawk", "Heron", "Hill",
  "Hollow", "Island", "Jaguar", "Kestrel", "Lantern", "Lark", "Leaf", "Lion", "Lynx", "Marten",
  "Mesa", "Mill", "Moose", "Orca", "Osprey", "Otter", "Owl", "Panther", "Path", "Peak",
  "Pelican", "Pier", "Point", "Puma", "Quail", "Rain", "Raven", "Reef", "Ridge", "Robin",
  "Sail", "Shore", "Sparrow", "Spring", "Spruce", "Star", "Stream", "Swan", "Tern", "Thistle",
  "Tiger", "Tower", "Trail", "Trout", "Tulip", "Vale", "Vista", "Wave", "Wharf", "Wolf",
] as const; // prettier-ignore

const SUFFIX = [
  "Labs", "Systems", "Group", "Health", "Logistics", "Software", "Foods", "Energy",
  "Capital", "Media", "Networks", "Retail", "Partners", "Studios", "Analytics", "Robotics",
] as const; // prettier-ignore

const TLDS = ["com", "io", "co", "net"] as const;
const SEGMENTS = ["enterprise", "mid-market", "smb"] as const;
const COMBINATIONS = FIRST.length * SECOND.length * SUFFIX.length;

export interface SlackPortfolioSpec {
  workspaceId: number;
  accounts: number;
  days: number;
  asOf: Day;
  model: ScoringModel;
  modelId: number;
}

export interface SlackPortfolio {
  snapshots: number;
  /** Seconds per step, in order. */
  steps: [string, number][];
  /** score_snapshots with its indexes, in bytes. */
  snapshotBytes: number;
}

export async function generateSlackPortfolio(
  databaseUrl: string,
  spec: SlackPortfolioSpec,
  log: (text: string) => void,
): Promise<SlackPortfolio> {
  const { steps, step } = stepTimer(log);
  const clients = [new pg.Client(databaseUrl), new pg.Client(databaseUrl)] as const;
  try {
    // A dropped database (clean-up after an interrupt) ends the sessions; the pending query fails.
    for (const c of clients) c.on("error", () => undefined);
    await Promise.all(clients.map((c) => c.connect()));
    const [main] = clients;
    for (const c of clients) {
      // As synthetic-portfolio.ts: foreign keys are not checked row by row when a superuser runs it
      // (the rows are valid by construction).
      if (await isSuperuser(c)) await c.query(`SET session_replication_role = replica`);
    }
    const asOf = formatDay(spec.asOf);

    await step(`${spec.accounts} accounts`, () =>
      main.query(
        `INSERT INTO accounts (workspace_id, external_id, name, domain, segment, owner, mrr, seats,
                               renewal_date, customer_since, status, updated_at)
         SELECT $1, 'acc-' || lpad(i::text, greatest(7, length(i::text)), '0'),
                w.first || ' ' || w.second || ' ' || w.suffix || CASE WHEN p.round > 0 THEN ' ' || (p.round + 1) ELSE '' END,
                lower(w.first || w.second || w.suffix) || CASE WHEN p.round > 0 THEN (p.round + 1)::text ELSE '' END
                  || '.' || ($7::text[])[1 + i % cardinality($7::text[])],
                ($8::text[])[1 + i % cardinality($8::text[])], ($9::text[])[1 + i % cardinality($9::text[])],
                ((i * 7) % 97) * 50 + 100, 5 + i % 500,
                $10::date + (i * 37) % 365, $10::date - 100 - (i * 53) % 1500, 'active', now()
         FROM generate_series(1, $2::int) AS i,
              LATERAL (SELECT ((i - 1)::bigint * $6) % ${COMBINATIONS} AS k, (i - 1) / ${COMBINATIONS} AS round) p,
              LATERAL (SELECT ($3::text[])[1 + p.k % ${FIRST.length}] AS first,
                              ($4::text[])[1 + (p.k / ${FIRST.length}) % ${SECOND.length}] AS second,
                              ($5::text[])[1 + p.k / ${FIRST.length * SECOND.length}] AS suffix) w`,
        [
          spec.workspaceId,
          spec.accounts,
          FIRST,
          SECOND,
          SUFFIX,
          coprimeStride(COMBINATIONS),
          TLDS,
          SEGMENTS,
          CSM_OWNERS,
          asOf,
        ],
      ),
    );

    const { rows: range } = await main.query<{ lo: number; hi: number }>(
      `SELECT min(id) AS lo, max(id) AS hi FROM accounts WHERE workspace_id = $1`,
      [spec.workspaceId],
    );
    const lo = range[0]?.lo ?? 0;
    const hi = range[0]?.hi ?? -1;
    await step(`${spec.days} days × ${spec.accounts} snapshots`, () =>
      // Two sessions, each half of the accounts, written account after account (the key's order).
      Promise.all(
        clients.map((client, half) => {
          const mid = lo + Math.floor((hi - lo + 1) / 2);
          const [from, to] = half === 0 ? [lo, mid - 1] : [mid, hi];
          return client.query(SNAPSHOTS_SQL, [
            spec.workspaceId,
            asOf,
            spec.days,
            spec.modelId,
            JSON.stringify(componentRows(spec.model)),
            JSON.stringify(bandRows(spec.model)),
            from,
            to,
          ]);
        }),
      ),
    );
    await step("current scores from the last snapshot", async () => {
      await main.query(
        `UPDATE accounts a SET current_score = s.score, current_band = s.band, scored_as_of = s.as_of
         FROM score_snapshots s
         WHERE a.workspace_id = $1 AND s.account_id = a.id AND s.as_of = $2::date`,
        [spec.workspaceId, asOf],
      );
      // Every account row was rewritten: compact the table and its trigram indexes again.
      await main.query(`VACUUM FULL accounts`);
    });
    await step("VACUUM ANALYZE", () => main.query("VACUUM ANALYZE"));

    const { rows } = await main.query<{ n: string; bytes: string }>(
      `SELECT count(*) AS n, pg_total_relation_size('score_snapshots') AS bytes
       FROM score_snapshots WHERE workspace_id = $1`,
      [spec.workspaceId],
    );
    return { snapshots: Number(rows[0]?.n ?? 0), steps, snapshotBytes: Number(rows[0]?.bytes ?? 0) };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

// $1 workspace, $2 as-of, $3 days, $4 model id, $5 components by segment, $6 bands by segment,
// $7..$8 the account id range. A sub-score: a level per (account, component) in 35..95, a drift of
// -15..+15 over the days, a daily wobble of -3..+3; clamped to 0..100.
const SNAPSHOTS_SQL = `
  WITH comp AS (
    SELECT * FROM jsonb_to_recordset($5::jsonb)
      AS c(segment text, k int, key text, weight float8, lo float8, hi float8)
  ), bands AS (
    SELECT * FROM jsonb_to_recordset($6::jsonb) AS b(segment text, key text, min float8)
  )
  INSERT INTO score_snapshots (workspace_id, account_id, as_of, model_id, score, band, coverage, components, computed_at)
  SELECT a.workspace_id, a.id, $2::date - d, $4, s.score,
         (SELECT b.key FROM bands b WHERE b.segment = a.segment AND b.min <= s.score ORDER BY b.min DESC LIMIT 1),
         1, s.components, now()
  FROM accounts a
  CROSS JOIN generate_series($3::int - 1, 0, -1) AS d
  CROSS JOIN LATERAL (
    SELECT sum(x.points) AS score,
           jsonb_agg(jsonb_build_object('key', x.key, 'raw', round(x.raw::numeric, 3), 'score', x.sc,
                                        'weight', x.weight, 'points', x.points) ORDER BY x.k) AS components
    FROM (
      SELECT c.k, c.key, c.weight, v.sc, c.lo + (c.hi - c.lo) * v.sc / 100 AS raw, v.sc * c.weight AS points
      FROM comp c,
           LATERAL (SELECT least(100, greatest(0,
             35 + (a.id::bigint * 2654435761 + c.k * 97) % 61
             + ((a.id::bigint * 40503 + c.k * 7) % 31 - 15) * ($3::int - 1 - d) / greatest(1, $3::int - 1)
             + (a.id::bigint * 7919 + c.k * 131 + d * 31337) % 7 - 3))::float8 AS sc) v
      WHERE c.segment = a.segment
    ) x
  ) s
  WHERE a.workspace_id = $1 AND a.id BETWEEN $7 AND $8`;

/** Each segment's components: index, key, effective weight (summing to 1) and the raw range. */
function componentRows(model: ScoringModel) {
  return SEGMENTS.flatMap((segment) => {
    const { components } = resolveSegment(model, segment);
    const total = components.reduce((sum, c) => sum + c.weight, 0);
    return components.map((c, k) => {
      const [lo, hi] = rawRange(c.scale);
      return { segment, k, key: c.key, weight: c.weight / total, lo, hi };
    });
  });
}

function bandRows(model: ScoringModel) {
  return SEGMENTS.flatMap((segment) =>
    resolveSegment(model, segment).bands.map((b) => ({ segment, key: b.key, min: b.min })),
  );
}

/** The raw values that score 0 and 100 (near enough for a point scale: its first and last x). */
function rawRange(scale: Scale): [number, number] {
  if ("points" in scale) return [scale.points[0]![0], scale.points.at(-1)![0]];
  return [scale.min, scale.max];
}

/** A stride that walks every combination once (coprime with their count), far from 1. */
function coprimeStride(n: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let stride = 7919;
  while (gcd(stride, n) !== 1) stride += 2;
  return stride;
}

async function isSuperuser(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ s: boolean }>(
    `SELECT rolsuper AS s FROM pg_roles WHERE rolname = current_user`,
  );
  return rows[0]?.s === true;
}
