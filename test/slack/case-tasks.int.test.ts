// A play's checklist on its case, ticked through the real Bolt app: the Done button (a signed
// block_actions request) marks the task done by whom, updates the parent in place, says so in the
// thread, and goes to the account's timeline; a stale click (the message before that tick) changes
// nothing.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storePlaybookVersion } from "../../src/db/repositories/playbooks.ts";
import { parseDay } from "../../src/domain/dates.ts";
import { parsePlaybook } from "../../src/domain/plays/parse-playbook.ts";
import { silentLogger } from "../../src/log.ts";
import { reportBandChanges } from "../../src/services/at-risk-cases.ts";
import { readTimeline } from "../../src/services/timeline.ts";
import { updateSettings } from "../../src/services/workspace-settings.ts";
import { SlackGateway, type WorkspaceSlack } from "../../src/slack/gateway.ts";
import { ACTIONS } from "../../src/slack/ids.ts";
import { testRedisUrl, uniquePrefix } from "../support/queues.ts";
import { BOT_TOKEN, startSlackHarness, TEAM, type SlackHarness } from "../support/slack-app.ts";
import { buttonActionBody, postSigned } from "../support/slack-requests.ts";

const ALERTS = "C0ALERTS";
const TODAY = parseDay("2026-11-25")!;
const PLAYBOOK = `
name: tasks
plays:
  - key: at_risk_case
    trigger: { band_entered: [lowest] }
    actions:
      - open_case: { channel: alert_channel, tasks: ["Call *the* champion", Review usage] }
`;

let h: SlackHarness;
let redis: Redis;
let slack: WorkspaceSlack;

beforeAll(async () => {
  h = await startSlackHarness({ today: TODAY });
  h.fake.addChannel({ id: ALERTS, name: "cs-alerts" });
  h.fake.addUser({ id: "U0ALICE", name: "alice" });
  await updateSettings(h.db.prisma, h.workspace.id, { alert_channel: ALERTS }, "test");
  await h.db.prisma.workspace.update({ where: { id: h.workspace.id }, data: { slackTeamId: TEAM } });
  await storePlaybookVersion(h.db.prisma, h.workspace.id, parsePlaybook(PLAYBOOK), PLAYBOOK, "test");
  redis = new Redis(testRedisUrl);
  slack = new SlackGateway({
    apiUrl: h.fake.apiUrl,
    timeoutMs: 5000,
    redis,
    keyPrefix: `${uniquePrefix()}:pace`,
    log: silentLogger,
    maxWaitMs: 5000,
  }).forToken(BOT_TOKEN, TEAM);
  await h.db.prisma.account.create({
    data: {
      workspaceId: h.workspace.id,
      externalId: "acme",
      name: "Acme",
      currentBand: "at_risk",
      currentScore: 55,
    },
  });
  await reportBandChanges(h.db.prisma, h.workspace.id, null, slack, TODAY);
}, 60_000);

afterAll(async () => {
  redis?.disconnect();
  await h?.close();
});

type Block = { type: string; text?: { text: string }; accessory?: { action_id: string; value: string } };
const parent = () => h.fake.messages(ALERTS).find((m) => !m.thread_ts || m.thread_ts === m.ts)!;
const doneButtons = () =>
  (parent().blocks as Block[])
    .filter((b) => b.accessory?.action_id === ACTIONS.taskDone)
    .map((b) => b.accessory!);

async function tick(value: string, user: string): Promise<string> {
  const responseUrl = h.fake.responseUrl(`tick-${Math.random()}`);
  const body = buttonActionBody({
    action_id: ACTIONS.taskDone,
    value,
    response_url: responseUrl,
    team_id: TEAM,
    user_id: user,
    channel_id: ALERTS,
  });
  const res = await postSigned(h.eventsUrl, body);
  expect(res.status).toBe(200);
  const id = responseUrl.split("/").pop()!;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const answer = h.fake.responses.find((r) => r.id === id);
    if (answer) return String(answer.body.text);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("no answer to the click");
}

describe("a case's tasks", () => {
  it("are shown with Done buttons, ticked once, in place, in the thread and on the timeline", async () => {
    const buttons = doneButtons();
    expect(buttons).toHaveLength(2);
    const lines = (parent().blocks as Block[]).map((b) => b.text?.text ?? "");
    expect(lines).toContain(":white_large_square: Call \u2060*\u2060the\u2060*\u2060 champion");

    expect(await tick(buttons[0]!.value, "U0ALICE")).toMatch(/^Ticked “Call/);
    const after = (parent().blocks as Block[]).map((b) => b.text?.text ?? "");
    expect(after.some((t) => t.startsWith(":white_check_mark: ~Call") && t.endsWith("<@U0ALICE>"))).toBe(
      true,
    );
    // Only the other task still has a button, and it carries the case's new version.
    expect(doneButtons()).toHaveLength(1);
    expect(JSON.parse(doneButtons()[0]!.value)).toMatchObject({ t: 1 });
    const p = parent();
    const replies = h.fake.messages(ALERTS).filter((m) => m.thread_ts === p.ts && m.ts !== p.ts);
    expect(replies.map((r) => r.text)).toEqual([expect.stringMatching(/<@U0ALICE> ticked “Call/)]);

    // The first button again, from the message as it was before the tick: a stale click.
    expect(await tick(buttons[1]!.value, "U0ALICE")).toMatch(/Someone changed this case just before you/);
    expect(doneButtons()).toHaveLength(1);

    const account = await h.db.prisma.account.findFirstOrThrow({ where: { workspaceId: h.workspace.id } });
    const timeline = await readTimeline(h.db.prisma, h.workspace.id, account.id, { limit: 20 });
    expect(timeline.map((e) => e.kind)).toContain("task_done");
  });
});
