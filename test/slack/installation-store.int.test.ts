// Multi-workspace installs: the installation (bot token included) is stored sealed, bound to its
// team, creates the team's workspace, and is forgotten when the app is uninstalled.
import { randomBytes } from "node:crypto";
import type { Installation } from "@slack/bolt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SecretBox } from "../../src/security/secret-box.ts";
import { createInstallationStore, slugForTeam } from "../../src/slack/installation-store.ts";
import { startSlackHarness, TEAM, type SlackHarness } from "../support/slack-app.ts";
import { postSigned } from "../support/slack-requests.ts";

let h: SlackHarness;
const box = new SecretBox(randomBytes(32));

const installation = (teamId: string, token: string): Installation<"v2", false> => ({
  team: { id: teamId, name: `Team ${teamId}` },
  enterprise: undefined,
  user: { id: "U0ADMIN", token: undefined, scopes: undefined },
  bot: { token, scopes: ["commands", "chat:write"], id: "B0BOT", userId: "U0BOT" },
  tokenType: "bot",
  isEnterpriseInstall: false,
  appId: "A0APP",
  authVersion: "v2",
});

beforeAll(async () => {
  h = await startSlackHarness();
}, 60_000);
afterAll(async () => h?.close());

describe("installation store", () => {
  it("stores the installation sealed and creates the team's workspace", async () => {
    const store = createInstallationStore(h.db.prisma, box);
    await store.storeInstallation(installation("T0NEW", "xoxb-very-secret-token"));
    const workspace = await h.db.prisma.workspace.findFirstOrThrow({ where: { slackTeamId: "T0NEW" } });
    expect(workspace.slug).toBe(slugForTeam("T0NEW"));
    const row = await h.db.prisma.slackInstallation.findFirstOrThrow({
      where: { workspaceId: workspace.id },
    });
    expect(Buffer.from(row.encryptedInstall).includes(Buffer.from("xoxb-very-secret-token"))).toBe(false);
    const fetched = await store.fetchInstallation({
      teamId: "T0NEW",
      isEnterpriseInstall: false,
      enterpriseId: undefined,
    });
    expect(fetched.bot?.token).toBe("xoxb-very-secret-token");
    // Reinstalling updates the same workspace; another key cannot open it.
    await store.storeInstallation(installation("T0NEW", "xoxb-rotated"));
    expect(await h.db.prisma.workspace.count({ where: { slackTeamId: "T0NEW" } })).toBe(1);
    const other = createInstallationStore(h.db.prisma, new SecretBox(randomBytes(32)));
    await expect(
      other.fetchInstallation({ teamId: "T0NEW", isEnterpriseInstall: false, enterpriseId: undefined }),
    ).rejects.toThrow(/cannot be decrypted/);
    await expect(
      store.fetchInstallation({ teamId: "T0NONE", isEnterpriseInstall: false, enterpriseId: undefined }),
    ).rejects.toThrow(/not installed/);
  });

  it("forgets the installation when the app is uninstalled", async () => {
    const store = createInstallationStore(h.db.prisma, box);
    await store.storeInstallation(installation(TEAM, "xoxb-test"));
    const body = JSON.stringify({
      token: "legacy",
      team_id: TEAM,
      api_app_id: "A0APP",
      event: { type: "app_uninstalled", event_ts: "1764100000.000100" },
      type: "event_callback",
      event_id: "Ev0UNINSTALL",
      event_time: 1764100000,
    });
    const res = await postSigned(h.eventsUrl, body, { contentType: "application/json" });
    expect(res.status).toBe(200);
    const deadline = Date.now() + 5000;
    while ((await h.db.prisma.slackInstallation.count({ where: { workspace: { slackTeamId: TEAM } } })) > 0) {
      if (Date.now() > deadline) throw new Error("the installation was not removed");
      await new Promise((r) => setTimeout(r, 25));
    }
  });
});
