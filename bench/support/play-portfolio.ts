// What the plays benchmark adds to the synthetic portfolio (synthetic-portfolio.ts) so that every
// trigger kind has work after a run, all generated in SQL, every value a pure function of the
// account id (two runs make the same data):
//
// - before the rollups: owners, renewal dates, survey answers (two a year per account, and a day's
//   NPS/CSAT answers with comments on the run's day), and gaps in metric m9's last days for 2 % of
//   the accounts (no_data);
// - after a first run as of the run's day: its snapshots moved to the day before and changed for
//   a tenth of the accounts (score and components up or down by 3-27 points, the band as the
//   model's bands give it), so the measured run, on the same data, finds band changes, drops and
//   components crossing; HISTORY_DAYS more days of snapshots before that (score_drop windows), and
//   earlier fires of every play for 1 % of the accounts (cooldowns);
// - the day before's snapshots marked for the benchmark's playbook (markDayBefore), as a run under
//   it would have marked them.
import type pg from "pg";
import { formatDay, type Day } from "../../src/domain/dates.ts";
import { boundMarks, type ComponentPlay } from "../../src/domain/plays/bound-marks.ts";
import type { ComponentState } from "../../src/domain/plays/facts.ts";

/** Days of snapshots before the day before: the longest score_drop window of the playbook. */
export const HISTORY_DAYS = 14;

/** The plays, one YAML entry each (cycled, with a suffix, for more than 20). */
const PLAYS: readonly string[] = [
  `- key: enterprise_at_risk
    label: Enterprise at risk
    trigger: { band_entered: [lowest] }
    when: { segment: [enterprise], mrr: { min: 1000 } }
    cooldown_days: 14
    actions:
      - open_case: { channel: alert_channel, owner: account_owner, due_business_days: 3, tasks: [Call the champion, Review usage] }
      - escalate: { after_business_days: 2 }`,
  `- key: smb_at_risk
    trigger: { band_entered: [lowest] }
    when: { segment: [smb, mid-market] }
    max_per_day: 50
    actions:
      - open_case: { channel: alert_channel }`,
  `- key: into_caution
    trigger: { band_entered: [caution] }
    max_per_day: 100
    actions:
      - post: { channel: digest_channel, text: "{{account.name}} ({{account.segment}}): {{trigger}}" }`,
  `- key: recovered
    trigger: { band_left: [lowest] }
    actions:
      - post: { channel: alert_channel, text: "{{account.name}} recovered: {{trigger}}" }
      - webhook: { url: "https://hooks.example.com/css/recovered" }`,
  `- key: big_left_healthy
    trigger: { band_left: [healthy] }
    when: { mrr: { min: 3000 } }
    cooldown_days: 7
    actions:
      - dm_owner: { text: "{{account.name}} ({{account.mrr}} MRR) left healthy: {{trigger}}" }`,
  `- key: dip_overnight
    trigger: { score_drop: { points: 5, within_days: 2 } }
    max_per_day: 200
    respect_quiet_hours: false
    actions:
      - webhook: { url: "https://hooks.example.com/css/dip" }`,
  `- key: sharp_drop
    trigger: { score_drop: { points: 10, within_days: 7 } }
    cooldown_days: 7
    max_per_day: 25
    actions:
      - post: { channel: alert_channel, text: "{{account.name}}: {{trigger}}" }
      - dm_owner: { text: "{{account.name}} dropped: {{trigger}} ({{drivers}})" }`,
  `- key: slide_fortnight
    trigger: { score_drop: { points: 15, within_days: 14 } }
    when: { segment: [enterprise, mid-market] }
    cooldown_days: 14
    actions:
      - open_case: { channel: alert_channel, owner: account_owner }`,
  `- key: collapse
    trigger: { score_drop: { points: 20, within_days: 3 } }
    when: { mrr: { min: 2000 } }
    respect_quiet_hours: false
    actions:
      - open_case: { channel: alert_channel, owner: account_owner, due_business_days: 1 }
      - webhook: { url: "https://hooks.example.com/css/collapse" }`,
  `- key: usage_low
    trigger: { component: { key: c0, below: 25 } }
    cooldown_days: 30
    max_per_day: 100
    actions:
      - dm_owner: { text: "{{account.name}}: {{trigger}}" }`,
  `- key: engagement_low
    trigger: { component: { key: c1, at_most: 20 } }
    when: { segment: [enterprise] }
    cooldown_days: 30
    actions:
      - post: { channel: alert_channel, text: "{{account.name}}: {{trigger}}" }`,
  `- key: peak_raw_high
    trigger: { component: { key: c3, value: raw, above: 1000 } }
    max_per_day: 50
    actions:
      - webhook: { url: "https://hooks.example.com/css/peak" }`,
  `- key: adoption_strong
    trigger: { component: { key: c6, at_least: 90 } }
    when: { mrr: { min: 500, max: 4000 } }
    cooldown_days: 60
    actions:
      - dm_owner: { text: "{{account.name}} is adopting well: {{trigger}}" }`,
  `- key: activity_drop
    trigger: { component: { key: c7, below: 30 } }
    when: { segment: [smb] }
    cooldown_days: 14
    max_per_day: 40
    actions:
      - post: { channel: digest_channel, text: "{{account.name}}: {{trigger}}" }`,
  `- key: telemetry_silent
    trigger: { no_data: { metric: m9, days: 7 } }
    cooldown_days: 30
    actions:
      - open_case: { channel: alert_channel, tasks: [Check the integration] }`,
  `- key: renewal_risk
    trigger: { renewal: { within_days: 30, bands: [lowest, caution] } }
    actions:
      - open_case: { channel: alert_channel, owner: account_owner, tasks: [Plan the renewal call] }
      - webhook: { url: "https://hooks.example.com/css/renewal" }`,
  `- key: big_renewal
    trigger: { renewal: { within_days: 90, bands: [lowest] } }
    when: { mrr: { min: 3000 } }
    actions:
      - dm_owner: { text: "{{account.name}} renews {{account.renewal_date}} at {{account.arr}} ARR: {{trigger}}" }`,
  `- key: detractor
    trigger: { survey_answer: { survey: nps, at_most: 6 } }
    actions:
      - post: { channel: alert_channel, text: "{{account.name}}: {{trigger}}" }
      - dm_owner: { text: "{{account.name}}: {{trigger}}" }`,
  `- key: unhappy_csat
    trigger: { survey_answer: { survey: csat, at_most: 2 } }
    when: { mrr: { min: 1000 } }
    actions:
      - open_case: { channel: alert_channel, owner: account_owner }`,
  `- key: connector_down
    trigger: { connector_failed: {} }
    actions:
      - post: { channel: alert_channel, text: "{{trigger}}" }`,
];

