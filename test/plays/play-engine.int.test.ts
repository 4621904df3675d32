// Plays on the real stack: a hand-built week of scores for four accounts, a team's playbook (cases
// routed by segment, a sharp-drop play capped at 2 a day, a detractor play), and the run's
// notification pass on the fake Slack. What fires, where it goes, what is merged, capped, held and
// cooled is counted by hand from the days written below.
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { storePlaybookVersion } from "../../src/db/repositories/playbooks.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { addBusinessDays } from "../../src/domain/schedule/business-days.ts";
import { dayToDate, formatDay, parseDay, type Day } from "../../src/domain/dates.ts";
import { parsePlaybook } from "../../src/domain/plays/parse-playbook.ts";
import { silentLogger } from "../../src/log.ts";
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";
import { escalateUnclaimed, reportBandChanges } from "../../src/services/at-risk-cases.ts";
import { buildDigest } from "../../src/services/build-digest.ts";
import { fireConnectorPlays } from "../../src/services/plays/connector-plays.ts";
import { deliverFires } from "../../src/services/plays/deliver-fires.ts";
import { createWebhookSecret, openWebhookSecret } from "../../src/services/plays/webhook-secret.ts";
import { deliverDueWebhooks } from "../../src/services/plays/webhooks.ts";
import { SecretBox } from "../../src/security/secret-box.ts";
import { firePlays } from "../../src/services/plays/fire-plays.ts";
import { listPlays } from "../../src/services/plays/list-plays.ts";
import { readTimeline } from "../../src/services/timeline.ts";
import { updateSettings } from "../../src/services/workspace-settings.ts";
import { SlackGateway, type WorkspaceSlack } from "../../src/slack/gateway.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { buildPlayWeek } from "../support/play-week.ts";
import { testRedisUrl, uniquePrefix } from "../support/queues.ts";

const TEAM = "T0PLAYS";
const TOKEN = "xoxb-plays";
const ALERTS = "C0ALERTS";
const ENTERPRISE = "C0ENT";
const DROPS = "C0DROPS";
const D = parseDay("2026-11-25")!; // a Wednesday
/** The run's day at 10:00 UTC: no quiet hours unless a test sets them. */
const NOON = new Date("2026-11-25T10:00:00Z");

const PLAYBOOK = `
name: team
plays:
  - key: enterprise_risk
    label: Enterprise at risk
    trigger: { band_entered: [lowest] }
    when: { segment: [enterprise] }
    actions:
      - open_case: { channel: ${ENTERPRISE}, owner: account_owner, due_business_days: 3, tasks: [Call the champion, Review usage] }
      - escalate: { after_business_days: 1, to: U0LEAD }
  - key: smb_risk
    trigger: { band_entered: [lowest] }
    when: { segment: [smb] }
    actions:
      - open_case: { channel: alert_channel }
  - key: sharp_drop
    label: Sharp drop
    trigger: { score_drop: { points: 10, within_days: 7 } }
    max_per_day: 2
    actions:
      - post: { channel: ${DROPS}, text: "{{account.name}}: {{trigger}}" }
      - dm_owner: { text: "{{account.name}} dropped: {{trigger}}" }
  - key: detractor
    label: Detractor
    trigger: { survey_answer: { survey: nps, at_most: 6 } }
    actions:
      - post: { channel: ${DROPS}, text: "{{account.name}}: {{trigger}}" }
`;

let db: TestDatabase;
let fake: FakeSlack;
let redis: Redis;
let slack: WorkspaceSlack;
let workspaceId: number;
let ids: Record<string, number>;

beforeAll(async () => {
  fake = await startFakeSlack({ tokens: [TOKEN] });
  for (const id of [ALERTS, ENTERPRISE, DROPS]) fake.addChannel({ id, name: id.toLowerCase() });
  for (const id of ["U0ALICE", "U0BOB", "U0LEAD"]) fake.addUser({ id, name: id.slice(2).toLowerCase() });
  redis = new Redis(testRedisUrl);
  slack = new SlackGateway({
    apiUrl: fake.apiUrl,
    timeoutMs: 5000,
    redis,
    keyPrefix: `${uniquePrefix()}:pace`,
    log: silentLogger,
    maxWaitMs: 5000,
  }).forToken(TOKEN, TEAM);
}, 60_000);

afterAll(async () => {
  redis?.disconnect();
  await fake?.close();
});

