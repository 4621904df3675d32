// A team's first two weeks with css-bot, lived end to end on the real stack: `css-bot start` (web
// and worker in one process, as docs/slack.md's install steps run it) on PostgreSQL and on the embedded
// database, the real Redis, and the fake Slack over HTTP. The install steps (docs/slack.md) run in their
// order (start, then settings while it runs, then doctor); then fourteen days pass, each recomputed
// with `--as-of` (one of them three times), a digest on every weekday, people clicking Resolve,
// Snooze and Assign in the running bot. Everything is judged from what Slack received, and the alert
// volume per day is printed (BENCHMARKS.md keeps it).
//
// The portfolio (model: score = the account's `health` metric, last value of 3 days):
//   30 accounts at risk on day 1 (a backlog: 25 threads that day, highest MRR first, 5 the next)
//   Acme     falls: caution on day 3, at risk on day 5
//   Bravo    at risk, recovers on day 4, falls back on day 8 (the same thread: "Back at risk")
//   Charlie  at risk, resolved on day 2, slides 5 points (quiet), then 12 below its closing score
//            on day 6 (a new case)
//   Delta    at risk, snoozed on day 2, slides further (quiet)
//   Echo     dips into risk on Saturday only (the Monday digest nets it to nothing)
//   Golf     healthy on Friday, caution on Saturday, at risk on Sunday (one line on Monday)
//   Foxtrot  healthy throughout
// Day 10 has no data at all (scores hold: the window is 3 days). The clock: the running process
// uses the real date, so at the end of each day the test moves the cases' times one day back, as a
// day passing would.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/client.ts";
import { formatDay, parseDay, type Day } from "../../src/domain/dates.ts";
import { ACTIONS } from "../../src/slack/ids.ts";
import { startFakeSlack, type FakeMessage, type FakeSlack } from "../../src/sandbox/slack-api.ts";
import { runCli } from "../support/cli.ts";
import { spawnCssBot, type CssBotProcess } from "../support/processes.ts";
import { createTestDatabase, type Backend, type TestDatabase } from "../support/databases.ts";
import { tempDir } from "../support/files.ts";
import { openTestQueues, testRedisUrl, waitFor } from "../support/queues.ts";
import { postSigned, SIGNING_SECRET } from "../support/slack-requests.ts";

const TEAM = "T0TEST";
const TOKEN = "xoxb-test";
const ALERTS = "C0ALERTS";
const DIGEST = "C0DIGEST";
const LEAD = "U0LEAD";
const PEOPLE = { ann: "U0ANN", bob: "U0BOB", alice: "U0ALICE", lead: LEAD };
const FIRST_DAY = parseDay("2026-11-02")!; // a Monday
const DAYS = 14;
const NO_DATA_DAY = 10;
const REPEATED_DAY = 4;

interface Account {
  id: string;
  name: string;
  mrr: number;
  owner: string;
  score(day: number): number;
}

const named: Account[] = [
  {
    id: "ACME",
    name: "Acme Journey",
    mrr: 20_000,
    owner: "bob",
    score: (d) => (d <= 2 ? 90 : d <= 4 ? 75 : 60),
  },
  {
    id: "BRAVO",
    name: "Bravo Journey",
    mrr: 90_000,
    owner: "bob",
    score: (d) => (d <= 3 ? 60 : d <= 7 ? 85 : 55),
  },
  {
    id: "CHARLIE",
    name: "Charlie Journey",
    mrr: 80_000,
    owner: "bob",
    score: (d) => (d <= 2 ? 50 : d === 3 ? 48 : d <= 5 ? 45 : 38),
  },
  {
    id: "DELTA",
    name: "Delta Journey",
    mrr: 70_000,
    owner: "bob",
    score: (d) => (d <= 2 ? 65 : d <= 4 ? 62 : 58),
  },
  { id: "ECHO", name: "Echo Journey", mrr: 15_000, owner: "bob", score: (d) => (d === 6 ? 65 : 88) },
  { id: "FOXTROT", name: "Foxtrot Journey", mrr: 10_000, owner: "bob", score: () => 92 },
  {
    id: "GOLF",
    name: "Golf Journey",
    mrr: 12_000,
    owner: "bob",
    score: (d) => (d <= 5 ? 85 : d === 6 ? 76 : 66),
  },
];
const backlog: Account[] = Array.from({ length: 27 }, (_, i) => ({
  id: `B${String(i + 1).padStart(2, "0")}`,
  name: `Backlog ${String(i + 1).padStart(2, "0")}`,
  mrr: (i + 1) * 1000,
  owner: "ann",
  score: () => 20 + i,
}));
const accounts = [...named, ...backlog];

