// The App Home: published when the user opens it, with their accounts and the cases assigned to
// them; acting on a case there publishes it again (there is no response URL in a Home tab).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDay } from "../../src/domain/dates.ts";
import { storeModelVersion } from "../../src/db/repositories/models.ts";
import { DEFAULT_MODEL, DEFAULT_MODEL_SOURCE } from "../../src/domain/model/default-model.ts";
import { ACTIONS, encodeCaseValue } from "../../src/slack/ids.ts";
import { startSlackHarness, TEAM, type SlackHarness } from "../support/slack-app.ts";
import { postSigned } from "../support/slack-requests.ts";

let h: SlackHarness;
let caseId: bigint;

beforeAll(async () => {
  h = await startSlackHarness({ today: parseDay("2026-11-25")! });
  h.fake.addUser({ id: "U0HOME", name: "home" });
  const ws = h.workspace.id;
  const model = await storeModelVersion(h.db.prisma, ws, DEFAULT_MODEL, DEFAULT_MODEL_SOURCE, "test");
  const account = await h.db.prisma.account.create({
    data: {
      workspaceId: ws,
      externalId: "home-1",
      name: "Homestead <Inc>",
      ownerSlackUserId: "U0HOME",
      currentScore: 64,
      currentBand: "at_risk",
    },
  });
  for (const [day, score] of [
    ["2026-11-20", 72],
    ["2026-11-25", 64],
  ] as const) {
    await h.db.prisma.scoreSnapshot.create({
      data: {
        workspaceId: ws,
        accountId: account.id,
        asOf: new Date(day),
        modelId: model.id,
        score,
        band: "at_risk",
        coverage: 1,
        components: [],
      },
    });
  }
  const c = await h.db.prisma.followUp.create({
    data: {
      workspaceId: ws,
      accountId: account.id,
      ownerSlackUserId: "U0HOME",
      dueDate: new Date("2026-12-01"),
      lastScore: 64,
      lastBand: "at_risk",
    },
  });
  caseId = c.id;
}, 60_000);

afterAll(async () => h?.close());

async function event(body: Record<string, unknown>) {
  return postSigned(h.eventsUrl, JSON.stringify(body), { contentType: "application/json" });
}

async function published(count: number) {
  const deadline = Date.now() + 10_000;
  while (h.fake.views.filter((v) => v.method === "views.publish").length < count) {
    if (Date.now() > deadline) throw new Error("the home tab was not published");
    await new Promise((r) => setTimeout(r, 25));
  }
  return h.fake.views.filter((v) => v.method === "views.publish").at(-1)!;
}

describe("App Home", () => {
  it("shows the user's accounts with their trend and the cases assigned to them", async () => {
    const res = await event({
      token: "legacy",
      team_id: TEAM,
      api_app_id: "A0APP",
      type: "event_callback",
      event_id: "Ev0HOME1",
      event_time: 1764100000,
      event: {
        type: "app_home_opened",
        user: "U0HOME",
        channel: "D0HOME",
        tab: "home",
        event_ts: "1764100000.1",
      },
    });
    expect(res.status).toBe(200);
    const view = await published(1);
    expect(view.user_id).toBe("U0HOME");
    const text = JSON.stringify(view.view);
    expect(text).toContain("Homestead &lt;Inc&gt;");
    expect(text).toMatch(/`·{24}▇·{4}▂`/); // 20 Nov (72) and 25 Nov (64) in the last 30 days
    expect(text).toContain("Follow-ups assigned to you");
    expect(text).toContain("due 2026-12-01");
    expect(text).toContain(ACTIONS.resolve);
  });

  it("resolves a case from the Home tab and publishes it again", async () => {
    const payload = {
      type: "block_actions",
      team: { id: TEAM, domain: "test" },
      user: { id: "U0HOME", username: "home", team_id: TEAM },
      api_app_id: "A0APP",
      token: "legacy",
      container: { type: "view", view_id: "V0HOME" },
      trigger_id: "1.2.5",
      view: { id: "V0HOME", type: "home" },
      actions: [
        {
          type: "button",
          action_id: ACTIONS.resolve,
          block_id: "b",
          value: encodeCaseValue(caseId, 0),
          action_ts: "1",
        },
      ],
    };
    const res = await postSigned(h.eventsUrl, `payload=${encodeURIComponent(JSON.stringify(payload))}`);
    expect(res.status).toBe(200);
    const view = await published(2);
    expect(JSON.stringify(view.view)).toContain("Nothing assigned to you");
    expect((await h.db.prisma.followUp.findUniqueOrThrow({ where: { id: caseId } })).status).toBe("resolved");
  });
});
