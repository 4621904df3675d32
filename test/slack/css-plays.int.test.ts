// `/css plays` through the real Bolt app: signed commands from a member (the stored playbook's plays
// with their fires of the last 7 days, counted from play_fires rows written below) and from an admin
// (also who each play would fire for after the latest succeeded run, from a hand-built week of
// scores), on the fake Slack over loopback.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storePlaybookVersion } from "../../src/db/repositories/playbooks.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { dayToDate, parseDay } from "../../src/domain/dates.ts";
import { parsePlaybook } from "../../src/domain/plays/parse-playbook.ts";
import { buildPlayWeek, WEEK } from "../support/play-week.ts";
import { startSlackHarness, TEAM, type SlackHarness } from "../support/slack-app.ts";
import { commandBody, postSigned } from "../support/slack-requests.ts";

const D = parseDay("2026-11-25")!;
const HOSTILE = "<!channel> *x*";

const PLAYBOOK = `
name: team
plays:
  - key: risk
    label: "${HOSTILE}"
    trigger: { band_entered: [lowest] }
    actions:
      - open_case: { channel: alert_channel }
  - key: sharp_drop
    label: Sharp drop
    trigger: { score_drop: { points: 10, within_days: 7 } }
    max_per_day: 2
    cooldown_days: 7
    actions:
      - post: { channel: C0DROPS, text: "{{account.name}}" }
  - key: sync_down
    label: Sync down
    trigger: { connector_failed: {} }
    actions:
      - webhook: { url: "https://hooks.example.com/secret-path-123" }
`;

// The week (test/support/play-week.ts), as of D: Acme (MRR 5,000) and Gamma (900) enter the lowest
// band; Acme fell 18, Gamma 12, Delta (20,000) 11 and Beta (100) 6 points in 7 days.

let h: SlackHarness;
let workspaceId: number;
const ids: Record<string, number> = {};

interface Reply {
  response_type?: string;
  text?: string;
  blocks?: unknown[];
}