const MODEL = `name: journey
min_coverage: 0.5
hysteresis: 2
bands:
  - { key: healthy, min: 80 }
  - { key: caution, min: 70 }
  - { key: at_risk, min: 0 }
components:
  - key: health
    input: { metric: health, agg: last, window_days: 3 }
    scale: { min: 0, max: 100 }
    weight: 1
`;

const dayOf = (d: number): Day => FIRST_DAY + d - 1;

/** A command the user types beside the running bot, in this process; it must succeed. */
async function cssBotOk(args: string[], env: Record<string, string>) {
  const result = await runCli(args, env);
  if (result.code !== 0) {
    throw new Error(`css-bot ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  }
  return result;
}
const isWeekday = (d: number) => (d - 1) % 7 < 5;

interface Volume {
  day: string;
  threads: number;
  replies: number;
  notices: number;
  dms: number;
  digestMessages: number;
  digestLines: number;
}

describe.each(["postgres", "pglite"] as Backend[])("a team's first two weeks on %s", (backend) => {
  let fake: FakeSlack;
  let db: TestDatabase | undefined;
  let dir: string;
  let env: Record<string, string>;
  let bot: CssBotProcess | undefined;
  let botPort = 0;
  let queues: ReturnType<typeof openTestQueues>;

  beforeAll(async () => {
    fake = await startFakeSlack({ tokens: [TOKEN] });
    fake.addChannel({ id: ALERTS, name: "cs-alerts" });
    fake.addChannel({ id: DIGEST, name: "cs-digest" });
    fake.addUser({ id: PEOPLE.ann, name: "ann", email: "ann@example.com" });
    fake.addUser({ id: PEOPLE.bob, name: "bob", email: "bob@example.com" });
    fake.addUser({ id: PEOPLE.alice, name: "alice", email: "alice@example.com", is_admin: true });
    fake.addUser({ id: LEAD, name: "lead", email: "lead@example.com" });
    queues = openTestQueues();
    dir = tempDir("css-bot-journey-");
    env = {
      REDIS_URL: testRedisUrl,
      CSS_QUEUE_PREFIX: queues.prefix,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_API_URL: fake.apiUrl,
      PORT: "0",
    };
    if (backend === "postgres") {
      db = await createTestDatabase("postgres");
      env.DATABASE_URL = db.url!;
    } else {
      env.CSS_DATA_DIR = dir;
    }
    writeFileSync(path.join(dir, "model.yaml"), MODEL);
    writeFileSync(
      path.join(dir, "accounts.csv"),
      [
        "account_id,name,owner,mrr,renewal_date",
        ...accounts.map((a) => `${a.id},${a.name},${a.owner}@example.com,${a.mrr},2027-01-31`),
      ].join("\n"),
    );
  }, 120_000);

  afterAll(async () => {
    await bot?.dispose();
    await queues?.dispose();
    await fake?.close();
    await db?.close();
  });

  /** Waits until the notifications queue has nothing left to do (alerts, replies, digests). */
  async function drained() {
    let quiet = 0;
    let counts: Record<string, number> = {};
    await waitFor(
      async () => {
        counts = await queues.queue.notify.getJobCounts("waiting", "active", "prioritized");
        // Delayed jobs count, but not the digest schedule's next fire (a job scheduler's).
        const delayed = await queues.queue.notify.getJobs(["delayed"]);
        counts.delayed = delayed.filter((j) => !j.id?.startsWith("repeat:")).length;
        quiet = Object.values(counts).every((n) => n === 0) ? quiet + 1 : 0;
        return quiet >= 3 ? true : undefined;
      },
      120_000,
      "the notifications to be delivered",
    ).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(counts)}\n${bot?.output().slice(-4000)}`);
    });
  }

  /**
   * A day passes for the cases: their times move one day back, as they would overnight. Through the
   * database as a command reaches it (the embedded one through the running bot, which owns it).
   */
  async function overnight() {
    const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: dir });
    try {
      await database.prisma.$executeRawUnsafe(
        `UPDATE follow_ups SET opened_at = opened_at - interval '1 day',
                thread_posted_at = thread_posted_at - interval '1 day',
                resolved_at = resolved_at - interval '1 day', recovered_at = recovered_at - interval '1 day',
                escalated_at = escalated_at - interval '1 day', snoozed_until = snoozed_until - 1,
                due_date = due_date - 1`,
      );
      await database.prisma.$executeRawUnsafe(`UPDATE case_backlog_notices SET local_date = local_date - 1`);
    } finally {
      await database.close();
    }
  }

  const alerts = () => fake.messages(ALERTS);
  const isNotice = (m: FakeMessage) => (m.text ?? "").includes("waiting for a thread");
  const parents = () => alerts().filter((m) => !m.thread_ts && !isNotice(m));
  const parentsOf = (name: string) => parents().filter((m) => (m.text ?? "").includes(name));
  const dms = () => Object.values(PEOPLE).flatMap((u) => fake.messages(u));
  const digestText = (messages: FakeMessage[]) =>
    messages.map((m) => `${m.text ?? ""}\n${JSON.stringify(m.blocks ?? [])}`).join("\n");

  /** The digest's account lines under its band-change groups (not the movers or renewals). */
  const changeLines = (messages: FakeMessage[]) =>
    messages
      .flatMap((m) => (m.blocks ?? []) as { text?: { text?: string } }[])
      .map((b) => b.text?.text ?? "")
      .filter((t) => /^:\w+: \*(Newly at risk|Dropped to caution|Recovered)\*/.test(t))
      .flatMap((t) => t.split("\n").filter((line) => line.startsWith("• "))).length;

  async function click(message: FakeMessage, actionId: string, user: string) {
    const actions = (message.blocks as { type: string; elements?: { action_id: string; value?: string }[] }[])
      .find((b) => b.type === "actions")!
      .elements!.find((e) => e.action_id === actionId)!;
    const payload = {
      type: "block_actions",
      team: { id: TEAM, domain: "test" },
      user: { id: user, username: user, team_id: TEAM },
      api_app_id: "A0APP",
      token: "legacy",
      container: { type: "message", message_ts: message.ts, channel_id: ALERTS, is_ephemeral: false },
      trigger_id: `${Date.now()}.1.journey`,
      channel: { id: ALERTS, name: "cs-alerts" },
      message: { ts: message.ts, text: message.text },
      response_url: fake.responseUrl(`${actionId}-${user}-${Date.now()}`),
      actions: [{ type: "button", action_id: actionId, block_id: "b", value: actions.value, action_ts: "1" }],
    };
    const res = await postSigned(
      `http://127.0.0.1:${botPort}/slack/events`,
      `payload=${encodeURIComponent(JSON.stringify(payload))}`,
    );
    expect(res.status).toBe(200);
  }

  async function snooze(message: FakeMessage, user: string, days: string) {
    const opened = fake.views.length;
    await click(message, ACTIONS.snooze, user);
    await waitFor(
      () => Promise.resolve(fake.views.length > opened ? true : undefined),
      10_000,
      "the snooze modal",
    );
    const modal = fake.views.at(-1)!.view as { private_metadata: string; callback_id: string };
    const payload = {
      type: "view_submission",
      team: { id: TEAM, domain: "test" },
      user: { id: user, username: user, team_id: TEAM },
      api_app_id: "A0APP",
      token: "legacy",
      trigger_id: `${Date.now()}.2.journey`,
      view: {
        id: "V0SNOOZE",
        type: "modal",
        callback_id: modal.callback_id,
        private_metadata: modal.private_metadata,
        state: {
          values: {
            snooze_days: { snooze_days: { type: "static_select", selected_option: { value: days } } },
            snooze_reason: { snooze_reason: { type: "plain_text_input", value: "renewal call booked" } },
          },
        },
      },
    };
    const res = await postSigned(
      `http://127.0.0.1:${botPort}/slack/events`,
      `payload=${encodeURIComponent(JSON.stringify(payload))}`,
    );
    expect(res.status).toBe(200);
  }

  it("installs as docs/slack.md says, then lives two weeks without noise", async () => {
    // The install steps (docs/slack.md), in order: data and model, start, settings while it runs.
    await cssBotOk(["model", "set", path.join(dir, "model.yaml")], env);
    await cssBotOk(["import", "accounts", path.join(dir, "accounts.csv")], env);
    bot = spawnCssBot(["start"], env);
    botPort = Number((await bot.waitForLine("web process listening", 90_000)).port);
    await bot.waitForLine("worker started", 90_000);
    await cssBotOk(
      [
        "settings",
        "set",
        "--alert-channel",
        ALERTS,
        "--digest-channel",
        DIGEST,
        "--escalation-lead",
        LEAD,
        "--timezone",
        "UTC",
      ],
      env,
    );
    const shown = JSON.parse((await cssBotOk(["settings", "show", "--json"], env)).stdout) as Record<
      string,
      unknown
    >;
    expect(shown).toMatchObject({ alert_channel: ALERTS, digest_channel: DIGEST, escalation_lead: LEAD });
    // The install steps end with the doctor: nothing fails (this machine's Redis keeps no data on
    // disk, which is a warning).
    const doctor = await runCli(["doctor", "--json"], env);
    const report = JSON.parse(doctor.stdout) as { ok: boolean; checks: { name: string; status: string }[] };
    expect(report.checks.filter((c) => c.status === "fail")).toEqual([]);
    expect(doctor.code).toBe(0);

    const volume: Volume[] = [];
    const digestsByDay = new Map<number, FakeMessage[]>();
    for (let d = 1; d <= DAYS; d++) {
      const before = {
        threads: parents().length,
        replies: alerts().filter((m) => m.thread_ts && m.thread_ts !== m.ts).length,
        notices: alerts().filter(isNotice).length,
        dms: dms().length,
        digest: fake.messages(DIGEST).length,
      };
      const date = formatDay(dayOf(d));
      if (d !== NO_DATA_DAY) {
        const file = path.join(dir, `metrics-${date}.csv`);
        writeFileSync(
          file,
          [
            "account_id,metric,value,observed_at",
            ...accounts.map((a) => `${a.id},health,${a.score(d)},${date}`),
          ].join("\n"),
        );
        await cssBotOk(["import", "metrics", file], env);
      }
      await cssBotOk(["recompute", "--as-of", date], env);
      await drained();
      if (d === REPEATED_DAY) {
        // Hourly runs repeat the day: nothing new may reach Slack.
        const posted = fake.callsTo("chat.postMessage").length;
        await cssBotOk(["recompute", "--as-of", date], env);
        await cssBotOk(["recompute", "--as-of", date], env);
        await drained();
        expect(fake.callsTo("chat.postMessage").length).toBe(posted);
      }
      if (d === 2) {
        await click(parentsOf("Charlie Journey")[0]!, ACTIONS.resolve, PEOPLE.bob);
        await snooze(parentsOf("Delta Journey")[0]!, PEOPLE.bob, "14");
        await click(parentsOf("Backlog 27")[0]!, ACTIONS.assignToMe, PEOPLE.ann);
        // The clicks' replies are posted after Slack's request was answered: wait for all three.
        const replied = (start: string) => fake.messages(ALERTS).some((m) => m.text?.startsWith(start));
        await waitFor(
          () =>
            Promise.resolve(
              replied(":zzz:") && replied("Resolved by") && replied("Assigned to") ? true : undefined,
            ),
          10_000,
          "the replies to the clicks",
        );
      }
      if (isWeekday(d)) {
        await cssBotOk(["digest", "--now", "--date", date], env);
        await drained();
        // Once per channel and day, whatever is asked.
        const posted = fake.messages(DIGEST).length;
        await cssBotOk(["digest", "--now", "--date", date], env);
        await drained();
        expect(fake.messages(DIGEST).length).toBe(posted);
      }
      const digest = fake.messages(DIGEST).slice(before.digest);
      digestsByDay.set(d, digest);
      volume.push({
        day: date,
        threads: parents().length - before.threads,
        replies: alerts().filter((m) => m.thread_ts && m.thread_ts !== m.ts).length - before.replies,
        notices: alerts().filter(isNotice).length - before.notices,
        dms: dms().length - before.dms,
        digestMessages: digest.length,
        digestLines: changeLines(digest),
      });
      await overnight();
      if (process.env.JOURNEY_TRACE) console.log(JSON.stringify(volume.at(-1)));
    }
    console.log(`alert volume per day (${backend}, ${accounts.length} accounts):`);
    console.table(volume);

    // The backlog: 30 accounts at risk on day 1; 25 threads that day, highest MRR first, one notice
    // for the 5 others, whose threads open the next day.
    expect(volume[0]).toMatchObject({ threads: 25, notices: 1 });
    expect(volume[1]).toMatchObject({ threads: 5, notices: 0 });
    const firstDay = parents()
      .slice(0, 25)
      .map((m) => accounts.find((a) => (m.text ?? "").includes(a.name))!);
    expect(Math.min(...firstDay.map((a) => a.mrr))).toBeGreaterThan(5_000);

    // Exactly one thread per risk episode.
    expect(parentsOf("Acme Journey")).toHaveLength(1); // fell on day 5
    expect(parentsOf("Bravo Journey")).toHaveLength(1); // recovered, fell back: the same thread
    expect(fake.replies(ALERTS, parentsOf("Bravo Journey")[0]!.ts).map((m) => m.text)).toEqual(
      expect.arrayContaining([expect.stringContaining("Recovered"), expect.stringContaining("Back at risk")]),
    );
    expect(parentsOf("Charlie Journey")).toHaveLength(2); // resolved, then 12 points below its closing score
    expect(volume[5]!.threads).toBeGreaterThanOrEqual(1); // Charlie's second case, on day 6
    expect(parentsOf("Delta Journey")).toHaveLength(1); // snoozed: quiet
    expect(parentsOf("Echo Journey")).toHaveLength(1); // Saturday's dip
    expect(parentsOf("Golf Journey")).toHaveLength(1);
    expect(parentsOf("Foxtrot Journey")).toHaveLength(0);
    for (const a of backlog) expect(parentsOf(a.name)).toHaveLength(1);
    // "Back at risk" only where a recovery was recorded: Bravo's thread, nowhere else.
    const backAtRisk = alerts().filter((m) => (m.text ?? "").includes("Back at risk"));
    expect(backAtRisk.map((m) => m.thread_ts)).toEqual([parentsOf("Bravo Journey")[0]!.ts]);
    // Escalation: at most once per thread, and only unclaimed cases (Backlog 27 was assigned).
    const escalations = alerts().filter((m) => (m.text ?? "").startsWith(":alarm_clock:"));
    expect(escalations.length).toBeGreaterThan(0);
    expect(new Set(escalations.map((m) => m.thread_ts)).size).toBe(escalations.length);
    expect(escalations.map((m) => m.thread_ts)).not.toContain(parentsOf("Backlog 27")[0]!.ts);
    for (const m of escalations) expect(m.text).toContain(`<@${LEAD}>`);
    // Assigning oneself sends no DM.
    expect(fake.messages(PEOPLE.ann).filter((m) => (m.text ?? "").includes("Backlog 27"))).toHaveLength(0);

    // One digest a weekday, none at the weekend; Monday's nets the weekend to one line per account.
    for (let d = 1; d <= DAYS; d++) {
      expect(digestsByDay.get(d)!.length > 0).toBe(isWeekday(d));
    }
    // Only the owners of accounts newly at risk are mentioned, one line per account.
    for (const m of fake.messages(DIGEST)) {
      for (const block of (m.blocks ?? []) as { text?: { text?: string } }[]) {
        const text = block.text?.text ?? "";
        if (text.includes("<@")) expect(text).toMatch(/^:red_circle: \*Newly at risk\*/);
        for (const a of accounts) expect(text.split(`*${a.name}*`).length).toBeLessThanOrEqual(2);
      }
    }
    const monday = digestText(digestsByDay.get(8)!);
    expect(monday).toContain("Golf Journey");
    expect(monday).not.toContain("Echo Journey");

    // Stopped, nothing was lost: the settings and cases written beside the running bot are there
    // when the next command opens the database itself.
    bot.child.kill("SIGTERM");
    expect(await bot.exited).toBe(0);
    const after = JSON.parse((await cssBotOk(["settings", "show", "--json"], env)).stdout) as Record<
      string,
      unknown
    >;
    expect(after).toMatchObject({ alert_channel: ALERTS, digest_channel: DIGEST, escalation_lead: LEAD });
    const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: dir });
    try {
      // 34 threads: every case but Charlie's first (resolved) is open or snoozed (Echo's recovered).
      expect(parents()).toHaveLength(34);
      expect(await database.prisma.followUp.count({ where: { status: { in: ["open", "snoozed"] } } })).toBe(
        33,
      );
      expect(await database.prisma.followUp.count({ where: { status: "resolved" } })).toBe(1);
    } finally {
      await database.close();
    }
  }, 900_000);
});
