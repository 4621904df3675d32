// css-bot plays test on the demo's history, through run(), against a fresh PostgreSQL database: the
// demo (small) is scored day by day, then a playbook of four plays is replayed over its last 14 days.
// Every count is checked against an expectation worked out here independently of the code under
// test: the fires by SQL on the demo's tables (band_changes, a window over score_snapshots,
// survey_responses after the snapshot before), the cooldown and the daily cap by the loop below, and
// precision and lead time from accounts.churned_at. Nothing may be posted or written.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlaysTestReport as Report } from "../../src/domain/plays/replay.ts";
import { runCli } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { tempDir } from "../support/files.ts";

const END = "2026-11-30";
const FROM = "2026-11-17"; // the last 14 demo days
const SEGMENTS = ["smb", "mid_market"];
/** The demo scores with the default model: at_risk is the lowest band of every segment. */
const LOWEST = "at_risk";
const CHURN_DAYS = 90;

// The two channel plays post to the same channel, so an account told by both on one day gets one
// message (merged); the two case plays share the account's case.
const PLAYBOOK = `name: replay
plays:
  - key: at_risk
    trigger: { band_entered: [lowest] }
    when: { segment: [${SEGMENTS.join(", ")}] }
    actions:
      - open_case: { owner: account_owner }
  - key: sharp_drop
    trigger: { score_drop: { points: 10, within_days: 7 } }
    max_per_day: 2
    cooldown_days: 3
    actions:
      - post: { channel: alert_channel, text: "{{account.name}}: {{trigger}}" }
  - key: detractor
    trigger: { survey_answer: { survey: nps, at_most: 6 } }
    actions:
      - post: { channel: alert_channel, text: "{{account.name}}: {{trigger}}" }
  - key: recovered
    trigger: { band_left: [lowest] }
    actions:
      - reply_in_case: { text: "{{account.name}} recovered" }
`;

/** A fire the expectation found: an account on a day ("YYYY-MM-DD"). */
interface Fire {
  account: number;
  day: string;
}

const DAYS = (() => {
  const out: string[] = [];
  for (let t = Date.parse(`${FROM}T00:00:00Z`); t <= Date.parse(`${END}T00:00:00Z`); t += 86_400_000)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
})();
const dayNumber = (d: string) => Date.parse(`${d}T00:00:00Z`) / 86_400_000;

