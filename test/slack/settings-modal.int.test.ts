// /css settings: admins only, a modal filled with the current settings, validated on submission.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSettings } from "../../src/config/workspace-settings.ts";
import { SETTINGS_BLOCKS } from "../../src/slack/blocks/settings-modal.ts";
import { VIEWS } from "../../src/slack/ids.ts";
import { startSlackHarness, TEAM, type SlackHarness } from "../support/slack-app.ts";
import { commandBody, postSigned } from "../support/slack-requests.ts";

let h: SlackHarness;

beforeAll(async () => {
  h = await startSlackHarness();
  h.fake.addUser({ id: "U0ADMIN", name: "admin", is_admin: true });
  h.fake.addUser({ id: "U0MEMBER", name: "member" });
}, 60_000);
afterAll(async () => h?.close());

function submission(user: string, timezone: string) {
  const state = {
    values: {
      [SETTINGS_BLOCKS.digestChannel]: {
        [SETTINGS_BLOCKS.digestChannel]: { type: "conversations_select", selected_conversation: "C0DIGEST" },
      },
      [SETTINGS_BLOCKS.alertChannel]: {
        [SETTINGS_BLOCKS.alertChannel]: { type: "conversations_select", selected_conversation: "C0ALERTS" },
      },
      [SETTINGS_BLOCKS.digestTime]: {
        [SETTINGS_BLOCKS.digestTime]: { type: "timepicker", selected_time: "08:30" },
      },
      [SETTINGS_BLOCKS.digestDays]: {
        [SETTINGS_BLOCKS.digestDays]: {
          type: "checkboxes",
          selected_options: [{ value: "1" }, { value: "3" }],
        },
      },
      [SETTINGS_BLOCKS.timezone]: {
        [SETTINGS_BLOCKS.timezone]: { type: "plain_text_input", value: timezone },
      },
      [SETTINGS_BLOCKS.cadence]: {
        [SETTINGS_BLOCKS.cadence]: { type: "static_select", selected_option: { value: "0 */4 * * *" } },
      },
      [SETTINGS_BLOCKS.lead]: { [SETTINGS_BLOCKS.lead]: { type: "users_select", selected_user: "U0LEAD" } },
    },
  };
  const payload = {
    type: "view_submission",
    team: { id: TEAM, domain: "test" },
    user: { id: user, username: user, team_id: TEAM },
    api_app_id: "A0APP",
    token: "legacy",
    trigger_id: "1.2.6",
    view: { id: "V0SET", type: "modal", callback_id: VIEWS.settings, private_metadata: "", state },
  };
  return postSigned(h.eventsUrl, `payload=${encodeURIComponent(JSON.stringify(payload))}`);
}

describe("/css settings", () => {
  it("tells a non-admin they cannot, and opens nothing", async () => {
    const url = h.fake.responseUrl("member");
    const res = await postSigned(
      h.eventsUrl,
      commandBody({ text: "settings", user_id: "U0MEMBER", response_url: url }),
    );
    expect(res.status).toBe(200);
    const deadline = Date.now() + 5000;
    while (!h.fake.responses.some((r) => r.id === "member") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(JSON.stringify(h.fake.responses.find((r) => r.id === "member")!.body)).toContain(
      "Only workspace admins",
    );
    expect(h.fake.views).toHaveLength(0);
  });

  it("opens the modal for an admin and saves valid settings; invalid ones are shown beside the field", async () => {
    await postSigned(
      h.eventsUrl,
      commandBody({ text: "settings", user_id: "U0ADMIN", response_url: h.fake.responseUrl() }),
    );
    const deadline = Date.now() + 5000;
    while (h.fake.views.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(JSON.stringify(h.fake.views[0]!.view)).toContain(VIEWS.settings);

    const bad = await submission("U0ADMIN", "Mars/Olympus");
    const badBody = bad.json as { response_action: string; errors: Record<string, string> };
    expect(badBody.response_action).toBe("errors");
    expect(badBody.errors[SETTINGS_BLOCKS.timezone]).toMatch(/IANA/);
    const refused = await submission("U0MEMBER", "Europe/Paris");
    expect(refused.json).toMatchObject({ response_action: "errors" });
    const ok = await submission("U0ADMIN", "Europe/Paris");
    expect(ok.status).toBe(200);
    const settings = readSettings(
      (await h.db.prisma.workspace.findUniqueOrThrow({ where: { id: h.workspace.id } })).settings,
    );
    expect(settings).toMatchObject({
      timezone: "Europe/Paris",
      digest_channel: "C0DIGEST",
      alert_channel: "C0ALERTS",
      digest_time: "08:30",
      digest_days: [1, 3],
      recompute_cron: "0 */4 * * *",
      escalation_lead: "U0LEAD",
    });
  });
});

describe("/css settings shows the connectors", () => {
  it("with each one's last sync, its counts, and the error of a failed or refused one", async () => {
    const ws = h.workspace.id;
    const make = (name: string, kind: string, status = "active", lastError: string | null = null) =>
      h.db.prisma.connectorConfig.create({ data: { workspaceId: ws, name, kind, status, lastError } });
    const warehouse = await make("warehouse", "sql");
    const stripe = await make(
      "billing",
      "stripe",
      "auth_failed",
      "Stripe refused the credentials (HTTP 401)",
    );
    const desk = await make("desk", "zendesk");
    await make("crm", "hubspot");
    const at = new Date("2026-11-20T08:00:00Z");
    await h.db.prisma.syncRun.create({
      data: {
        workspaceId: ws,
        connectorId: warehouse.id,
        status: "succeeded",
        read: 1200,
        written: 1155,
        rejected: 5,
        superseded: 40,
        startedAt: at,
        finishedAt: at,
      },
    });
    await h.db.prisma.syncRun.create({
      data: {
        workspaceId: ws,
        connectorId: desk.id,
        status: "failed",
        read: 10,
        written: 10,
        rejected: 0,
        error: "Zendesk GET /api/v2/organizations: still failing <after> 5 attempts",
        startedAt: at,
        finishedAt: at,
      },
    });
    await h.db.prisma.syncRun.create({
      data: {
        workspaceId: ws,
        connectorId: stripe.id,
        status: "failed",
        error: "refused",
        startedAt: at,
        finishedAt: at,
      },
    });
    const before = h.fake.views.length;
    await postSigned(
      h.eventsUrl,
      commandBody({ text: "settings", user_id: "U0ADMIN", response_url: h.fake.responseUrl() }),
    );
    const deadline = Date.now() + 5000;
    while (h.fake.views.length === before && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const text = JSON.stringify(h.fake.views.at(-1)!.view);
    expect(text).toContain("*Connectors*");
    expect(text).toContain(":large_green_circle: *warehouse* (SQL (PostgreSQL)): synced <!date^1795161600^");
    expect(text).toContain("(1,200 read, 1,155 written, 5 rejected, 40 superseded by higher-ranked sources)");
    expect(text).toContain(":red_circle: *billing* (Stripe): credentials refused");
    expect(text).toContain(":warning: *desk* (Zendesk): last sync failed");
    expect(text).toContain("still failing &lt;after&gt; 5 attempts");
    expect(text).toContain(":white_circle: *crm* (HubSpot): not synced yet");
  });
});