beforeEach(async () => {
  await db?.close();
  fake.reset?.();
  db = await createTestDatabase("postgres");
  const workspace = await ensureWorkspace(db.prisma, "plays");
  workspaceId = workspace.id;
  await db.prisma.workspace.update({ where: { id: workspaceId }, data: { slackTeamId: TEAM } });
  await updateSettings(db.prisma, workspaceId, { alert_channel: ALERTS, timezone: "UTC" }, "test");
  ({ ids, runId } = await buildPlayWeek(db.prisma, workspaceId, D));
  // The run started at 09:00 on its day, after the day's answers arrived (08:00).
  await db.prisma.recomputeRun.update({ where: { id: runId }, data: { startedAt: at(D, "09:00") } });
  await answer("Beta", 3, "too slow <!channel>");
  await answer("Acme", 2, null);
  await storePlaybookVersion(db.prisma, workspaceId, parsePlaybook(PLAYBOOK, "team.yaml"), PLAYBOOK, "test");
}, 60_000);

afterAll(async () => {
  await db?.close();
});

let runId: bigint;

const at = (day: Day, time: string) => new Date(`${formatDay(day)}T${time}:00Z`);

/** An NPS answer given at `given` and stored by css-bot at `arrived` (both on D, 08:00, by default). */
async function answer(
  name: string,
  score: number,
  comment: string | null,
  given = at(D, "08:00"),
  arrived = given,
) {
  await db.prisma.surveyResponse.create({
    data: {
      workspaceId,
      accountId: ids[name]!,
      survey: "nps",
      score,
      comment,
      respondedAt: given,
      createdAt: arrived,
      dedupeKey: `${name}-${score}-${given.toISOString()}`,
    },
  });
}

/** The notification pass as the job runs it: plays, the cases' threads, then the fires' delivery. */
async function notify(now = NOON, today: Day = D) {
  const fired = await firePlays(db, workspaceId, runId, now);
  const cases = await reportBandChanges(db.prisma, workspaceId, runId, slack, today, now);
  const delivered = await deliverFires(db.prisma, workspaceId, slack, today, now);
  return { fired, delivered, cases };
}

const texts = (channel: string): string[] => fake.messages(channel).map((m) => m.text ?? "");

