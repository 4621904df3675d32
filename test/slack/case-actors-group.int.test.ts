// case_actors set to a Slack user group, through signed button clicks into the real Bolt app: the
// group's members may act, anyone else is told why privately and the refusal is audit-logged; the
// group's members are read from Slack (usergroups.users.list) once for a burst of clicks; a group that
// is gone, or that the app may not read, lets nobody act and says so.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDay } from "../../src/domain/dates.ts";
import { updateSettings } from "../../src/services/workspace-settings.ts";
import { BOT_SCOPES } from "../../src/slack/app.ts";
import { ACTIONS, encodeCaseValue } from "../../src/slack/ids.ts";
import { GROUP_MEMBERS_TTL_MS, groupFactsOf } from "../../src/services/case-permission.ts";
import { WebClient } from "@slack/web-api";
import { BOT_TOKEN, startSlackHarness, TEAM, type SlackHarness } from "../support/slack-app.ts";
import { buttonActionBody, postSigned } from "../support/slack-requests.ts";

let h: SlackHarness;
let caseId: bigint;
let clicks = 0;

beforeAll(async () => {
  h = await startSlackHarness({ today: parseDay("2026-11-25")! });
  for (const id of ["U0ANN", "U0BEN", "U0CAT"]) h.fake.addUser({ id, name: id.slice(2).toLowerCase() });
  h.fake.addUserGroup({ id: "S0CSTEAM", handle: "cs-team", users: ["U0ANN", "U0CAT"] });
  h.fake.addUserGroup({ id: "S0LEADS", handle: "cs-leads", users: ["U0CAT"] });
  await h.db.prisma.workspace.update({ where: { id: h.workspace.id }, data: { slackTeamId: TEAM } });
  const account = await h.db.prisma.account.create({
    data: { workspaceId: h.workspace.id, externalId: "acme", name: "Acme", currentBand: "at_risk" },
  });
  caseId = (
    await h.db.prisma.followUp.create({ data: { workspaceId: h.workspace.id, accountId: account.id } })
  ).id;
}, 60_000);

afterAll(async () => h?.close());

const actors = (value: string) =>
  updateSettings(h.db.prisma, h.workspace.id, { case_actors: value as "members" }, "test");

/** Clicks a case button as `user` and returns what the clicker was told (response_url). */
async function click(user: string, action: string = ACTIONS.resolve): Promise<Record<string, unknown>> {
  const { version } = await h.db.prisma.followUp.findUniqueOrThrow({ where: { id: caseId } });
  const id = `click-${++clicks}`;
  const body = buttonActionBody({
    action_id: action,
    value: encodeCaseValue(caseId, version),
    response_url: h.fake.responseUrl(id),
    user_id: user,
    channel_id: "C0ALERTS",
  });
  expect((await postSigned(h.eventsUrl, body)).status).toBe(200);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const reply = h.fake.responses.find((r) => r.id === id);
    if (reply) return reply.body;
    if (Date.now() > deadline) throw new Error(`no reply to ${id}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const refusals = () =>
  h.db.prisma.auditLogEntry.findMany({ where: { action: "follow_up.refused" }, orderBy: { id: "asc" } });

describe("case_actors set to a user group", () => {
  it("lets the group's members act; refuses anyone else privately, naming the group, and logs it", async () => {
    await actors("S0CSTEAM");
    const refused = await click("U0BEN");
    expect(refused).toMatchObject({
      response_type: "ephemeral",
      text: "You cannot resolve here: in this workspace only members of the user group @cs-team can act on at-risk cases.",
    });
    expect(await h.db.prisma.followUp.findUniqueOrThrow({ where: { id: caseId } })).toMatchObject({
      status: "open",
      ownerSlackUserId: null,
    });
    expect((await refusals()).map((r) => [r.actor, r.target])).toEqual([["U0BEN", `follow_up:${caseId}`]]);

    expect(await click("U0ANN", ACTIONS.assignToMe)).toMatchObject({
      response_type: "ephemeral",
      text: "You assigned it to <@U0ANN>.",
    });
    expect((await h.db.prisma.followUp.findUniqueOrThrow({ where: { id: caseId } })).ownerSlackUserId).toBe(
      "U0ANN",
    );
  });

  it("reads the group's members from Slack once for a burst of clicks", async () => {
    await actors("S0LEADS");
    h.fake.reset();
    const replies = await Promise.all(
      ["U0ANN", "U0BEN", "U0ANN", "U0BEN", "U0ANN", "U0BEN"].map((u) => click(u)),
    );
    for (const reply of replies) expect(String(reply.text)).toContain("user group @cs-leads");
    expect(h.fake.callsTo("usergroups.users.list").map((c) => c.args.usergroup)).toEqual(["S0LEADS"]);
    expect(await click("U0CAT", ACTIONS.assignToMe)).toMatchObject({ text: "You assigned it to <@U0CAT>." });
    expect(h.fake.callsTo("usergroups.users.list")).toHaveLength(1);
  });

  it("lets nobody act when the group is gone or the app may not read it, and says why", async () => {
    const before = (await refusals()).length;
    await actors("S0GONE");
    expect(String((await click("U0ANN")).text)).toContain(
      "the user group S0GONE allowed to act on cases no longer exists (an admin can set another with css-bot settings set --case-actors)",
    );
    h.fake.setScopes(
      BOT_TOKEN,
      BOT_SCOPES.filter((s) => s !== "usergroups:read"),
    );
    try {
      h.fake.addUserGroup({ id: "S0NOSCOPE", handle: "cs-all", users: ["U0ANN"] });
      await actors("S0NOSCOPE");
      expect(String((await click("U0ANN")).text)).toContain("it needs the usergroups:read scope");
    } finally {
      h.fake.setScopes(BOT_TOKEN, [...BOT_SCOPES]);
    }
    expect((await h.db.prisma.followUp.findUniqueOrThrow({ where: { id: caseId } })).status).toBe("open");
    expect((await refusals()).slice(before).map((r) => r.actor)).toEqual(["U0ANN", "U0ANN"]);
  });

  it("reads the members again once they are 60 seconds old", async () => {
    const client = new WebClient(BOT_TOKEN, { slackApiUrl: h.fake.apiUrl });
    let now = 1_000_000;
    const members = async () => {
      const facts = await groupFactsOf(client, -1, "S0TTL", () => now);
      return "members" in facts ? [...facts.members] : facts.unknown;
    };
    h.fake.addUserGroup({ id: "S0TTL", handle: "ttl", users: ["U0ANN"] });
    expect(await members()).toEqual(["U0ANN"]);
    h.fake.addUserGroup({ id: "S0TTL", handle: "ttl", users: ["U0BEN"] });
    now += GROUP_MEMBERS_TTL_MS - 1;
    expect(await members()).toEqual(["U0ANN"]);
    now += 1;
    expect(await members()).toEqual(["U0BEN"]);
    expect(GROUP_MEMBERS_TTL_MS).toBe(60_000);
  });
});
