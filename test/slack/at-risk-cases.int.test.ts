// At-risk cases end to end: a run's band changes open one thread per account in the alert channel
// (through the gateway, on the fake Slack), further moves reply in that thread, and the buttons of
// the parent message (signed block_actions into the real Bolt app) assign and resolve the case.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dayToDate, parseDay } from "../../src/domain/dates.ts";
import { escalateUnclaimed, reportBandChanges, wakeSnoozed } from "../../src/services/at-risk-cases.ts";
import { readTimeline } from "../../src/services/timeline.ts";
import { updateSettings } from "../../src/services/workspace-settings.ts";
import { ACTIONS, decodeCaseValue } from "../../src/slack/ids.ts";
import { SlackGateway } from "../../src/slack/gateway.ts";
import type { WorkspaceSlack } from "../../src/slack/gateway.ts";
import { silentLogger } from "../../src/log.ts";
import { Redis } from "ioredis";
import { testRedisUrl, uniquePrefix } from "../support/queues.ts";
import { HOSTILE_NAME, liveMarkup, visible } from "../support/mrkdwn.ts";
import { BOT_TOKEN, startSlackHarness, TEAM, type SlackHarness } from "../support/slack-app.ts";
import { postSigned } from "../support/slack-requests.ts";

const ALERTS = "C0ALERTS";
const TODAY = parseDay("2026-11-25")!;
let h: SlackHarness;
let redis: Redis;
let slack: WorkspaceSlack;
let runNo = 0;
let accountId: number;

beforeAll(async () => {
  h = await startSlackHarness({ today: TODAY });
  h.fake.addChannel({ id: ALERTS, name: "cs-alerts" });
  for (const id of ["U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0OWNER", "U0LEAD"]) {
    h.fake.addUser({ id, name: id.slice(2).toLowerCase() });
  }
  h.fake.addUser({ id: "U0GUEST", name: "guest", is_restricted: true });
  h.fake.addUser({ id: "U0EXT", name: "partner", team_id: "T0PARTNER" });
  await updateSettings(h.db.prisma, h.workspace.id, { alert_channel: ALERTS }, "test");
  await h.db.prisma.workspace.update({ where: { id: h.workspace.id }, data: { slackTeamId: TEAM } });
  redis = new Redis(testRedisUrl);
  slack = new SlackGateway({
    apiUrl: h.fake.apiUrl,
    timeoutMs: 5000,
    redis,
    keyPrefix: `${uniquePrefix()}:pace`,
    log: silentLogger,
    maxWaitMs: 5000,
  }).forToken(BOT_TOKEN, TEAM);
  const account = await h.db.prisma.account.create({
    data: {
      workspaceId: h.workspace.id,
      externalId: "acme",
      name: "Acme <!here> Ltd",
      mrr: 4200,
      renewalDate: new Date("2027-01-10"),
      ownerSlackUserId: "U0OWNER",
    },
  });
  accountId = account.id;
}, 60_000);

afterAll(async () => {
  redis?.disconnect();
  await h?.close();
});

/** Records a run whose only band change is this one, as a recompute would, and reports it. */
async function move(
  from: string | null,
  to: string,
  fromScore: number | null,
  toScore: number,
  id = accountId,
) {
  runNo++;
  const run = await h.db.prisma.recomputeRun.create({
    data: {
      workspaceId: h.workspace.id,
      slot: `test-${runNo}`,
      asOf: new Date("2026-11-25"),
      status: "succeeded",
    },
  });
  await h.db.prisma.bandChange.deleteMany({ where: { accountId: id } });
  // What the recompute leaves on the account: its current band and score.
  await h.db.prisma.account.update({
    where: { id },
    data: { currentBand: to, currentScore: toScore },
  });
  await h.db.prisma.bandChange.create({
    data: {
      workspaceId: h.workspace.id,
      accountId: id,
      asOf: new Date(Date.UTC(2026, 10, 1 + runNo)),
      fromBand: from,
      toBand: to,
      fromScore,
      toScore,
      drivers: [{ key: "usage", from: 30, to: 18, delta: -12, change: "moved" }],
      runId: run.id,
    },
  });
  return {
    runId: run.id,
    summary: await reportBandChanges(h.db.prisma, h.workspace.id, run.id, slack, TODAY),
  };
}