describe("a team's playbook after a run", () => {
  it("routes cases by segment, caps the sharp drops, merges one account's messages, and does it once", async () => {
    const first = await notify();
    // Entering risk: Acme (enterprise_risk) and Gamma (smb_risk). Sharp drop decided for Acme (18),
    // Gamma (12) and Delta (11): the cap of 2 keeps the two with the highest MRR (Delta, Acme);
    // Gamma's is capped. Detractors: Beta (3) and Acme (2). 2 + 2 + 2 planned, 1 capped.
    expect(first.fired).toMatchObject({ planned: 6, capped: 1, held: 0, cooled: 0 });
    // Written in the order decided, across the statements they go in at once: the playbook's
    // order, and within a play the highest MRR first.
    const written = await db.prisma.playFire.findMany({
      where: { workspaceId, accountId: { not: null } },
      orderBy: { id: "asc" },
    });
    const order = parsePlaybook(PLAYBOOK, "team.yaml").plays.map((p) => p.key);
    const accounts = await db.prisma.account.findMany({ where: { workspaceId } });
    const mrr = new Map(accounts.map((a) => [a.id, Number(a.mrr ?? -1)]));
    const rank = written.map((f) => [order.indexOf(f.playKey), -mrr.get(f.accountId!)!, f.accountId!]);
    const byRank = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;
    expect(written).toHaveLength(6);
    expect(rank).toEqual([...rank].sort(byRank));

    // Cases: Acme (enterprise, at risk) in the enterprise channel, owned by its owner, due in 3
    // business days, with its checklist; Gamma (smb) in the alert channel, unowned. Delta is only in
    // caution: no case.
    const cases = await db.prisma.followUp.findMany({
      where: { workspaceId },
      orderBy: { accountId: "asc" },
    });
    expect(cases.map((c) => [c.accountId, c.playKey, c.channelId, c.ownerSlackUserId])).toEqual([
      [ids.Acme, "enterprise_risk", ENTERPRISE, "U0ALICE"],
      [ids.Gamma, "smb_risk", ALERTS, null],
    ]);
    expect(formatDay(Math.round(cases[0]!.dueDate!.getTime() / 86_400_000))).toBe(
      formatDay(addBusinessDays(D, 3)),
    );
    expect(fake.messages(ENTERPRISE)).toHaveLength(1);
    expect(JSON.stringify(fake.messages(ENTERPRISE)[0]!.blocks)).toContain("Call the champion");
    expect(fake.messages(ALERTS).map((m) => m.text)).toEqual([expect.stringContaining("Gamma")]);

    // The drops channel: Delta's drop; Acme's drop and detractor merged into one message; Beta's
    // detractor (its comment escaped); and one summary naming Gamma.
    const drops = texts(DROPS);
    expect(drops).toHaveLength(4);
    const acme = drops.filter((t) => t.includes("Acme"));
    expect(acme).toHaveLength(1);
    expect(acme[0]).toMatch(/Sharp drop[\s\S]*Detractor/);
    expect(drops.find((t) => t.includes("Beta"))).toContain("&lt;!channel&gt;");
    expect(drops.find((t) => t.includes("Gamma"))).toMatch(/1 more account/);
    // Acme's owner is told in a DM; Delta has no owner matched to Slack.
    expect(fake.messages("U0ALICE").map((m) => m.text)).toEqual([expect.stringContaining("Acme dropped")]);

    // The same run's pass again (a retried job): nothing new is fired, posted or opened.
    const posts = fake.callsTo("chat.postMessage").length;
    const again = await notify();
    expect(again.fired).toMatchObject({ planned: 0, capped: 0, held: 0 });
    expect(fake.callsTo("chat.postMessage").length).toBe(posts);
    expect(await db.prisma.followUp.count({ where: { workspaceId } })).toBe(2);

    // Gamma's play has no escalate action: never escalated. Acme's is owned: not unclaimed.
    expect(await escalateUnclaimed(db.prisma, workspaceId, slack, D + 10)).toBe(0);
  });

  it("merges an account's messages when more fires than one pass claims lie between them", async () => {
    await firePlays(db, workspaceId, runId, NOON);
    await reportBandChanges(db.prisma, workspaceId, runId, slack, D, NOON);
    // A busy day: the detractors' fires come 600 due fires after Acme's drop (another play's,
    // without an account here, so nothing else is posted), more than one pass claims (500).
    await db.prisma.$executeRawUnsafe(
      `UPDATE play_fires SET id = id + 1000000 WHERE workspace_id = $1 AND play_key = 'detractor'`,
      workspaceId,
    );
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO play_fires (id, workspace_id, play_key, subject, local_date, trigger, status)
       SELECT 500000 + g, $1, 'busy_day', 'connector:' || g, $2::date, '{"kind": "connector_failed"}', 'planned'
       FROM generate_series(1, 600) AS g`,
      workspaceId,
      formatDay(D),
    );
    let passes = 0;
    while ((await deliverFires(db.prisma, workspaceId, slack, D, NOON)).fires > 0) passes++;
    expect(passes).toBe(2);
    // Acme's drop and detractor in one message, as on a quiet day.
    const acme = texts(DROPS).filter((t) => t.includes("Acme"));
    expect(acme).toHaveLength(1);
    expect(acme[0]).toMatch(/Sharp drop[\s\S]*Detractor/);
    expect(texts(DROPS).filter((t) => t.includes("Beta"))).toHaveLength(1);
  });

  it("records each fire once when one of the statements writing them fails and the job is retried", async () => {
    // The detractors' fires (in the second of the two statements) refused once, as an outage would.
    await db.prisma.$executeRawUnsafe(`CREATE TABLE refuse_once (x int)`);
    await db.prisma.$executeRawUnsafe(`INSERT INTO refuse_once VALUES (1)`);
    await db.prisma.$executeRawUnsafe(
      `CREATE FUNCTION refuse_detractors() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.play_key = 'detractor' AND EXISTS (SELECT 1 FROM refuse_once) THEN
           RAISE EXCEPTION 'refused once';
         END IF;
         RETURN NEW;
       END $$`,
    );
    await db.prisma.$executeRawUnsafe(
      `CREATE TRIGGER refuse_detractors BEFORE INSERT ON play_fires FOR EACH ROW EXECUTE FUNCTION refuse_detractors()`,
    );
    await expect(firePlays(db, workspaceId, runId, NOON)).rejects.toThrow(/refused once/);
    const firstTry = await db.prisma.playFire.count({ where: { workspaceId, accountId: { not: null } } });
    expect(firstTry).toBeGreaterThan(0);
    expect(firstTry).toBeLessThan(6);
    await db.prisma.$executeRawUnsafe(`DELETE FROM refuse_once`);
    // The retry records the rest, and nothing twice: the same fires and capped row as one pass.
    const retry = await firePlays(db, workspaceId, runId, NOON);
    expect(retry.planned).toBe(6 - firstTry);
    const fires = await db.prisma.playFire.findMany({ where: { workspaceId }, orderBy: { id: "asc" } });
    expect(fires.filter((f) => f.accountId !== null)).toHaveLength(6);
    const capped = fires.filter((f) => f.subject === "capped");
    expect(capped.map((f) => (f.trigger as { accounts: number[] }).accounts)).toEqual([[ids.Gamma]]);
  });

  it("holds messages through quiet hours and sends them once the hours end", async () => {
    const quiet = PLAYBOOK.replace("name: team", 'name: team\nquiet_hours: { from: "19:00", to: "08:00" }');
    await storePlaybookVersion(db.prisma, workspaceId, parsePlaybook(quiet, "quiet.yaml"), quiet, "test");
    const night = new Date("2026-11-25T22:30:00Z");
    const held = await notify(night);
    expect(held.fired).toMatchObject({ planned: 0, held: 6, capped: 1 });
    expect(texts(DROPS)).toEqual([]);
    expect(fake.messages("U0ALICE")).toEqual([]);
    // The cases are open (the accounts are at risk), their threads wait for the morning too.
    expect(await db.prisma.followUp.count({ where: { workspaceId } })).toBe(2);
    expect(fake.messages(ENTERPRISE)).toEqual([]);
    // 07:59 the next day: still quiet. 08:00: delivered.
    await deliverFires(db.prisma, workspaceId, slack, D + 1, new Date("2026-11-26T07:59:00Z"));
    expect(texts(DROPS)).toEqual([]);
    await reportBandChanges(db.prisma, workspaceId, null, slack, D + 1, new Date("2026-11-26T07:59:00Z"));
    expect(fake.messages(ENTERPRISE)).toEqual([]);
    const morning = new Date("2026-11-26T08:00:00Z");
    await deliverFires(db.prisma, workspaceId, slack, D + 1, morning);
    await reportBandChanges(db.prisma, workspaceId, null, slack, D + 1, morning);
    expect(texts(DROPS).filter((t) => !/more account/.test(t))).toHaveLength(3);
    expect(fake.messages(ENTERPRISE)).toHaveLength(1);
  });

  it("keeps a play silent for an account through its cooldown", async () => {
    const cool = PLAYBOOK.replace("max_per_day: 2", "max_per_day: 2\n    cooldown_days: 7");
    await storePlaybookVersion(db.prisma, workspaceId, parsePlaybook(cool, "cool.yaml"), cool, "test");
    // Acme's sharp drop fired 3 days ago: within 7 days, so not today; Gamma now takes the second place.
    await db.prisma.playFire.create({
      data: {
        workspaceId,
        playKey: "sharp_drop",
        subject: `account:${ids.Acme}`,
        accountId: ids.Acme!,
        localDate: dayToDate(D - 3),
        trigger: { kind: "score_drop" },
        status: "delivered",
      },
    });
    const result = await notify();
    expect(result.fired).toMatchObject({ cooled: 1, capped: 0 });
    const today = await db.prisma.playFire.findMany({
      where: { workspaceId, playKey: "sharp_drop", localDate: dayToDate(D) },
      orderBy: { accountId: "asc" },
    });
    expect(today.map((f) => f.accountId).sort()).toEqual([ids.Gamma, ids.Delta].sort());
  });

  it("tells each survey answer at the first run after it arrived: given after the day's run, or days late", async () => {
    // Arrived after D's run (09:00): given at 15:00, and given 3 days earlier but delivered at 20:00
    // by a warehouse; and one that arrives during D+1's run.
    await answer("Gamma", 4, "worse since the update", at(D, "15:00"), at(D, "15:05"));
    await answer("Delta", 5, "late from the warehouse", at(D - 3, "10:00"), at(D, "20:00"));
    await answer("Beta", 1, "for the run after", at(D + 1, "05:00"), at(D + 1, "06:30"));
    const detractors = async (day: Day) =>
      (
        await db.prisma.playFire.findMany({
          where: { workspaceId, playKey: "detractor", localDate: dayToDate(day) },
          orderBy: { accountId: "asc" },
        })
      ).map((f) => [
        names.get(f.accountId!),
        (f.trigger as { answers: { score: number }[] }).answers.map((a) => a.score),
      ]);
    const names = new Map(Object.entries(ids).map(([n, id]) => [id, n]));
    await firePlays(db, workspaceId, runId, NOON);
    // D's run: the answers that had arrived when it started.
    expect(await detractors(D)).toEqual([
      ["Acme", [2]],
      ["Beta", [3]],
    ]);
    // A run as of D+1 that started at `time` (succeeded).
    const runOf = (slot: string, time: string) =>
      db.prisma.recomputeRun.create({
        data: { workspaceId, slot, asOf: dayToDate(D + 1), status: "succeeded", startedAt: at(D + 1, time) },
      });
    // D+1's run, at 06:00: the day's snapshots as D's (nothing else moved).
    const next = await runOf("d+1", "06:00");
    await db.sql.query(
      `INSERT INTO score_snapshots (account_id, as_of, workspace_id, score, band, coverage, components, run_id, model_id)
       SELECT account_id, as_of + 1, workspace_id, score, band, coverage, components, $2, model_id
       FROM score_snapshots WHERE workspace_id = $1 AND as_of = $3::date`,
      [workspaceId, next.id, formatDay(D)],
    );
    await firePlays(db, workspaceId, next.id, at(D + 1, "10:00"));
    // Told once each: Gamma's and Delta's, not Acme's or Beta's again, nor Beta's of 06:30 yet.
    expect(await detractors(D + 1)).toEqual(
      [
        ["Gamma", [4]],
        ["Delta", [5]],
      ].sort((a, b) => ids[a[0] as string]! - ids[b[0] as string]!),
    );
    // The run after tells Beta's, though a run at 07:00 came between: one whose plays nobody evaluated
    // (a recompute typed by hand while Redis was down) does not swallow the answers before it.
    const byHand = await runOf("d+1-by-hand", "07:00");
    const third = await runOf("d+1b", "12:00");
    await db.prisma.playFire.deleteMany({ where: { workspaceId, localDate: dayToDate(D + 1) } });
    await firePlays(db, workspaceId, third.id, at(D + 1, "12:30"));
    expect(await detractors(D + 1)).toEqual([["Beta", [1]]]);
    const evaluated = await db.prisma.recomputeRun.findMany({
      where: { id: { in: [runId, next.id, byHand.id, third.id] } },
      orderBy: { startedAt: "asc" },
    });
    expect(evaluated.map((r) => [r.slot, r.playsEvaluatedAt !== null])).toEqual([
      ["d", true],
      ["d+1", true],
      ["d+1-by-hand", false],
      ["d+1b", true],
    ]);
  });

  it("keeps a day's capped accounts in one row: a later run's added once, named by MRR, counted, on the timeline", async () => {
    const store = async (playbook: string) =>
      storePlaybookVersion(db.prisma, workspaceId, parsePlaybook(playbook, "capped.yaml"), playbook, "test");
    await store(PLAYBOOK.replace("max_per_day: 2", "max_per_day: 1"));
    // Sharp drops decided: Delta (MRR 20,000), Acme (5,000), Gamma (900). The cap of 1 fires Delta's;
    // with the two cases and the two detractors, 5 planned.
    const first = await firePlays(db, workspaceId, runId, NOON);
    expect(first).toMatchObject({ planned: 5, capped: 2 });
    const cappedRows = () =>
      db.prisma.playFire.findMany({ where: { workspaceId, status: "capped" }, orderBy: { id: "asc" } });
    const firstRows = await cappedRows();
    expect(firstRows.map((r) => [r.playKey, r.subject, r.accountId])).toEqual([
      ["sharp_drop", "capped", null],
    ]);
    expect(firstRows[0]!.trigger).toMatchObject({
      kind: "capped",
      accounts: [ids.Acme, ids.Gamma],
      triggers: {
        [ids.Acme!]: { kind: "score_drop", points: 18 },
        [ids.Gamma!]: { kind: "score_drop", points: 12 },
      },
    });

    // A later run of the day, the play now taking falls of 6 points, Beta's (its MRR now 3,000) too: the cap
    // is full (Delta's fire), Beta joins the day's capped row, Acme and Gamma are not added again.
    await store(PLAYBOOK.replace("max_per_day: 2", "max_per_day: 1").replace("points: 10", "points: 6"));
    await db.prisma.account.update({ where: { id: ids.Beta! }, data: { mrr: 3000 } });
    const later = new Date(NOON.getTime() + 3600_000);
    const second = await firePlays(db, workspaceId, runId, later);
    expect(second).toMatchObject({ planned: 0, held: 0, capped: 1 });
    const rows = await cappedRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.trigger).toMatchObject({ accounts: [ids.Acme, ids.Gamma, ids.Beta] });
    expect(Object.keys((rows[0]!.trigger as { triggers: object }).triggers)).toHaveLength(3);

    // The day's summary names the three, highest MRR first.
    await deliverFires(db.prisma, workspaceId, slack, D, later);
    expect(texts(DROPS).filter((t) => /more account/.test(t))).toEqual([
      expect.stringContaining(
        "3 more accounts fired Sharp drop today (the limit is 1 a day): Acme, Beta, Gamma",
      ),
    ]);
    // `/css plays`: one fire on one account, 3 capped.
    const listed = await listPlays(db, workspaceId, { today: D, preview: false });
    expect(listed.plays.find((p) => p.key === "sharp_drop")).toMatchObject({
      fires: 1,
      accounts: 1,
      capped: 3,
    });
    // Gamma's timeline tells of its capped fire, with its trigger.
    const timeline = await readTimeline(db.prisma, workspaceId, ids.Gamma!, { limit: 50 });
    const gamma = timeline.filter((e) => e.kind === "play_fired" && e.details.playKey === "sharp_drop");
    expect(gamma).toHaveLength(1);
    expect(gamma[0]!.text).toMatch(/^Play sharp_drop: score fell 12 points.*\(capped\)$/);
    expect(gamma[0]!.details).toMatchObject({
      status: "capped",
      trigger: { kind: "score_drop", points: 12 },
    });

    // The cap raised later that day: the accounts it held back stay held back for the day.
    await store(PLAYBOOK.replace("max_per_day: 2", "max_per_day: 10").replace("points: 10", "points: 6"));
    const third = await firePlays(db, workspaceId, runId, new Date(later.getTime() + 3600_000));
    expect(third).toMatchObject({ planned: 0, capped: 0 });
    expect(await cappedRows()).toEqual(rows);
  });

  it("opens an edge play's case with its owner and reason, replies in it, and escalates it to the play's lead", async () => {
    const edge = `
name: edge
plays:
  - key: drop_case
    label: Sharp drop
    trigger: { score_drop: { points: 10, within_days: 7 } }
    when: { segment: [enterprise] }
    actions:
      - open_case: { channel: ${DROPS}, tasks: [Call the champion] }
      - escalate: { after_business_days: 1, to: U0LEAD }
  - key: detractor
    trigger: { survey_answer: { survey: nps, at_most: 6 } }
    actions:
      - reply_in_case: { text: "New answer: {{trigger}}" }
`;
    await storePlaybookVersion(db.prisma, workspaceId, parsePlaybook(edge, "edge.yaml"), edge, "test");
    await notify();
    // Acme and Delta (enterprise, fell 18 and 11) get a case each, in the drops channel, saying why.
    const cases = await db.prisma.followUp.findMany({
      where: { workspaceId },
      orderBy: { accountId: "asc" },
    });
    expect(cases.map((c) => [c.accountId, c.playKey, c.channelId])).toEqual([
      [ids.Acme, "drop_case", DROPS],
      [ids.Delta, "drop_case", DROPS],
    ]);
    const parents = fake.messages(DROPS).filter((m) => !m.thread_ts || m.thread_ts === m.ts);
    expect(parents).toHaveLength(2);
    expect(JSON.stringify(parents[0]!.blocks)).toMatch(/Sharp drop, score fell \d+ points in 7 days/);
    // Acme's detractor answer replies in its case (the next pass: its thread now exists).
    await db.prisma.playFire.updateMany({
      where: { workspaceId, playKey: "detractor" },
      data: { status: "planned" },
    });
    await deliverFires(db.prisma, workspaceId, slack, D, NOON);
    const acmeCase = cases[0]!;
    const thread = await db.prisma.followUp.findUniqueOrThrow({ where: { id: acmeCase.id } });
    const replies = fake
      .messages(DROPS)
      .filter((m) => m.thread_ts === thread.threadTs && m.ts !== thread.threadTs);
    expect(replies.map((r) => r.text)).toEqual([expect.stringMatching(/^New answer: NPS 2/)]);
    // Unclaimed a business day after its thread: escalated once, to the play's lead.
    expect(await escalateUnclaimed(db.prisma, workspaceId, slack, D + 1)).toBe(2);
    expect(await escalateUnclaimed(db.prisma, workspaceId, slack, D + 5)).toBe(0);
    expect(fake.messages(DROPS).filter((m) => /<@U0LEAD>/.test(m.text ?? ""))).toHaveLength(2);
  });

  it("fires band_left, component, no_data and renewal plays on the days they become true", async () => {
    await db.prisma.account.update({ where: { id: ids.Beta! }, data: { renewalDate: dayToDate(D + 60) } });
    // Delta's usage was last observed 14 days ago (quiet since); Beta's yesterday.
    await db.prisma.metricObservation.createMany({
      data: [
        {
          workspaceId,
          accountId: ids.Delta!,
          metric: "weekly_active_users",
          observedOn: dayToDate(D - 14),
          value: 5,
          source: "import",
        },
        {
          workspaceId,
          accountId: ids.Beta!,
          metric: "weekly_active_users",
          observedOn: dayToDate(D - 1),
          value: 5,
          source: "import",
        },
      ],
    });
    const kinds = `
name: kinds
plays:
  - key: left_healthy
    trigger: { band_left: [healthy] }
    actions: [ { post: { channel: ${DROPS}, text: "{{account.name}} left healthy" } } ]
  - key: low_usage
    trigger: { component: { key: usage, below: 70 } }
    actions: [ { post: { channel: ${DROPS}, text: "{{account.name}} usage low" } } ]
  - key: quiet
    trigger: { no_data: { metric: weekly_active_users, days: 14 } }
    actions: [ { post: { channel: ${DROPS}, text: "{{account.name}} quiet" } } ]
  - key: renewal
    trigger: { renewal: { within_days: 60, bands: [caution, lowest] } }
    actions: [ { post: { channel: ${DROPS}, text: "{{account.name}} renews" } } ]
`;
    await storePlaybookVersion(db.prisma, workspaceId, parsePlaybook(kinds, "kinds.yaml"), kinds, "test");
    await notify();
    const fires = await db.prisma.playFire.findMany({
      where: { workspaceId },
      orderBy: [{ playKey: "asc" }, { accountId: "asc" }],
    });
    const name = Object.fromEntries(Object.entries(ids).map(([n, id]) => [id, n]));
    expect(fires.map((f) => `${f.playKey} ${name[f.accountId!]}`)).toEqual([
      // Acme (86 -> 68) and Delta (90 -> 79) left healthy.
      "left_healthy Acme",
      "left_healthy Delta",
      // Usage's sub-score (the score, in this history) came below 70: Acme 68, Gamma 66.
      "low_usage Acme",
      "low_usage Gamma",
      // Delta: 14 days without weekly_active_users today, 13 yesterday.
      "quiet Delta",
      // Beta renews in 60 days, while caution: today it entered the 60-day window (61 yesterday).
      "renewal Beta",
    ]);
    // One message per account: Acme's two plays in one, Delta's two in one, Gamma's, Beta's.
    expect(texts(DROPS)).toHaveLength(4);
    expect(texts(DROPS).find((t) => t.includes("Acme left healthy"))).toContain("Acme usage low");
  });

  it("calls a play's webhook signed with the workspace's secret, and keeps a move out of the digest", async () => {
    const box = new SecretBox(Buffer.alloc(32, 7));
    const { secret } = await createWebhookSecret(db.prisma, box, workspaceId, {
      rotate: false,
      actor: "test",
    });
    const received: { body: string; ok: boolean }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const expected = `v1=${createHmac("sha256", secret)
          .update(`${String(req.headers["x-css-timestamp"])}.${body}`)
          .digest("hex")}`;
        received.push({ body, ok: req.headers["x-css-signature"] === expected });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const hooked = `
name: hooked
plays:
  - key: risk_hook
    trigger: { band_entered: [lowest] }
    actions:
      - webhook: { url: "${url}" }
      - digest: exclude
`;
    try {
      await storePlaybookVersion(
        db.prisma,
        workspaceId,
        parsePlaybook(hooked, "hooked.yaml"),
        hooked,
        "test",
      );
      await notify();
      const opened = await openWebhookSecret(db.prisma, box, workspaceId);
      await deliverDueWebhooks(db.prisma, workspaceId, { secret: opened, timeoutMs: 2000 });
      // Acme and Gamma entered at_risk: one signed call each, with the account and its MRR (a system,
      // not a channel), and the trigger's facts.
      expect(received.map((r) => r.ok)).toEqual([true, true]);
      const bodies = received.map(
        (r) => JSON.parse(r.body) as { play: { key: string }; account: { name: string; mrr: number } },
      );
      expect(bodies.map((b) => [b.play.key, b.account.name, b.account.mrr]).sort()).toEqual([
        ["risk_hook", "Acme", 5000],
        ["risk_hook", "Gamma", 900],
      ]);
      // The digest leaves Acme's and Gamma's moves out; Delta's move to caution stays in.
      const digest = await buildDigest(db.prisma, workspaceId, D, null);
      const listed = [digest.changes.atRisk, digest.changes.caution, digest.changes.recovered].flatMap((g) =>
        g.shown.map((c) => c.accountId),
      );
      expect(listed).toEqual([ids.Delta]);
      // Its settling still covers them, so they are not reported the next day either.
      expect(digest.settles.ids).toHaveLength(3);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("tells the admins when a connector's sync fails for good, once a day", async () => {
    const ops = `
name: ops
plays:
  - key: connector_down
    label: Connector failing
    trigger: { connector_failed: {} }
    respect_quiet_hours: false
    actions:
      - post: { channel: ${DROPS}, text: "{{trigger}}" }
`;
    await storePlaybookVersion(db.prisma, workspaceId, parsePlaybook(ops, "ops.yaml"), ops, "test");
    const connector = { id: 77, name: "billing <!here>", kind: "stripe", error: "HTTP 500 from Stripe" };
    await db.prisma.connectorConfig.create({
      data: { id: 77, workspaceId, kind: "stripe", name: connector.name },
    });
    expect(await fireConnectorPlays(db.prisma, workspaceId, connector, NOON)).toBe(1);
    expect(await fireConnectorPlays(db.prisma, workspaceId, connector, NOON)).toBe(0);
    await deliverFires(db.prisma, workspaceId, slack, D, NOON);
    expect(texts(DROPS)).toHaveLength(1);
    expect(texts(DROPS)[0]).toContain("billing &lt;!here&gt;");
  });

  it("fails a fire whose channel Slack refuses, audit-logged, and delivers the others", async () => {
    const gone = `
name: gone
plays:
  - key: to_nowhere
    trigger: { survey_answer: { survey: nps, at_most: 6 } }
    when: { segment: [smb] }
    actions: [ { post: { channel: C0GONE, text: "{{account.name}}" } } ]
  - key: to_drops
    trigger: { score_drop: { points: 10, within_days: 7 } }
    actions: [ { post: { channel: ${DROPS}, text: "{{account.name}}: {{trigger}}" } } ]
`;
    await storePlaybookVersion(db.prisma, workspaceId, parsePlaybook(gone, "gone.yaml"), gone, "test");
    // No error escapes: the notification job would go on to escalations and watchers.
    await notify();
    const fires = await db.prisma.playFire.findMany({ where: { workspaceId }, orderBy: { id: "asc" } });
    expect(fires.filter((f) => f.playKey === "to_nowhere").map((f) => [f.status, f.error])).toEqual([
      ["failed", expect.stringContaining("channel_not_found")],
    ]);
    expect(fires.filter((f) => f.playKey === "to_drops").every((f) => f.status === "delivered")).toBe(true);
    expect(texts(DROPS)).toHaveLength(3);
    const logged = await db.prisma.auditLogEntry.findFirst({
      where: { workspaceId, action: "slack.delivery_failed" },
    });
    expect(logged).toMatchObject({
      target: "play:to_nowhere",
      details: { error: "channel_not_found", channel: "C0GONE" },
    });
    // Not tried again by the next pass.
    const calls = fake.callsTo("chat.postMessage").length;
    await deliverFires(db.prisma, workspaceId, slack, D, NOON);
    expect(fake.callsTo("chat.postMessage").length).toBe(calls);
  });

  it("posts a message whose answer was lost once: the next claim finds it instead of posting again", async () => {
    const once = `
name: once
plays:
  - key: detractor
    trigger: { survey_answer: { survey: nps, at_most: 6 } }
    when: { segment: [smb] }
    actions: [ { post: { channel: ${DROPS}, text: "{{account.name}}: {{trigger}}" } } ]
`;
    await storePlaybookVersion(db.prisma, workspaceId, parsePlaybook(once, "once.yaml"), once, "test");
    await firePlays(db, workspaceId, runId, NOON);
    // Slack stores the post, then answers after the client gave up (1 s): the outcome is unknown.
    const impatient = new SlackGateway({
      apiUrl: fake.apiUrl,
      timeoutMs: 1000,
      redis,
      keyPrefix: `${uniquePrefix()}:pace`,
      log: silentLogger,
      maxWaitMs: 5000,
    }).forToken(TOKEN, TEAM);
    fake.setSlowAfterCommit(1500);
    try {
      await expect(deliverFires(db.prisma, workspaceId, impatient, D, NOON)).rejects.toThrow();
    } finally {
      fake.setSlowAfterCommit(0);
    }
    expect(texts(DROPS)).toHaveLength(1);
    // Within the claim's two minutes, another pass leaves the fire alone; after them, it looks first.
    await deliverFires(db.prisma, workspaceId, slack, D, new Date(NOON.getTime() + 60_000));
    await deliverFires(db.prisma, workspaceId, slack, D, new Date(NOON.getTime() + 3 * 60_000));
    expect(texts(DROPS)).toHaveLength(1);
    const fire = await db.prisma.playFire.findFirstOrThrow({ where: { workspaceId, playKey: "detractor" } });
    expect(fire.status).toBe("delivered");
  });
});