/** The reply to a signed `/css <text>`: the ack's, or the response URL's when the ack only said it is on its way. */
async function css(text: string, user: string): Promise<Reply> {
  const id = `${user}-${Math.random()}`;
  const res = await postSigned(
    h.eventsUrl,
    commandBody({ text, user_id: user, response_url: h.fake.responseUrl(id) }),
  );
  expect(res.status).toBe(200);
  const ack = res.json as Reply;
  if (!JSON.stringify(ack).includes("Looking it up")) return ack;
  const deadline = Date.now() + 10_000;
  while (!h.fake.responses.some((r) => r.id === id) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  return h.fake.responses.find((r) => r.id === id)!.body;
}

/** Each play's section text, by the play's key (the `key` in its first line). */
function sections(reply: Reply): Map<string, string> {
  const out = new Map<string, string>();
  for (const b of reply.blocks as { type: string; text?: { text: string } }[]) {
    const key = b.type === "section" ? /`([a-z_]+)`/.exec(b.text!.text)?.[1] : undefined;
    if (key) out.set(key, b.text!.text);
  }
  return out;
}

async function fire(playKey: string, account: string | null, day: number, status: string, subject?: string) {
  await h.db.prisma.playFire.create({
    data: {
      workspaceId,
      playKey,
      subject: subject ?? `account:${ids[account!]}`,
      accountId: account === null ? null : ids[account]!,
      localDate: dayToDate(day),
      trigger: { kind: "test" },
      status,
    },
  });
}

beforeAll(async () => {
  h = await startSlackHarness({ today: D });
  h.fake.addUser({ id: "U0ADMIN", name: "admin", is_admin: true });
  h.fake.addUser({ id: "U0MEMBER", name: "member" });
  workspaceId = h.workspace.id;
  const prisma = h.db.prisma;
  await prisma.workspace.update({ where: { id: workspaceId }, data: { slackTeamId: TEAM } });
  Object.assign(ids, (await buildPlayWeek(prisma, workspaceId, D)).ids);
  // Besides the week's run (as of D, the one previewed): the day before's, with no band change, and a
  // later run of D that failed.
  await prisma.recomputeRun.create({
    data: { workspaceId, slot: "d-1", asOf: dayToDate(D - 1), status: "succeeded" },
  });
  await prisma.recomputeRun.create({
    data: { workspaceId, slot: "d-again", asOf: dayToDate(D), status: "failed" },
  });
  await storePlaybookVersion(prisma, workspaceId, parsePlaybook(PLAYBOOK, "team.yaml"), PLAYBOOK, "test");

  // The week's fires (2026-11-19 .. 2026-11-25 counts):
  //   risk        Gamma D-6 planned, Gamma D-2 held                 -> 2 fires on 1 account
  //   sharp_drop  Acme D-3 delivered, Delta D-1 failed, Gamma and Beta D-1 capped (the day's one
  //               capped row), the D-1 cap summary, Beta D-7 (a day too old)
  //                                                                 -> 2 fires on 2 accounts, 2 capped
  //   sync_down   connector 1 on D                                  -> 1 fire, no account
  await fire("risk", "Gamma", D - 6, "planned");
  await fire("risk", "Gamma", D - 2, "held");
  await fire("sharp_drop", "Acme", D - 3, "delivered");
  await fire("sharp_drop", "Delta", D - 1, "failed");
  await prisma.playFire.create({
    data: {
      workspaceId,
      playKey: "sharp_drop",
      subject: "capped",
      localDate: dayToDate(D - 1),
      trigger: {
        kind: "capped",
        accounts: [ids.Gamma!, ids.Beta!],
        triggers: { [ids.Gamma!]: { kind: "test" }, [ids.Beta!]: { kind: "test" } },
      },
      status: "capped",
    },
  });
  await fire("sharp_drop", null, D - 1, "delivered", "summary");
  await fire("sharp_drop", "Beta", D - 7, "delivered");
  await fire("sync_down", null, D, "delivered", "connector:1");
  // Another workspace's fires of the same play keys are not this workspace's.
  const other = await ensureWorkspace(prisma, "other");
  const stranger = await prisma.account.create({
    data: { workspaceId: other.id, externalId: "s", name: "Stranger" },
  });
  for (const playKey of ["risk", "sharp_drop"]) {
    await prisma.playFire.create({
      data: {
        workspaceId: other.id,
        playKey,
        subject: `account:${stranger.id}`,
        accountId: stranger.id,
        localDate: dayToDate(D),
        trigger: {},
        status: "delivered",
      },
    });
  }
}, 60_000);

afterAll(async () => h?.close());

describe("/css plays", () => {
  it("lists a member the active plays in words with their fires of the last 7 days, and no preview", async () => {
    const reply = await css("plays", "U0MEMBER");
    expect(reply.response_type).toBe("ephemeral");
    expect(reply.text).toBe("Plays: 3 plays, 5 fires in the last 7 days");
    const all = JSON.stringify(reply.blocks);
    expect(all).toContain("3 plays in playbook *team*, version 1 · fires from 2026-11-19 to 2026-11-25");
    const s = sections(reply);
    expect([...s.keys()]).toEqual(["risk", "sharp_drop", "sync_down"]);
    expect(s.get("risk")).toContain("*When:* the account enters the lowest band");
    expect(s.get("risk")).toContain("*Last 7 days:* 2 fires on 1 account");
    expect(s.get("sharp_drop")).toContain("*Last 7 days:* 2 fires on 2 accounts · 2 capped");
    expect(s.get("sharp_drop")).toContain(
      "silent for 7 days per account after a fire, at most 2 fires a day",
    );
    expect(s.get("sync_down")).toMatch(/\*Last 7 days:\* 1 fire$/);
    // The hostile label is shown as text; a webhook's secret path is not shown at all.
    expect(s.get("risk")!.replaceAll("\u2060", "")).toContain("*&lt;!channel&gt; *x**");
    expect(all).not.toContain("<!channel>");
    expect(s.get("sync_down")).toContain("call a webhook at hooks.example.com");
    expect(all).not.toContain("secret-path");
    // No preview for a member: no account is named.
    expect(all).not.toContain("Next fires");
    for (const name of Object.keys(WEEK)) expect(all).not.toContain(name);
  });

  it("shows an admin who each play would fire for after the latest succeeded run, before the guards", async () => {
    const reply = await css("plays", "U0ADMIN");
    const all = JSON.stringify(reply.blocks);
    expect(all).toContain("after the run of 2026-11-25; cooldowns, daily caps and quiet hours still apply");
    const s = sections(reply);
    // Entering the lowest band on D: Acme and Gamma, highest MRR first.
    expect(s.get("risk")).toContain("*Next fires:* 2 accounts: Acme, Gamma");
    // Fallen 10 or more: Delta, Acme, Gamma. Acme's cooldown (fired D-3) and the cap of 2 would keep
    // some back when the play runs; the preview is what the trigger and conditions select.
    expect(s.get("sharp_drop")).toContain("*Next fires:* 3 accounts: Delta, Acme, Gamma");
    expect(s.get("sync_down")).toContain("*Next fires:* on a connector's failed sync (no preview)");
    expect(s.get("risk")).toContain("*Last 7 days:* 2 fires on 1 account");
    // No revenue figures, even for an admin.
    expect(all).not.toMatch(/5,?000|20,?000|\$/);
  });

  it("lists the plays without the preview, and says why, when Slack cannot say who is an admin", async () => {
    h.fake.failNext("users.info", { error: "fatal_error" });
    const reply = await css("plays", "U0ADMIN");
    expect(reply.text).toBe("Plays: 3 plays, 5 fires in the last 7 days");
    const all = JSON.stringify(reply.blocks);
    expect(all).toContain("Slack did not say whether you are an admin");
    expect(all).not.toContain("Next fires");
    expect([...sections(reply).keys()]).toEqual(["risk", "sharp_drop", "sync_down"]);
  });

  it("takes `plays` with more words as an account lookup", async () => {
    const reply = await css("plays ground", "U0ADMIN");
    expect(JSON.stringify(reply)).toMatch(/No account matches/);
  });
});