/** The account's score moves within its band (no band change) and the next run is reported. */
async function drift(score: number) {
  await h.db.prisma.account.update({ where: { id: accountId }, data: { currentScore: score } });
  return reportBandChanges(h.db.prisma, h.workspace.id, null, slack, TODAY);
}

function parent() {
  return h.fake.messages(ALERTS).filter((m) => !m.thread_ts || m.thread_ts === m.ts);
}

async function click(actionId: string, user: string, extra: Record<string, unknown> = {}) {
  const p = parent()[0]!;
  const actions = (
    p.blocks as { type: string; block_id?: string; elements?: { action_id: string; value?: string }[] }[]
  ).find((b) => b.type === "actions")!;
  const element = actions.elements!.find((e) => e.action_id === actionId)!;
  const payload = {
    type: "block_actions",
    team: { id: TEAM, domain: "test" },
    user: { id: user, username: user, team_id: TEAM },
    api_app_id: "A0APP",
    token: "legacy",
    container: { type: "message", message_ts: p.ts, channel_id: ALERTS, is_ephemeral: false },
    trigger_id: "1.2.3",
    channel: { id: ALERTS, name: "cs-alerts" },
    message: { ts: p.ts, text: p.text },
    response_url: h.fake.responseUrl(`${actionId}-${user}-${Math.random()}`),
    actions: [
      {
        type: element.action_id === ACTIONS.assignUser ? "users_select" : "button",
        action_id: actionId,
        block_id: actions.block_id,
        value: element.value,
        action_ts: "1",
        ...extra,
      },
    ],
  };
  const res = await postSigned(h.eventsUrl, `payload=${encodeURIComponent(JSON.stringify(payload))}`);
  expect(res.status).toBe(200);
  return payload.response_url;
}