describe("css-bot plays test on the demo", () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let file: string;
  const cli = (...args: string[]) => runCli(["--workspace", "demo", ...args], env);
  const rows = <T>(text: string, ...values: unknown[]) => db.prisma.$queryRawUnsafe<T[]>(text, ...values);

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    // No Slack token, no Redis: the command could not post if it tried.
    env = { DATABASE_URL: db.url!, CSS_DATA_DIR: tempDir("css-demo-") };
    const demo = await runCli(
      ["demo", "--no-serve", "--accounts", "150", "--recompute-days", "22", "--end", END],
      env,
    );
    expect(demo.code, demo.stderr).toBe(0);
    file = join(tempDir(), "replay.yaml");
    writeFileSync(file, PLAYBOOK);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  async function expectedFires(): Promise<Record<string, Fire[]>> {
    const ws = "(SELECT id FROM workspaces WHERE slug = 'demo')";
    const bandMoves = (where: string) =>
      rows<Fire>(
        `SELECT c.account_id AS account, to_char(c.as_of, 'YYYY-MM-DD') AS day
         FROM band_changes c JOIN accounts a ON a.id = c.account_id
         WHERE c.workspace_id = ${ws} AND c.as_of BETWEEN $1::date AND $2::date AND ${where}
         ORDER BY c.as_of, c.account_id`,
        FROM,
        END,
      );
    const atRisk = await bandMoves(
      `c.to_band = '${LOWEST}' AND c.from_band IS DISTINCT FROM '${LOWEST}' AND a.segment = ANY(ARRAY['${SEGMENTS.join("','")}'])`,
    );
    const recovered = await bandMoves(`c.from_band = '${LOWEST}' AND c.to_band <> '${LOWEST}'`);
    // A drop: the day's score at least 10 below the highest of the 7 days before it, where the
    // snapshot before did not already show one (the same fall, told once).
    const drops = await rows<Fire & { mrr: number | null }>(
      `WITH s AS (
         SELECT account_id, as_of, score,
                lag(as_of) OVER (PARTITION BY account_id ORDER BY as_of) AS previous,
                max(score) OVER (PARTITION BY account_id ORDER BY as_of
                                 RANGE BETWEEN '7 days' PRECEDING AND '1 day' PRECEDING) AS high
         FROM score_snapshots WHERE workspace_id = ${ws}),
       d AS (SELECT *, coalesce(score <= high - 10 + 1e-9, false) AS dropped FROM s)
       SELECT d.account_id AS account, to_char(d.as_of, 'YYYY-MM-DD') AS day, a.mrr::float8 AS mrr
       FROM d JOIN accounts a ON a.id = d.account_id
       LEFT JOIN d p ON p.account_id = d.account_id AND p.as_of = d.previous
       WHERE d.as_of BETWEEN $1::date AND $2::date AND d.dropped AND NOT coalesce(p.dropped, false)
       ORDER BY d.as_of, a.mrr DESC NULLS LAST, d.account_id`,
      FROM,
      END,
    );
    const detractors = await rows<Fire>(
      `WITH s AS (
         SELECT account_id, as_of, lag(as_of) OVER (PARTITION BY account_id ORDER BY as_of) AS previous
         FROM score_snapshots WHERE workspace_id = ${ws})
       SELECT s.account_id AS account, to_char(s.as_of, 'YYYY-MM-DD') AS day FROM s
       WHERE s.as_of BETWEEN $1::date AND $2::date AND EXISTS (
         SELECT 1 FROM survey_responses r
         WHERE r.account_id = s.account_id AND r.survey = 'nps' AND r.score <= 6
           AND (r.responded_at AT TIME ZONE 'UTC')::date <= s.as_of
           AND (r.responded_at AT TIME ZONE 'UTC')::date >= s.as_of - 7
           AND (s.previous IS NULL OR (r.responded_at AT TIME ZONE 'UTC')::date > s.previous))
       ORDER BY s.as_of, s.account_id`,
      FROM,
      END,
    );
    return { at_risk: atRisk, sharp_drop: guarded(drops), detractor: detractors, recovered };
  }

  /** The sharp_drop play's guards, by hand: 3 days' cooldown per account, then 2 a day by MRR. */
  let capped: Record<string, number> = {};
  function guarded(candidates: (Fire & { mrr: number | null })[]): Fire[] {
    const last = new Map<number, number>();
    const fired: Fire[] = [];
    capped = {};
    for (const day of DAYS) {
      const today = candidates.filter((c) => c.day === day);
      const open = today.filter((c) => !last.has(c.account) || dayNumber(day) - last.get(c.account)! >= 3);
      // candidates come ordered by MRR, highest first (the cap keeps the biggest accounts).
      for (const c of open.slice(0, 2)) {
        fired.push(c);
        last.set(c.account, dayNumber(day));
      }
      if (open.length > 2) capped[day] = open.length - 2;
    }
    return fired.map(({ account, day }) => ({ account, day }));
  }

  const perDay = (fires: Fire[]) =>
    Object.fromEntries(DAYS.map((d) => [d, fires.filter((f) => f.day === d).length]));

  /** One message per account and destination a day, plus one summary a day a play was capped. */
  function messagesPerDay(fires: Record<string, Fire[]>): Record<string, number> {
    return Object.fromEntries(
      DAYS.map((d) => {
        const sent = new Set<string>();
        for (const f of [...fires.at_risk!, ...fires.recovered!])
          if (f.day === d) sent.add(`case ${f.account}`);
        for (const f of [...fires.sharp_drop!, ...fires.detractor!])
          if (f.day === d) sent.add(`alert ${f.account}`);
        return [d, sent.size + (capped[d] ? 1 : 0)];
      }),
    );
  }

  /** Precision and median lead of one play's fires, from each account's first fire and churned_at. */
  async function outcome(fires: Fire[]): Promise<{ precision: number | null; lead: number | null }> {
    const churned = new Map(
      (
        await rows<{ id: number; churned_at: string }>(
          `SELECT id, to_char(churned_at, 'YYYY-MM-DD') AS churned_at FROM accounts
           WHERE workspace_id = (SELECT id FROM workspaces WHERE slug = 'demo') AND churned_at IS NOT NULL`,
        )
      ).map((r) => [r.id, dayNumber(r.churned_at)]),
    );
    const first = new Map<number, number>();
    for (const f of fires) if (!first.has(f.account)) first.set(f.account, dayNumber(f.day));
    if (first.size === 0) return { precision: null, lead: null };
    const leads = [...first]
      .map(([id, day]) => (churned.has(id) ? churned.get(id)! - day : -1))
      .filter((lead) => lead > 0 && lead <= CHURN_DAYS)
      .sort((a, b) => a - b);
    const mid = leads.length >> 1;
    return {
      precision: Math.round((leads.length / first.size) * 1000) / 1000,
      lead: leads.length === 0 ? null : leads.length % 2 ? leads[mid]! : (leads[mid - 1]! + leads[mid]!) / 2,
    };
  }

  it("replays the demo's last 14 days as counted by hand, with precision against churn", async () => {
    const fires = await expectedFires();
    // The demo must give each play something to do, or the comparison below proves little.
    for (const key of ["at_risk", "sharp_drop", "detractor", "recovered"])
      expect(fires[key]!.length, key).toBeGreaterThan(0);
    expect(Object.values(capped).length, "days the cap held sharp_drop back").toBeGreaterThan(0);

    // Outcomes learnt after the range (as a back-test's history would bring them): the first account
    // at_risk fired for churns 20 days after the range (within 90 days), the second 200 days after
    // (outside them), and the last account sharp_drop fired for 5 days after the range.
    const churn = async (account: number, daysAfter: number) =>
      db.prisma.$executeRawUnsafe(
        `UPDATE accounts SET status = 'churned', churned_at = $2::date + $3::int
         WHERE id = $1 AND workspace_id = (SELECT id FROM workspaces WHERE slug = 'demo')`,
        account,
        END,
        daysAfter,
      );
    const atRiskAccounts = [...new Set(fires.at_risk!.map((f) => f.account))];
    expect(atRiskAccounts.length).toBeGreaterThan(1);
    await churn(atRiskAccounts[0]!, 20);
    await churn(atRiskAccounts[1]!, 200);
    await churn(fires.sharp_drop!.at(-1)!.account, 5);

    const started = Date.now();
    const run = await cli("plays", "test", file, "--from", FROM, "--to", END, "--json");
    const seconds = (Date.now() - started) / 1000;
    expect(run, run.stderr).toMatchObject({ code: 0, stderr: "" });
    expect(seconds, "seconds to replay 14 days of 150 accounts").toBeLessThan(10);
    const report = JSON.parse(run.stdout) as Report;

    expect(Object.keys(report)).toEqual(["from", "to", "plays", "messages_per_day"]);
    expect(report).toMatchObject({ from: FROM, to: END });
    expect(Object.keys(report.messages_per_day)).toEqual(DAYS);
    expect(report.plays.map((p) => p.key)).toEqual(["at_risk", "sharp_drop", "detractor", "recovered"]);
    for (const play of report.plays) {
      expect(Object.keys(play)).toEqual([
        "key",
        "fires",
        "per_day",
        "accounts",
        "precision",
        "median_lead_days",
      ]);
      expect(Object.keys(play.per_day)).toEqual(DAYS);
      const expected = fires[play.key]!;
      const { precision, lead } = await outcome(expected);
      expect(play, play.key).toEqual({
        key: play.key,
        fires: expected.length,
        per_day: perDay(expected),
        accounts: new Set(expected.map((f) => f.account)).size,
        precision,
        median_lead_days: lead,
      });
    }
    expect(report.messages_per_day).toEqual(messagesPerDay(fires));

    const atRisk = report.plays.find((p) => p.key === "at_risk")!;
    expect(atRisk.precision).toBeGreaterThan(0);
    const firstAtRisk = dayNumber(fires.at_risk!.find((f) => f.account === atRiskAccounts[0])!.day);
    expect(atRisk.median_lead_days).toBe(dayNumber(END) + 20 - firstAtRisk);
    expect(report.plays.find((p) => p.key === "sharp_drop")!.median_lead_days).not.toBeNull();
  }, 60_000);

  it("prints the same replay as a table", async () => {
    const json = JSON.parse(
      (await cli("plays", "test", file, "--from", FROM, "--to", END, "--json")).stdout,
    ) as Report;
    const text = await cli("plays", "test", file, "--from", FROM, "--to", END);
    expect(text).toMatchObject({ code: 0, stderr: "" });
    const total = Object.values(json.messages_per_day).reduce((a, b) => a + b, 0);
    expect(text.stdout).toContain(
      `Playbook replayed from ${FROM} to ${END}, nothing posted: ${total} messages in 14 days`,
    );
    for (const day of DAYS) expect(text.stdout).toMatch(new RegExp(`^│ ${day} │`, "m"));
    const sharp = json.plays.find((p) => p.key === "sharp_drop")!;
    expect(text.stdout).toMatch(new RegExp(`^│ sharp_drop +│ +${sharp.fires} │ +${sharp.accounts} │`, "m"));
  });

  it("replays the active playbook when no file is named", async () => {
    const withFile = await cli("plays", "test", file, "--from", FROM, "--to", END, "--json");
    expect((await cli("plays", "set", file)).code).toBe(0);
    const active = await cli("plays", "test", "--from", FROM, "--to", END, "--json");
    expect(active).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(active.stdout)).toEqual(JSON.parse(withFile.stdout));
  });

  it("refuses bad dates, a band the model lacks and an unknown workspace, naming each", async () => {
    // Exit 2 for a bad flag value (UsageError, as every command), 1 for a file or workspace.
    const refuse = async (code: number, args: string[], ...says: (string | RegExp)[]) => {
      const r = await runCli(args, env);
      expect(r.code, r.stderr).toBe(code);
      expect(r.stdout).toBe("");
      for (const s of says) expect(r.stderr).toMatch(s);
    };
    const test = ["--workspace", "demo", "plays", "test", file];
    await refuse(2, [...test, "--from", "2026-13-01", "--to", END], "--from", "2026-13-01");
    await refuse(2, [...test, "--from", "17/11/2026", "--to", END], "--from");
    await refuse(2, [...test, "--from", END, "--to", FROM], `--to (${FROM}) is before --from (${END})`);
    const purple = join(tempDir(), "purple.yaml");
    writeFileSync(purple, PLAYBOOK.replace("band_left: [lowest]", "band_left: [purple]"));
    await refuse(
      1,
      ["--workspace", "demo", "plays", "test", purple, "--from", FROM, "--to", END],
      `${purple}:19 plays[3].trigger.band_left[0]: unknown band "purple"`,
    );
    await refuse(
      1,
      ["--workspace", "nowhere", "plays", "test", file, "--from", FROM, "--to", END],
      'no workspace "nowhere"',
    );
  });

  it("tells of an answer at most a week back after a gap in the scores, as the live run does", async () => {
    // An account without NPS answers in the range stops being scored after FROM and is scored again
    // 10 days later; a detractor answered the day after FROM is 9 days old then: not news.
    const [quiet] = await rows<{ id: number }>(
      `SELECT a.id FROM accounts a WHERE a.workspace_id = (SELECT id FROM workspaces WHERE slug = 'demo')
         AND NOT EXISTS (SELECT 1 FROM survey_responses r WHERE r.account_id = a.id AND r.survey = 'nps'
                         AND r.responded_at >= $1::date - 31)
         AND (SELECT count(*) FROM score_snapshots s WHERE s.account_id = a.id
              AND s.as_of BETWEEN $1::date AND $2::date) = 14
       ORDER BY a.id LIMIT 1`,
      FROM,
      END,
    );
    for (const table of ["score_snapshots", "band_changes"])
      await db.prisma.$executeRawUnsafe(
        `DELETE FROM ${table} WHERE workspace_id = (SELECT id FROM workspaces WHERE slug = 'demo')
           AND account_id = $1 AND as_of BETWEEN $2::date + 1 AND $2::date + 9`,
        quiet!.id,
        FROM,
      );
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO survey_responses (workspace_id, account_id, survey, score, responded_at, dedupe_key)
       SELECT workspace_id, id, 'nps', 3, (($2::date + 1)::timestamp + interval '10 hours') AT TIME ZONE 'UTC',
              'gap-test' FROM accounts WHERE id = $1`,
      quiet!.id,
      FROM,
    );
    const run = await cli("plays", "test", file, "--from", FROM, "--to", END, "--json");
    expect(run, run.stderr).toMatchObject({ code: 0, stderr: "" });
    const detractor = (JSON.parse(run.stdout) as Report).plays.find((p) => p.key === "detractor")!;
    const expected = (await expectedFires()).detractor!;
    expect(expected.some((f) => f.account === quiet!.id)).toBe(false);
    expect(detractor).toMatchObject({ fires: expected.length, per_day: perDay(expected) });
  });

  it("posts and writes nothing", async () => {
    const counts = await rows<Record<string, bigint>>(
      `SELECT (SELECT count(*) FROM play_fires) AS fires, (SELECT count(*) FROM webhook_deliveries) AS hooks,
              (SELECT count(*) FROM follow_ups) AS follow_ups`,
    );
    expect(counts[0]).toEqual({ fires: 0n, hooks: 0n, follow_ups: 0n });
  });
});