/** The benchmark's playbook of `plays` plays (the 20 above, then again with a suffix). */
export function benchPlaybookSource(plays: number): string {
  const entries = Array.from({ length: plays }, (_, i) => {
    const play = PLAYS[i % PLAYS.length]!;
    const round = Math.floor(i / PLAYS.length);
    return round === 0 ? play : play.replace(/^- key: (\w+)/, `- key: $1_${round + 1}`);
  });
  return `name: bench
description: Every trigger kind, with conditions, cooldowns and caps (the plays benchmark).
quiet_hours: { from: "20:00", to: "07:00" }
plays:
  ${entries.join("\n  ")}
`;
}

/**
 * Owners, renewal dates, survey answers and m9's gaps (see the top). Runs before the rollups are
 * computed: the gaps change what the rollups of m9 hold.
 */
export async function addPlayFacts(client: pg.Client, workspaceId: number, asOf: Day): Promise<void> {
  const day = formatDay(asOf);
  await client.query(
    `UPDATE accounts SET owner = 'owner' || id % 40 || '@example.com',
            owner_slack_user_id = CASE WHEN id % 40 < 36 THEN 'U0OWNER' || id % 40 END,
            renewal_date = $2::date + ((id * 7919) % 400)::int - 30,
            customer_since = $2::date - (id % 1500)::int
     WHERE workspace_id = $1`,
    [workspaceId, day],
  );
  // Two answers a year per account, and the run's day's: NPS from 4 %, CSAT from 2.5 %.
  const score = (survey: string, k: string) =>
    `CASE ${survey} WHEN 'nps' THEN (a.id + ${k}) % 11 WHEN 'csat' THEN 1 + (a.id + ${k}) % 5 ELSE 1 + (a.id + ${k}) % 7 END`;
  await client.query(
    `INSERT INTO survey_responses (workspace_id, account_id, survey, score, responded_at, respondent, comment, dedupe_key,
                                   created_at)
     SELECT a.workspace_id, a.id, s.kind::"Survey", ${score("s.kind", "k")},
            ($2::date - 1 - ((a.id * 7 + k * 53) % 180)::int)::timestamptz + interval '9 hours',
            'user' || a.id || '@customer.example', CASE WHEN k = 0 THEN 'Fine, mostly.' END,
            'bench-' || a.id || '-' || k,
            ($2::date - 1 - ((a.id * 7 + k * 53) % 180)::int)::timestamptz + interval '9 hours 5 minutes'
     FROM accounts a CROSS JOIN generate_series(0, 1) AS k
       CROSS JOIN LATERAL (SELECT (ARRAY['nps', 'csat', 'ces'])[1 + (a.id + k) % 3] AS kind) s
     WHERE a.workspace_id = $1`,
    [workspaceId, day],
  );
  await client.query(
    `INSERT INTO survey_responses (workspace_id, account_id, survey, score, responded_at, respondent, comment, dedupe_key)
     SELECT a.workspace_id, a.id, s.kind::"Survey", ${score("s.kind", "a.id / 40")},
            $2::date + interval '8 hours' + (a.id % 600) * interval '1 minute',
            'user' || a.id || '@customer.example',
            CASE WHEN a.id % 2 = 0 THEN 'The exports keep timing out and support is slow to answer.' END,
            'bench-today-' || a.id
     FROM accounts a CROSS JOIN LATERAL (SELECT CASE WHEN a.id % 25 = 0 THEN 'nps' ELSE 'csat' END AS kind) s
     WHERE a.workspace_id = $1 AND (a.id % 25 = 0 OR a.id % 40 = 1)`,
    [workspaceId, day],
  );
  // 2 % of the accounts: m9 last observed 1..12 days before the run's day.
  await client.query(
    `DELETE FROM metric_observations o USING accounts a
     WHERE a.workspace_id = $1 AND a.id % 50 = 0 AND o.account_id = a.id AND o.workspace_id = $1
       AND o.metric = 'm9' AND o.observed_on > $2::date - (1 + (a.id / 50) % 12)::int`,
    [workspaceId, day],
  );
  await client.query("VACUUM ANALYZE accounts, survey_responses, metric_observations");
}