async function until(check: () => boolean, what: string) {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("at-risk cases", () => {
  it("opens one case and posts one parent message with the facts and the buttons", async () => {
    const { summary, runId } = await move("caution", "at_risk", 74, 61);
    expect(summary.opened).toBe(1);
    const posted = parent();
    expect(posted).toHaveLength(1);
    const text = JSON.stringify(posted[0]!.blocks);
    expect(text).toContain("Acme &lt;!here&gt; Ltd");
    expect(text).not.toContain("<!here>");
    expect(text).toContain("61 (−13 from 74)");
    expect(text).toContain("usage −12");
    expect(text).toContain("<@U0OWNER>");
    expect(text).toContain("4,200/mo");
    expect(text).toContain("2027-01-10");
    expect(text).toContain("Nobody owns this yet");
    // Reporting the same run again (a retried job) posts nothing more.
    const again = await reportBandChanges(h.db.prisma, h.workspace.id, runId, slack, TODAY);
    expect(again).toMatchObject({ opened: 0, replies: 0 });
    expect(h.fake.messages(ALERTS)).toHaveLength(1);
    const cases = await h.db.prisma.followUp.findMany({ where: { accountId } });
    expect(cases).toHaveLength(1);
    expect(cases[0]!.threadTs).toBe(posted[0]!.ts);
  });

  it("refuses guests and other organisations' users, saying why, and logs the refusal", async () => {
    const before = await h.db.prisma.followUp.findFirstOrThrow({ where: { accountId } });
    const guest = await click(ACTIONS.resolve, "U0GUEST");
    const partner = await click(ACTIONS.assignToMe, "U0EXT");
    const reply = (url: string) =>
      JSON.stringify(h.fake.responses.find((r) => url.endsWith(r.id))?.body ?? "");
    await until(() => reply(guest) !== '""' && reply(partner) !== '""', "both refusals");
    expect(reply(guest)).toContain("You cannot resolve here: guests cannot act on at-risk cases.");
    expect(reply(partner)).toContain("only members of the workspace that installed css-bot");
    const after = await h.db.prisma.followUp.findFirstOrThrow({ where: { accountId } });
    expect(after).toMatchObject({ status: "open", version: before.version, ownerSlackUserId: null });
    const refused = await h.db.prisma.auditLogEntry.findMany({ where: { action: "follow_up.refused" } });
    expect(refused.map((r) => r.actor).sort()).toEqual(["U0EXT", "U0GUEST"]);

    // Narrowed to the owner and leads, a member who is neither is refused too.
    await updateSettings(h.db.prisma, h.workspace.id, { case_actors: "owner_and_leads" }, "test");
    const member = await click(ACTIONS.resolve, "U0CAROL");
    await until(() => reply(member) !== '""', "the refusal");
    expect(reply(member)).toContain("only the account's owner, the case's owner and the escalation lead");
    await updateSettings(h.db.prisma, h.workspace.id, { case_actors: "members" }, "test");
    expect((await h.db.prisma.followUp.findFirstOrThrow({ where: { accountId } })).status).toBe("open");
  });

  it("assigns on Assign to me: parent updated in place, a thread reply, an audit entry", async () => {
    await click(ACTIONS.assignToMe, "U0ALICE");
    await until(
      () => JSON.stringify(parent()[0]!.blocks).includes("<@U0ALICE> owns the save"),
      "the parent update",
    );
    const p = parent()[0]!;
    await until(() => h.fake.replies(ALERTS, p.ts).length === 1, "the thread reply");
    expect(h.fake.replies(ALERTS, p.ts)[0]!.text).toBe("Assigned to <@U0ALICE> by <@U0ALICE>");
    const c = await h.db.prisma.followUp.findFirstOrThrow({ where: { accountId } });
    expect(c.ownerSlackUserId).toBe("U0ALICE");
    expect(c.dueDate?.toISOString().slice(0, 10)).toBe("2026-12-02"); // 5 business days after 25 Nov
    const log = await h.db.prisma.auditLogEntry.findMany({ where: { action: "follow_up.assign" } });
    expect(log).toHaveLength(1);
  });

  it("assigning someone else DMs them; two clicks at once end in one owner that both see", async () => {
    const before = JSON.parse(
      (parent()[0]!.blocks as { type: string; elements?: { value?: string }[] }[]).find(
        (b) => b.type === "actions",
      )!.elements![0]!.value!,
    ) as { n: number };
    const [bob, carol] = await Promise.all([
      click(ACTIONS.assignToMe, "U0BOB"),
      click(ACTIONS.assignToMe, "U0CAROL"),
    ]);
    await until(
      () => h.fake.responses.some((r) => r.id === bob.split("/").at(-1)) || h.fake.responses.length > 0,
      "replies",
    );
    await until(
      () => [bob, carol].every((url) => h.fake.responses.some((r) => url.endsWith(r.id))),
      "both replies",
    );
    const c = await h.db.prisma.followUp.findFirstOrThrow({ where: { accountId } });
    expect(["U0BOB", "U0CAROL"]).toContain(c.ownerSlackUserId);
    expect(c.version).toBe(before.n + 1);
    const loser = c.ownerSlackUserId === "U0BOB" ? carol : bob;
    const loserReply = JSON.stringify(h.fake.responses.find((r) => loser.endsWith(r.id))!.body);
    expect(loserReply).toContain(`now assigned to <@${c.ownerSlackUserId}>`);
    await until(
      () => JSON.stringify(parent()[0]!.blocks).includes(`<@${c.ownerSlackUserId}> owns the save`),
      "parent",
    );

    await click(ACTIONS.assignUser, "U0ALICE", { selected_user: "U0DAVE" });
    await until(() => h.fake.messages("U0DAVE").length === 1, "the DM to the new owner");
    expect(h.fake.messages("U0DAVE")[0]!.text).toContain(
      "<@U0ALICE> asked you to own the save of *Acme &lt;!here&gt; Ltd*",
    );
  });

  it("replies in the same thread on recovery and on falling back, never opening a second thread", async () => {
    const ts = parent()[0]!.ts;
    // The day's fall replayed by a later run, at another score: no recovery was recorded, so it is
    // not "back at risk" (nor a reply at all).
    const replayed = await move("caution", "at_risk", 74, 59);
    expect(replayed.summary).toMatchObject({ opened: 0, replies: 0 });
    expect(h.fake.replies(ALERTS, ts).map((m) => m.text)).not.toContainEqual(
      expect.stringContaining("Back at risk"),
    );
    const replies = h.fake.replies(ALERTS, ts).length;
    const recovered = await move("at_risk", "caution", 61, 73);
    expect(recovered.summary.recovered).toBe(1);
    expect(h.fake.replies(ALERTS, ts)).toHaveLength(replies + 1);
    expect(h.fake.replies(ALERTS, ts).at(-1)!.text).toContain("Recovered");
    expect(JSON.stringify(parent()[0]!.blocks)).toContain("Recovered: out of risk for now");
    const back = await move("caution", "at_risk", 73, 60);
    expect(back.summary.opened).toBe(0);
    expect(h.fake.replies(ALERTS, ts).at(-1)!.text).toContain("Back at risk");
    expect(parent()).toHaveLength(1);
  });

  it("snoozes through the modal: quiet while snoozed, alerting again after 10 more points", async () => {
    await click(ACTIONS.snooze, "U0ALICE");
    await until(() => h.fake.views.some((v) => v.method === "views.open"), "the snooze modal");
    const modal = h.fake.views.find((v) => v.method === "views.open")!.view as {
      private_metadata: string;
      callback_id: string;
    };
    const submit = async (days: string, reason: string) => {
      const payload = {
        type: "view_submission",
        team: { id: TEAM, domain: "test" },
        user: { id: "U0ALICE", username: "alice", team_id: TEAM },
        api_app_id: "A0APP",
        token: "legacy",
        trigger_id: "1.2.4",
        view: {
          id: "V0SNOOZE",
          type: "modal",
          callback_id: modal.callback_id,
          private_metadata: modal.private_metadata,
          state: {
            values: {
              snooze_days: { snooze_days: { type: "static_select", selected_option: { value: days } } },
              snooze_reason: { snooze_reason: { type: "plain_text_input", value: reason } },
            },
          },
        },
      };
      return postSigned(h.eventsUrl, `payload=${encodeURIComponent(JSON.stringify(payload))}`);
    };
    const refused = await submit("14", "  ");
    expect(refused.json).toEqual({ response_action: "errors", errors: { snooze_reason: "say why" } });
    const ok = await submit("14", "renewal call <booked> *soon* :tada:\u202E");
    expect(ok.status).toBe(200);
    await until(
      () => JSON.stringify(parent()[0]!.blocks).includes("Snoozed until 2026-12-09"),
      "the snoozed parent",
    );
    const ts = parent()[0]!.ts;
    // The parent is updated first, then the thread reply follows.
    await until(() => h.fake.replies(ALERTS, ts).at(-1)!.text!.startsWith(":zzz:"), "the snooze reply");
    expect(h.fake.replies(ALERTS, ts).at(-1)!.text).toBe(
      // The reason is shown as typed: no bold, no emoji, no bidi override.
      ":zzz: Snoozed until 2026-12-09 by <@U0ALICE>: renewal call &lt;booked&gt; \u2060*\u2060soon\u2060*\u2060 :\u2060tada:",
    );
    const replies = h.fake.replies(ALERTS, ts).length;
    const quiet = await move("caution", "at_risk", 70, 55); // snoozed at 60: 5 points lower
    expect(quiet.summary).toMatchObject({ opened: 0, replies: 0 });
    expect(h.fake.replies(ALERTS, ts)).toHaveLength(replies);
    const fell = await move("caution", "at_risk", 70, 49);
    expect(fell.summary.replies).toBe(1);
    expect(h.fake.replies(ALERTS, ts).at(-1)!.text).toContain("Fell a further 10 points while snoozed");
    expect((await h.db.prisma.followUp.findFirstOrThrow({ where: { accountId } })).status).toBe("open");
  });

  it("alerts again while snoozed at exactly 10 more points, or once the snooze has ended", async () => {
    const snooze = (until: number) =>
      h.db.prisma.followUp.updateMany({
        where: { accountId, status: { not: "resolved" } },
        data: { status: "snoozed", snoozedUntil: dayToDate(until), snoozeScore: 60, lastBand: "caution" },
      });
    const ts = parent()[0]!.ts;
    await snooze(TODAY + 3);
    const replies = h.fake.replies(ALERTS, ts).length;
    const during = await move("caution", "at_risk", 62, 58); // 2 points below the snooze: quiet
    expect(during.summary.replies).toBe(0);
    const nine = await move("caution", "at_risk", 62, 51); // 9 below: still quiet
    expect(nine.summary.replies).toBe(0);
    expect(h.fake.replies(ALERTS, ts)).toHaveLength(replies);
    const ten = await move("caution", "at_risk", 62, 50); // exactly reopen_points (10) below: news
    expect(ten.summary.replies).toBe(1);
    expect(h.fake.replies(ALERTS, ts).at(-1)!.text).toContain("Fell a further 10 points while snoozed");
    await snooze(TODAY); // ended today
    const after = await move("caution", "at_risk", 62, 59);
    expect(after.summary.replies).toBe(1);
    expect(h.fake.replies(ALERTS, ts).at(-1)!.text).toContain("Back at risk");
    const c = await h.db.prisma.followUp.findFirstOrThrow({
      where: { accountId, status: { not: "resolved" } },
    });
    expect(c.status).toBe("open");
    expect(c.snoozedUntil).toBeNull();
    // The next tests start from the score the test before this one left: 49.
    await move("at_risk", "at_risk", 59, 49);
  });

  it("resolves on Resolve, and a stale button afterwards changes nothing", async () => {
    const stale = (
      parent()[0]!.blocks as { type: string; elements?: { action_id: string; value?: string }[] }[]
    )
      .find((b) => b.type === "actions")!
      .elements!.find((e) => e.action_id === ACTIONS.resolve)!.value!;
    await click(ACTIONS.resolve, "U0ALICE");
    await until(
      () => JSON.stringify(parent()[0]!.blocks).includes("Resolved by <@U0ALICE>"),
      "the resolved parent",
    );
    expect(JSON.stringify(parent()[0]!.blocks)).not.toContain(ACTIONS.assignToMe);
    const c = await h.db.prisma.followUp.findFirstOrThrow({ where: { accountId } });
    expect(c.status).toBe("resolved");
    expect(decodeCaseValue(stale)?.version).toBe(c.version - 1);
    expect(c.closedScore).toBe(49);
    // The same fall replayed by the next run of the day does not reopen it.
    const replay = await move("caution", "at_risk", 70, 49);
    expect(replay.summary.opened).toBe(0);
    // Nor does sliding further within the band, until 10 points below the score it was closed at.
    expect((await drift(40)).opened).toBe(0);
    expect(parent()).toHaveLength(1);
    expect((await drift(39)).opened).toBe(1);
    expect(parent()).toHaveLength(2);
    await h.db.prisma.followUp.updateMany({
      where: { accountId, status: "open" },
      data: { status: "resolved", resolvedAt: new Date(), resolvedBy: "U0ALICE", closedScore: 39 },
    });
    // A recovery out of the risk band after closing is recorded (nothing is posted: no open case)...
    const recovered = await move("at_risk", "caution", 39, 74);
    expect(recovered.summary).toMatchObject({ recovered: 1, opened: 0, replies: 0 });
    expect(parent()).toHaveLength(2);
    // ...and falling back after it opens a new case, with a new thread that is not "back at risk".
    const fell = await move("caution", "at_risk", 74, 62);
    expect(fell.summary.opened).toBe(1);
    expect(parent()).toHaveLength(3);
    expect(h.fake.replies(ALERTS, parent()[2]!.ts)).toEqual([]);
  });

  it("escalates a case nobody claimed for 2 business days, once, mentioning the lead", async () => {
    await updateSettings(h.db.prisma, h.workspace.id, { escalation_lead: "U0LEAD" }, "test");
    // One account per case: an account has one open case at most.
    const opened = async (openedAt: string, owner: string | null) =>
      h.db.prisma.followUp.create({
        data: {
          workspaceId: h.workspace.id,
          accountId: (
            await h.db.prisma.account.create({
              data: { workspaceId: h.workspace.id, externalId: `globex-${openedAt}`, name: "Globex" },
            })
          ).id,
          openedAt: new Date(openedAt),
          threadPostedAt: new Date(openedAt),
          ownerSlackUserId: owner,
          channelId: ALERTS,
          threadTs: (await slack.postMessage({ channel: ALERTS, text: "case" })).ts,
          lastBand: "at_risk",
          lastScore: 55,
        },
      });
    // Opened Monday 23 November: Wednesday 25 is 2 business days later. Friday 20 and owned: never.
    const due = await opened("2026-11-23T10:00:00Z", null);
    const fresh = await opened("2026-11-24T10:00:00Z", null);
    const owned = await opened("2026-11-20T10:00:00Z", "U0ALICE");
    expect(await escalateUnclaimed(h.db.prisma, h.workspace.id, slack, TODAY)).toBe(1);
    expect(h.fake.replies(ALERTS, due.threadTs!).map((m) => m.text)).toEqual([
      ":alarm_clock: Nobody has claimed this case for 2 business days. <@U0LEAD>, who should own the save?",
    ]);
    expect(h.fake.replies(ALERTS, fresh.threadTs!)).toEqual([]);
    expect(h.fake.replies(ALERTS, owned.threadTs!)).toEqual([]);
    // Once: the next run the same day escalates nothing; days later the others fall due, but the
    // first case is never escalated twice.
    expect(await escalateUnclaimed(h.db.prisma, h.workspace.id, slack, TODAY)).toBe(0);
    expect(await escalateUnclaimed(h.db.prisma, h.workspace.id, slack, TODAY + 10)).toBeGreaterThan(0);
    expect(h.fake.replies(ALERTS, fresh.threadTs!)).toHaveLength(1);
    expect(h.fake.replies(ALERTS, due.threadTs!)).toHaveLength(1);
    expect(h.fake.replies(ALERTS, owned.threadTs!)).toEqual([]);
    // A case whose outbox still holds a reply (Slack was down) is escalated only once it is sent:
    // the escalation never takes the waiting reply's place.
    const waiting = await opened("2026-11-30T10:00:00Z", null);
    await h.db.prisma.$executeRawUnsafe(
      `UPDATE follow_ups SET pending_reply = '{"text":"Now caution: 71","id":"p1"}'::jsonb WHERE id = $1`,
      waiting.id,
    );
    expect(await escalateUnclaimed(h.db.prisma, h.workspace.id, null, TODAY + 10)).toBe(0);
    const held = await h.db.prisma.followUp.findUniqueOrThrow({ where: { id: waiting.id } });
    expect(held).toMatchObject({ escalatedAt: null, pendingReply: { text: "Now caution: 71", id: "p1" } });
    await h.db.prisma.$executeRawUnsafe(
      `UPDATE follow_ups SET pending_reply = NULL WHERE id = $1`,
      waiting.id,
    );
    expect(await escalateUnclaimed(h.db.prisma, h.workspace.id, slack, TODAY + 10)).toBe(1);
    expect(h.fake.replies(ALERTS, waiting.threadTs!).at(-1)!.text).toContain("Nobody has claimed this case");
  });

  it("shows a hostile account name literally in the parent message and its notification text", async () => {
    const evil = await h.db.prisma.account.create({
      data: {
        workspaceId: h.workspace.id,
        externalId: "evil_1",
        name: HOSTILE_NAME,
        owner: "*ana*@example.com",
      },
    });
    const { summary } = await move("caution", "at_risk", 74, 61, evil.id);
    expect(summary.opened).toBe(1);
    const posted = parent().find((m) => m.text?.includes("gnp.exe"))!;
    const text = posted.text ?? "";
    const mrkdwn = JSON.stringify(posted.blocks);
    expect(liveMarkup(mrkdwn + text)).toEqual([]);
    expect(visible(text)).toBe("*bold* _it_ ~s~ `code` :skull: &lt;!channel&gt; gnp.exe is at risk: 61");
    expect(visible(mrkdwn)).toContain("*ana*@example.com");
    // The builder's own bold still wraps the name.
    expect(mrkdwn).toMatch(/ \*\u2060\*\u2060bold[^"]*gnp\.exe\* is at risk/u);
  });

  it("wakes a case whose snooze ended with no band change, once, saying where the account stands", async () => {
    const ws = h.workspace.id;
    const initech = await h.db.prisma.account.create({
      data: { workspaceId: ws, externalId: "initech", name: "Initech", mrr: 900 },
    });
    expect((await move("caution", "at_risk", 72, 61, initech.id)).summary.opened).toBe(1);
    const opened = await h.db.prisma.followUp.findFirstOrThrow({ where: { accountId: initech.id } });
    const ts = opened.threadTs!;
    const threadParent = () => h.fake.messages(ALERTS).find((m) => m.ts === ts)!;
    const snooze = (until: number) =>
      h.db.prisma.followUp.update({
        where: { id: opened.id },
        data: { status: "snoozed", snoozedUntil: dayToDate(until), snoozeScore: 61 },
      });
    await snooze(TODAY + 2);
    // The score slides within the risk band while snoozed: no band change, so no run would wake it.
    await h.db.prisma.account.update({ where: { id: initech.id }, data: { currentScore: 57 } });
    expect(await wakeSnoozed(h.db.prisma, ws, slack, TODAY + 1)).toBe(0);
    const replies = h.fake.replies(ALERTS, ts).length;
    expect(await wakeSnoozed(h.db.prisma, ws, slack, TODAY + 2)).toBe(1);
    expect(h.fake.replies(ALERTS, ts)).toHaveLength(replies + 1);
    expect(h.fake.replies(ALERTS, ts).at(-1)!.text).toBe(
      ":alarm_clock: The snooze ended on 2026-11-27: still at risk, 57 (−4 from 61) since it was snoozed. The case is open again.",
    );
    const woken = await h.db.prisma.followUp.findUniqueOrThrow({ where: { id: opened.id } });
    expect(woken).toMatchObject({
      status: "open",
      snoozedUntil: null,
      parentStale: false,
      pendingReply: null,
    });
    expect(JSON.stringify(threadParent().blocks)).not.toContain("Snoozed until");
    expect(JSON.stringify(threadParent().blocks)).toContain("Nobody owns this yet");
    // Once: the next run of the day, or the next day, says nothing more.
    expect(await wakeSnoozed(h.db.prisma, ws, slack, TODAY + 2)).toBe(0);
    expect(await wakeSnoozed(h.db.prisma, ws, slack, TODAY + 3)).toBe(0);
    expect(h.fake.replies(ALERTS, ts)).toHaveLength(replies + 1);
    const timeline = await readTimeline(h.db.prisma, ws, initech.id, { limit: 20 });
    expect(timeline.filter((e) => e.kind === "case_snooze_ended").map((e) => [e.text, e.actor])).toEqual([
      ["Snooze ended: at risk; the case is open again", "css-bot"],
    ]);

    // Snoozed again, and out of risk by the time it ends: it says so, and asks for the case to be closed.
    await snooze(TODAY + 5);
    expect((await move("at_risk", "caution", 57, 74, initech.id)).summary.replies).toBe(1);
    expect(h.fake.replies(ALERTS, ts).at(-1)!.text).toContain("Recovered");
    expect(await wakeSnoozed(h.db.prisma, ws, slack, TODAY + 5)).toBe(1);
    expect(h.fake.replies(ALERTS, ts).at(-1)!.text).toBe(
      ":alarm_clock: The snooze ended on 2026-11-30: now caution, 74 (+13 from 61) since it was snoozed. Resolve the case when the save is done.",
    );

    // A reply still waiting in the case's outbox (Slack unreachable) is not overwritten: the case
    // wakes on the pass after it is delivered.
    await snooze(TODAY + 6);
    await h.db.prisma.$executeRawUnsafe(
      `UPDATE follow_ups SET pending_reply = '{"text":"waiting","id":"w1"}'::jsonb WHERE id = $1`,
      opened.id,
    );
    expect(await wakeSnoozed(h.db.prisma, ws, null, TODAY + 6)).toBe(0);
    expect((await h.db.prisma.followUp.findUniqueOrThrow({ where: { id: opened.id } })).status).toBe(
      "snoozed",
    );
    await h.db.prisma.$executeRawUnsafe(
      `UPDATE follow_ups SET pending_reply = NULL WHERE id = $1`,
      opened.id,
    );
    expect(await wakeSnoozed(h.db.prisma, ws, slack, TODAY + 6)).toBe(1);
  });
});
