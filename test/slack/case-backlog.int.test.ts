// Accounts already at risk get their cases too: at their first score (which is no band change) and
// when alerts are first configured. A backlog is triaged, not dumped: at most case_threads_per_day
// threads in any 24 hours, highest MRR first, with one notice a day saying how many wait. The cap
// is 5 here (default 25), so the real pacing of posts (one a second per channel) keeps the test short.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { parseDay } from "../../src/domain/dates.ts";
import { silentLogger } from "../../src/log.ts";
import { reportBandChanges } from "../../src/services/at-risk-cases.ts";
import { updateSettings } from "../../src/services/workspace-settings.ts";
import { SlackGateway, type WorkspaceSlack } from "../../src/slack/gateway.ts";
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { testRedisUrl, uniquePrefix } from "../support/queues.ts";

const ALERTS = "C0ALERTS";
const TEAM = "T0TEST";
const TODAY = parseDay("2026-11-25")!;
const DAY_MS = 86_400_000;
const T0 = new Date("2026-11-25T09:00:00Z");

let db: TestDatabase;
let fake: FakeSlack;
let redis: Redis;
let slack: WorkspaceSlack;
let workspaceId: number;

beforeAll(async () => {
  db = await createTestDatabase("postgres");
  fake = await startFakeSlack({ tokens: ["xoxb-test"] });
  fake.addChannel({ id: ALERTS, name: "cs-alerts" });
  redis = new Redis(testRedisUrl);
  // Pacing only matters against the real Slack; 60 posts here should not take a minute.
  slack = new SlackGateway({
    apiUrl: fake.apiUrl,
    timeoutMs: 5000,
    redis,
    keyPrefix: `${uniquePrefix()}:pace`,
    log: silentLogger,
    maxWaitMs: 5000,
  }).forToken("xoxb-test", TEAM);
  const workspace = await ensureWorkspace(db.prisma, "acme");
  workspaceId = workspace.id;
  await db.prisma.workspace.update({ where: { id: workspaceId }, data: { slackTeamId: TEAM } });
  // 12 accounts scored for the first time, already at risk: no band change says so. MRR 1,000 to
  // 12,000, in an order unrelated to their ids. Plus healthy accounts, which get nothing.
  await db.prisma.account.createMany({
    data: [
      ...Array.from({ length: 12 }, (_, i) => ({
        workspaceId,
        externalId: `risk-${i}`,
        name: `Risky ${i}`,
        mrr: ((i * 7) % 12) * 1000 + 1000,
        currentBand: "at_risk",
        currentScore: 40 + (i % 20),
      })),
      ...Array.from({ length: 10 }, (_, i) => ({
        workspaceId,
        externalId: `fine-${i}`,
        name: `Fine ${i}`,
        mrr: 99_000,
        currentBand: "healthy",
        currentScore: 90,
      })),
    ],
  });
}, 60_000);

afterAll(async () => {
  redis?.disconnect();
  await fake?.close();
  await db?.close();
});

const parents = () => fake.messages(ALERTS).filter((m) => !m.thread_ts && m.text?.includes("Risky"));
const notices = () => fake.messages(ALERTS).filter((m) => m.text?.includes("waiting for a thread"));
const pass = (at: Date) => reportBandChanges(db.prisma, workspaceId, null, slack, TODAY, at);

describe("the at-risk backlog", () => {
  it("opens a case for every account already at risk, with no thread while alerts are off", async () => {
    const summary = await pass(T0);
    expect(summary).toMatchObject({ opened: 12, waiting: 12 });
    expect(await db.prisma.followUp.count({ where: { workspaceId, status: "open" } })).toBe(12);
    expect(fake.messages(ALERTS)).toEqual([]);
    // Exactly one case each, however often it runs.
    expect((await pass(T0)).opened).toBe(0);
    expect(await db.prisma.followUp.count({ where: { workspaceId } })).toBe(12);
  });

  it("once alerts are set: 5 threads, highest MRR first, and one notice for the other 7", async () => {
    await updateSettings(db.prisma, workspaceId, { alert_channel: ALERTS, case_threads_per_day: 5 }, "test");
    const summary = await pass(T0);
    expect(summary).toMatchObject({ opened: 0, waiting: 7 });
    expect(parents()).toHaveLength(5);
    const mrrs = await Promise.all(
      parents().map(async (m) => {
        const c = await db.prisma.followUp.findFirstOrThrow({
          where: { workspaceId, threadTs: m.ts },
          include: { account: true },
        });
        return Number(c.account.mrr);
      }),
    );
    expect(mrrs).toEqual([...mrrs].sort((a, b) => b - a));
    expect(Math.min(...mrrs)).toBe(8_000); // the 5 largest of 1,000 ... 12,000
    expect(notices()).toHaveLength(1);
    expect(notices()[0]!.text).toContain("7 more accounts are at risk");
    expect(notices()[0]!.text).toContain("Threads open 5 a day");
    expect(notices()[0]!.text).toContain("`/css at-risk`");
  });

  it("paces the rest: nothing more the same day, 5 the next, the last 2 the day after", async () => {
    await pass(new Date(T0.getTime() + 3_600_000));
    expect(parents()).toHaveLength(5);
    expect(notices()).toHaveLength(1);
    const nextDay = await reportBandChanges(
      db.prisma,
      workspaceId,
      null,
      slack,
      TODAY + 1,
      new Date(T0.getTime() + DAY_MS + 60_000),
    );
    expect(nextDay.waiting).toBe(2);
    expect(parents()).toHaveLength(10);
    expect(notices()).toHaveLength(2);
    expect(notices()[1]!.text).toContain("2 more accounts are at risk");
    const third = await reportBandChanges(
      db.prisma,
      workspaceId,
      null,
      slack,
      TODAY + 2,
      new Date(T0.getTime() + 2 * DAY_MS + 120_000),
    );
    expect(third.waiting).toBe(0);
    expect(parents()).toHaveLength(12);
    expect(notices()).toHaveLength(2);
    // Every case has its own thread, and no account has two.
    const cases = await db.prisma.followUp.findMany({ where: { workspaceId } });
    expect(new Set(cases.map((c) => c.threadTs)).size).toBe(12);
    expect(new Set(cases.map((c) => c.accountId)).size).toBe(12);
  });

  it("never posts a case twice when two notification passes run at once", async () => {
    await db.prisma.account.createMany({
      data: Array.from({ length: 5 }, (_, i) => ({
        workspaceId,
        externalId: `late-${i}`,
        name: `Risky late ${i}`,
        mrr: 500,
        currentBand: "at_risk",
        currentScore: 30,
      })),
    });
    const at = new Date(T0.getTime() + 4 * DAY_MS);
    await Promise.all([pass(at), pass(at), pass(at)]);
    expect(parents()).toHaveLength(17);
    expect(await db.prisma.followUp.count({ where: { workspaceId } })).toBe(17);
  });
});