/** The share of the accounts whose day before differs from the run's, unless told (--moved). */
export const DEFAULT_MOVED_PERCENT = 10;

/**
 * The accounts whose day before differs from the run's (`percent` % of them, by id: id % 200 below
 * twice the percent): 3-27 points higher for half (today's drops), lower for the other half (today's
 * recoveries).
 */
const moved = (percent: number) =>
  `SELECT id, CASE WHEN id % 200 < ${percent} THEN 1 ELSE -1 END * (3 + (id * 31) % 25) AS delta
   FROM accounts WHERE workspace_id = $1 AND id % 200 < ${2 * percent}`;

/** The band the bench model gives a score, without hysteresis (synthetic-portfolio.ts's bands). */
const BAND = (score: string) =>
  `CASE WHEN a.segment = 'enterprise'
        THEN CASE WHEN ${score} >= 85 THEN 'healthy' WHEN ${score} >= 65 THEN 'caution' ELSE 'at_risk' END
        ELSE CASE WHEN ${score} >= 80 THEN 'healthy' WHEN ${score} >= 60 THEN 'caution' ELSE 'at_risk' END END`;

/**
 * After a first run as of `asOf`: its snapshots become the day before's (changed for the `moved`
 * percent of the accounts), HISTORY_DAYS earlier days are written from them (a wobble of -3..3 points a day), and
 * earlier fires are recorded. Leaves the database as resetToDayBefore does.
 */
export async function makeDayBefore(
  client: pg.Client,
  workspaceId: number,
  asOf: Day,
  movedPercent = DEFAULT_MOVED_PERCENT,
): Promise<void> {
  if (!(Number.isInteger(movedPercent) && movedPercent >= 0 && movedPercent <= 100))
    throw new Error(`the share of moved accounts must be a whole percent from 0 to 100, not ${movedPercent}`);
  const [day, before] = [formatDay(asOf), formatDay(asOf - 1)];
  await client.query(`DELETE FROM score_snapshots WHERE workspace_id = $1 AND as_of <> $2::date`, [
    workspaceId,
    day,
  ]);
  await client.query(
    `UPDATE score_snapshots s SET as_of = $2::date WHERE workspace_id = $1 AND as_of = $3::date`,
    [workspaceId, before, day],
  );
  const clamp = (v: string) => `least(100, greatest(0, ${v}))`;
  await client.query(
    `UPDATE score_snapshots s
     SET score = ${clamp("s.score + m.delta")},
         band = ${BAND(clamp("s.score + m.delta"))},
         components = (
           SELECT json_agg(CASE WHEN e->>'score' IS NULL THEN e::jsonb
                                ELSE e::jsonb || jsonb_build_object(
                                  'score', ${clamp("(e->>'score')::float8 + m.delta")},
                                  'raw', (e->>'raw')::float8 * (1 + m.delta / 100.0)) END ORDER BY i)
           FROM json_array_elements(s.components) WITH ORDINALITY AS x(e, i))
     FROM (${moved(movedPercent)}) m, accounts a
     WHERE s.workspace_id = $1 AND s.as_of = $2::date AND s.account_id = m.id AND a.id = m.id
       AND s.score IS NOT NULL`,
    [workspaceId, before],
  );
  await client.query(
    `INSERT INTO score_snapshots (workspace_id, account_id, as_of, model_id, score, band, coverage, components, run_id, computed_at)
     SELECT s.workspace_id, s.account_id, s.as_of - k, s.model_id, w.score, ${BAND("w.score")},
            s.coverage, s.components, s.run_id, s.computed_at - k * interval '1 day'
     FROM score_snapshots s JOIN accounts a ON a.id = s.account_id
       CROSS JOIN generate_series(1, ${HISTORY_DAYS}) AS k
       CROSS JOIN LATERAL (SELECT ${clamp("s.score + (s.account_id * 7 + k * 13) % 7 - 3")} AS score) w
     WHERE s.workspace_id = $1 AND s.as_of = $2::date`,
    [workspaceId, before],
  );
  // Earlier days' fires: from a first makeDayBefore; another (--moved on a kept database) keeps them.
  await client.query(`DELETE FROM play_fires WHERE workspace_id = $1 AND local_date < $2::date`, [
    workspaceId,
    day,
  ]);
  // Every play fired for 1 % of the accounts on one of the 10 days before (a different 1 % each;
  // modulo a prime, so not the same residues as the moved accounts', which would never meet them).
  await client.query(
    `INSERT INTO play_fires (workspace_id, play_key, subject, account_id, local_date, trigger, status, delivered_at)
     SELECT a.workspace_id, p.key, 'account:' || a.id, a.id, $2::date - 1 - (a.id % 10)::int,
            '{"kind": "earlier"}', 'delivered', now()
     FROM accounts a CROSS JOIN unnest($3::text[]) WITH ORDINALITY AS p(key, i)
     WHERE a.workspace_id = $1 AND (a.id + p.i * 31) % 97 = 0`,
    [workspaceId, day, PLAYS.map((p) => /key: (\w+)/.exec(p)![1]!)],
  );
  await resetToDayBefore(client, workspaceId, asOf);
}

/**
 * Marks the day before's snapshots for playbook version `playbook.id` (its component plays), as its
 * run would have (domain/plays/bound-marks.ts): the first run's marks were of its components before
 * makeDayBefore changed them, and each benchmark stores its playbook again, as a new version, so
 * without this the measured run would find no marks of its version and parse every component
 * before, which a real second day under one playbook does not.
 */
export async function markDayBefore(
  client: pg.Client,
  workspaceId: number,
  asOf: Day,
  playbook: { id: number; plays: readonly ComponentPlay[] },
): Promise<void> {
  const before = formatDay(asOf - 1);
  const { rows } = await client.query<{ account_id: number; components: ComponentState[] }>(
    `SELECT account_id, components FROM score_snapshots WHERE workspace_id = $1 AND as_of = $2::date
     ORDER BY account_id`,
    [workspaceId, before],
  );
  await client.query(
    `UPDATE score_snapshots s SET play_bounds = x.m
     FROM unnest($3::int[], $4::text[]) AS x(a, m)
     WHERE s.workspace_id = $1 AND s.as_of = $2::date AND s.account_id = x.a
       AND s.play_bounds IS DISTINCT FROM x.m`,
    [
      workspaceId,
      before,
      rows.map((r) => r.account_id),
      rows.map((r) => boundMarks(playbook.id, playbook.plays, r.components).stored),
    ],
  );
  await client.query(`VACUUM ANALYZE score_snapshots`);
}

/**
 * The state before each measured run: no snapshot, band change or fire as of `asOf`, and every
 * account's current score the day before's. Compacted and analyzed, so each round starts alike.
 */
export async function resetToDayBefore(client: pg.Client, workspaceId: number, asOf: Day): Promise<void> {
  const [day, before] = [formatDay(asOf), formatDay(asOf - 1)];
  await client.query(`DELETE FROM score_snapshots WHERE workspace_id = $1 AND as_of = $2::date`, [
    workspaceId,
    day,
  ]);
  await client.query(`DELETE FROM play_fires WHERE workspace_id = $1 AND local_date = $2::date`, [
    workspaceId,
    day,
  ]);
  await client.query(`TRUNCATE band_changes`);
  await client.query(
    `UPDATE accounts a SET current_score = s.score, current_band = s.band, scored_as_of = s.as_of
     FROM score_snapshots s
     WHERE a.workspace_id = $1 AND s.account_id = a.id AND s.as_of = $2::date`,
    [workspaceId, before],
  );
  await client.query(`VACUUM FULL accounts`);
  await client.query(`VACUUM ANALYZE accounts, score_snapshots, band_changes, play_fires`);
}

/**
 * Puts the measured run where a daily run is in time, for the survey plays, which tell the answers
 * stored since the run before started (services/plays/fire-plays.ts answerArrival): the run's day's
 * answers arrive in a sync at 07:00, the run (`runId`) starts at 09:30 and the run before it, as of the
 * day before, at 09:30 that day, so the answers told are the day's, as before that rule. The earlier
 * answers (two a year, at 09:00) arrived by the day before's run, as their rows say when the
 * database was made before the column (responded_at) or since (5 minutes later).
 */
export async function placeRunInTime(
  client: pg.Client,
  workspaceId: number,
  asOf: Day,
  runId: bigint,
): Promise<void> {
  const day = formatDay(asOf);
  await client.query(
    `UPDATE survey_responses SET created_at = $2::date + interval '7 hours'
     WHERE workspace_id = $1 AND dedupe_key LIKE 'bench-today-%'`,
    [workspaceId, day],
  );
  // Not evaluated yet (an earlier round's evaluation stamped it): the runs before it are the boundary.
  await client.query(
    `UPDATE recompute_runs SET plays_evaluated_at = NULL
     WHERE workspace_id = $1 AND slot <> 'bench-day-before' AND plays_evaluated_at IS NOT NULL`,
    [workspaceId],
  );
  await client.query(`UPDATE recompute_runs SET started_at = $2::date + interval '9.5 hours' WHERE id = $1`, [
    runId.toString(),
    day,
  ]);
  await client.query(
    `INSERT INTO recompute_runs (workspace_id, slot, as_of, status, trigger, started_at, finished_at,
                                 plays_evaluated_at)
     SELECT $1, 'bench-day-before', $2::date - 1, 'succeeded', 'bench', $2::date - 1 + interval '9.5 hours',
            $2::date - 1 + interval '9.6 hours', $2::date - 1 + interval '9.7 hours'
     WHERE NOT EXISTS (SELECT 1 FROM recompute_runs WHERE workspace_id = $1 AND slot = 'bench-day-before')`,
    [workspaceId, day],
  );
}

/** What the measured run changed: band changes, and scores at least 5 points below the day before. */
export async function runMovement(
  client: pg.Client,
  workspaceId: number,
  asOf: Day,
  runId: bigint,
): Promise<{ bandChanges: number; drops: number }> {
  const { rows } = await client.query<{ changes: number; drops: number }>(
    `SELECT (SELECT count(*)::int FROM band_changes WHERE workspace_id = $1 AND run_id = $2) AS changes,
            (SELECT count(*)::int FROM score_snapshots t JOIN score_snapshots y
               ON y.account_id = t.account_id AND y.as_of = $3::date - 1
             WHERE t.workspace_id = $1 AND t.as_of = $3::date AND t.score <= y.score - 5) AS drops`,
    [workspaceId, runId.toString(), formatDay(asOf)],
  );
  return { bandChanges: rows[0]?.changes ?? 0, drops: rows[0]?.drops ?? 0 };
}
