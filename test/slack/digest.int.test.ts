// The daily digest against the fake Slack: what it posts after real runs, exactly once per channel
// and day (repeats and concurrent workers), the one-line "no band changes", and the preview; then
// what it lists: a channel's first digest only its day and the day before, a weekend one line per
// account by its net move (or none), groups of at most 15 by MRR, mentions only for accounts newly
// at risk; and the scheduled job, which posts for the local day of its fire time in the workspace's
// time zone.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activeModelForScoring } from "../../src/db/repositories/models.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { dateToDay, dayToDate, formatDay, parseDay, type Day } from "../../src/domain/dates.ts";
import { driversBetween } from "../../src/domain/scoring/explain.ts";
import { silentLogger } from "../../src/log.ts";
import { digestTick } from "../../src/jobs/definitions/digest-tick.ts";
import type { JobContext } from "../../src/jobs/define-job.ts";
import { postDigest } from "../../src/services/post-digest.ts";
import { recomputeWorkspace } from "../../src/services/recompute.ts";
import { updateSettings } from "../../src/services/workspace-settings.ts";
import { BOT_SCOPES } from "../../src/slack/app.ts";
import { SlackGateway, type WorkspaceSlack } from "../../src/slack/gateway.ts";
import { run } from "../../src/cli/main.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { testRedisUrl, uniquePrefix } from "../support/queues.ts";
import { BOT_TOKEN, startSlackHarness, TEAM, type SlackHarness } from "../support/slack-app.ts";

const DIGESTS = "C0DIGEST";
let h: SlackHarness;
let redis: Redis;
let slack: WorkspaceSlack;

beforeAll(async () => {
  h = await startSlackHarness();
  h.fake.addChannel({ id: DIGESTS, name: "cs-digest" });
  await updateSettings(h.db.prisma, h.workspace.id, { digest_channel: DIGESTS }, "test");
  redis = new Redis(testRedisUrl);
  slack = new SlackGateway({
    apiUrl: h.fake.apiUrl,
    timeoutMs: 5000,
    redis,
    keyPrefix: `${uniquePrefix()}:pace`,
    log: silentLogger,
  }).forToken(BOT_TOKEN, TEAM);
  await importPortfolio(h.db.prisma, h.workspace.id, { accounts: 60 });
  await recomputeWorkspace(h.db, h.workspace.id, PORTFOLIO_END - 7);
  await recomputeWorkspace(h.db, h.workspace.id, PORTFOLIO_END - 1);
  // Yesterday everyone was healthy: today's run reports the real bands as changes.
  await h.db.prisma.scoreSnapshot.updateMany({
    where: {
      workspaceId: h.workspace.id,
      asOf: new Date(`${formatDay(PORTFOLIO_END - 1)}T00:00:00Z`),
      score: { not: null },
    },
    data: { band: "healthy" },
  });
  await recomputeWorkspace(h.db, h.workspace.id, PORTFOLIO_END);
}, 120_000);

afterAll(async () => {
  redis?.disconnect();
  await h?.close();
});

describe("daily digest", () => {
  it("previews without posting or marking anything", async () => {
    const out: string[] = [];
    const write = (s: string) => out.push(s);
    const io = { stdout: { write }, stderr: { write }, interactive: false };
    const chart = join(await mkdtemp(join(tmpdir(), "css-chart-")), "mix.png");
    const argv = [
      "node",
      "css-bot",
      "digest",
      "--preview",
      "--date",
      formatDay(PORTFOLIO_END),
      "--chart",
      chart,
    ];
    const code = await run(argv, { DATABASE_URL: h.db.url }, io);
    if (code !== 0) throw new Error(out.join(""));
    const text = out.join("");
    expect(text).toContain(`chart written to ${chart}: Band mix on `);
    expect((await readFile(chart)).subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(h.fake.files).toHaveLength(0);
    expect(text).toContain(`== Customer Success digest · ${formatDay(PORTFOLIO_END)} ==`);
    expect(text).toContain("Newly at risk");
    // The channel's first digest: the day and the one before.
    expect(text).toContain(
      `Net band changes on ${formatDay(PORTFOLIO_END - 1)} or ${formatDay(PORTFOLIO_END)}`,
    );
    out.length = 0;
    const json = ["node", "css-bot", "digest", "--preview", "--json", "--date", formatDay(PORTFOLIO_END)];
    expect(await run(json, { DATABASE_URL: h.db.url }, io)).toBe(0);
    const messages = JSON.parse(out.join("")) as { text: string; blocks: unknown[] }[];
    expect(messages[0]!.text).toMatch(/^Customer Success digest .*: \d+ newly at risk/);
    expect(h.fake.messages(DIGESTS)).toHaveLength(0);
    expect(await h.db.prisma.bandChange.count({ where: { digestedAt: { not: null } } })).toBe(0);
  });

  it("posts once per channel and day, whatever the repeats and concurrent workers", async () => {
    const results = await Promise.all([
      postDigest(h.db.prisma, h.workspace.id, PORTFOLIO_END, slack),
      postDigest(h.db.prisma, h.workspace.id, PORTFOLIO_END, slack),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["in-progress", "posted"].sort());
    expect(results.find((r) => r.status === "posted")).toMatchObject({ chart: "posted" });
    const posted = h.fake.messages(DIGESTS).length;
    expect(posted).toBeGreaterThan(0);
    expect(await postDigest(h.db.prisma, h.workspace.id, PORTFOLIO_END, slack)).toEqual({
      status: "already-posted",
    });
    expect(h.fake.messages(DIGESTS)).toHaveLength(posted);
    // The band-mix chart, once, in the digest's channel.
    const charts = h.fake.files.filter((f) => f.channel_id === DIGESTS);
    expect(charts).toHaveLength(1);
    expect(charts[0]!.filename).toBe(`band-mix-${formatDay(PORTFOLIO_END)}.png`);
    expect(charts[0]!.bytes).toBeGreaterThan(5_000);
    const text = JSON.stringify(h.fake.messages(DIGESTS).map((m) => m.blocks));
    expect(text).toContain("Newly at risk");
    expect(text).toContain("Average score");
    const changes = await h.db.prisma.bandChange.count({ where: { workspaceId: h.workspace.id } });
    expect(await h.db.prisma.bandChange.count({ where: { digestedAt: { not: null } } })).toBe(changes);
  });

  it("says 'no band changes' in one line the next day", async () => {
    const before = h.fake.messages(DIGESTS).length;
    const result = await postDigest(h.db.prisma, h.workspace.id, PORTFOLIO_END + 1, slack);
    expect(result).toMatchObject({ status: "posted", messages: 1, changes: 0, chart: "no-changes" });
    expect(h.fake.files.filter((f) => f.channel_id === DIGESTS)).toHaveLength(1);
    const last = h.fake.messages(DIGESTS).slice(before);
    expect(last).toHaveLength(1);
    expect(last[0]!.text).toBe(`No band changes since ${formatDay(PORTFOLIO_END)}.`);
  });

  it("uploads the chart only with files:write, and once when Slack rate-limits the upload", async () => {
    const undigest = () =>
      h.db.prisma.bandChange.updateMany({
        where: { workspaceId: h.workspace.id },
        data: { digestedAt: null },
      });
    const charts = () => h.fake.files.filter((f) => f.channel_id === DIGESTS).length;
    const before = charts();
    await undigest();
    const uploads = h.fake.callsTo("files.getUploadURLExternal").length;
    h.fake.setScopes(BOT_TOKEN, ["commands", "chat:write", "im:write", "users:read", "users:read.email"]);
    try {
      const result = await postDigest(h.db.prisma, h.workspace.id, PORTFOLIO_END + 3, slack);
      expect(result).toMatchObject({ status: "posted", chart: "no-scope" });
      expect(h.fake.callsTo("files.getUploadURLExternal")).toHaveLength(uploads);
    } finally {
      h.fake.setScopes(BOT_TOKEN, [...BOT_SCOPES]);
    }
    await undigest();
    const messages = h.fake.messages(DIGESTS).length;
    h.fake.failNext("files.getUploadURLExternal", { status: 429, retryAfter: 1 });
    await expect(postDigest(h.db.prisma, h.workspace.id, PORTFOLIO_END + 4, slack)).rejects.toThrow();
    const sent = h.fake.messages(DIGESTS).length - messages;
    expect(sent).toBeGreaterThan(0);
    expect(charts()).toBe(before);
    // The retry posts the chart and not the messages again.
    expect(await postDigest(h.db.prisma, h.workspace.id, PORTFOLIO_END + 4, slack)).toMatchObject({
      status: "posted",
      chart: "posted",
    });
    expect(h.fake.messages(DIGESTS).length - messages).toBe(sent);
    expect(charts()).toBe(before + 1);
  });

  it("records a channel the bot was removed from, and tries again on the next fire", async () => {
    h.fake.addChannel({ id: "C0KICKED", name: "old", member: false });
    await updateSettings(h.db.prisma, h.workspace.id, { digest_channel: "C0KICKED" }, "test");
    await expect(postDigest(h.db.prisma, h.workspace.id, PORTFOLIO_END + 2, slack)).rejects.toThrow(
      /not_in_channel/,
    );
    const row = await h.db.prisma.digest.findFirstOrThrow({ where: { channelId: "C0KICKED" } });
    expect(row.status).toBe("failed");
    expect(row.error).toContain("not_in_channel");
    h.fake.addChannel({ id: "C0KICKED", name: "old", member: true });
    expect(await postDigest(h.db.prisma, h.workspace.id, PORTFOLIO_END + 2, slack)).toMatchObject({
      status: "posted",
    });
  });
});

/** A Monday. */
const MONDAY = parseDay("2026-11-30")!;
interface Portfolio {
  id: number;
  channel: string;
  modelId: number;
}

/** A workspace with its digest channel (the app's one Slack workspace posts for it). */
async function portfolio(slug: string): Promise<Portfolio> {
  const ws = await ensureWorkspace(h.db.prisma, slug);
  const channel = `C0${slug.toUpperCase().replaceAll("-", "")}`;
  h.fake.addChannel({ id: channel, name: slug });
  await updateSettings(h.db.prisma, ws.id, { digest_channel: channel }, "test");
  return { id: ws.id, channel, modelId: (await activeModelForScoring(h.db.prisma, ws.id)).id };
}

const BAND = (score: number) => (score >= 80 ? "healthy" : score >= 70 ? "caution" : "at_risk");
const components = (score: number) => [
  { key: "usage", raw: score / 100, score, weight: 0.5, points: score / 2 },
  { key: "tickets", raw: 1, score, weight: 0.5, points: score / 2 },
];

/**
 * An account and its daily scores (band by the default model's cut-offs, unless given), stored as a
 * recompute stores them: a snapshot a day, a band change where the band moved.
 */
async function account(
  p: Portfolio,
  name: string,
  days: [Day, number, string?][],
  facts: { mrr?: number; owner?: string; ownerSlackUserId?: string } = {},
): Promise<number> {
  const a = await h.db.prisma.account.create({
    data: { workspaceId: p.id, externalId: name.toLowerCase().replaceAll(" ", "-"), name, ...facts },
  });
  let previous = null as { score: number; band: string } | null;
  for (const [day, score, given] of days) {
    const band = given ?? BAND(score);
    await h.db.prisma.scoreSnapshot.create({
      data: {
        workspaceId: p.id,
        accountId: a.id,
        asOf: dayToDate(day),
        modelId: p.modelId,
        score,
        band,
        coverage: 1,
        components: components(score),
      },
    });
    if (previous?.band !== band) {
      const before = previous && {
        score: previous.score,
        band: previous.band,
        components: components(previous.score),
      };
      const now = { score, band, components: components(score) };
      await h.db.prisma.bandChange.create({
        data: {
          workspaceId: p.id,
          accountId: a.id,
          asOf: dayToDate(day),
          fromBand: previous?.band ?? null,
          toBand: band,
          fromScore: previous?.score ?? null,
          toScore: score,
          drivers: before ? driversBetween(before, now).map((d) => ({ ...d })) : [],
        },
      });
    }
    previous = { score, band };
  }
  await h.db.prisma.account.update({
    where: { id: a.id },
    data: { currentScore: previous?.score ?? null, currentBand: previous?.band ?? null },
  });
  return a.id;
}

/** A digest already posted in the channel on `day`: it reported the changes up to that day. */
async function postedDigest(p: Portfolio, day: Day): Promise<void> {
  await h.db.prisma.digest.create({
    data: { workspaceId: p.id, channelId: p.channel, localDate: dayToDate(day), status: "posted" },
  });
  await h.db.prisma.bandChange.updateMany({
    where: { workspaceId: p.id, asOf: { lte: dayToDate(day) } },
    data: { digestedAt: new Date() },
  });
}

async function digestText(p: Portfolio, day: Day): Promise<string> {
  const before = h.fake.messages(p.channel).length;
  expect(await postDigest(h.db.prisma, p.id, day, slack)).toMatchObject({ status: "posted" });
  return h.fake
    .messages(p.channel)
    .slice(before)
    .flatMap((m) => m.blocks ?? [])
    .map((b) => {
      const block = b as { text?: { text: string }; elements?: { text?: string }[] };
      return block.text?.text ?? block.elements?.map((e) => e.text ?? "").join(" ") ?? "";
    })
    .join("\n");
}

const lines = (text: string) => text.split("\n").filter((l) => l.startsWith("• "));

// What the digest lists: each test has a workspace of its own whose history is written as a
// recompute writes it (a snapshot a day, a band change where the band moved).
describe("the digest's lines", () => {
  it("lists only the last day in a channel's first digest, and settles the older changes", async () => {
    const p = await portfolio("first-digest");
    const ten = Array.from({ length: 10 }, (_, i) => MONDAY - 9 + i);
    // A band change every day of the ten, each account its own day.
    for (const [i, day] of ten.entries()) {
      await account(p, `Daily ${i}`, [
        [day - 1, 85],
        [day, 65],
      ]);
    }
    const text = await digestText(p, MONDAY);
    expect(text).toContain(
      `Net band changes on ${formatDay(MONDAY - 1)} or ${formatDay(MONDAY)} (the channel's first digest`,
    );
    expect(text).toContain("Newly at risk* (2)");
    expect(
      lines(text)
        .map((l) => l.match(/\*(Daily \d)\*/)![1])
        .sort(),
    ).toEqual(["Daily 8", "Daily 9"]);
    expect(await h.db.prisma.bandChange.count({ where: { workspaceId: p.id, digestedAt: null } })).toBe(0);
    // Nothing floods the next one either.
    expect(await digestText(p, MONDAY + 1)).toBe(`No band changes since ${formatDay(MONDAY)}.`);
  });

  it("nets a weekend: a fall and a recovery to nothing, a fall over three days to one line", async () => {
    const p = await portfolio("weekend");
    const friday = MONDAY - 3;
    await account(p, "Bounced", [
      [friday, 84],
      [MONDAY - 2, 76],
      [MONDAY - 1, 82],
      [MONDAY, 83],
    ]);
    await account(
      p,
      "Sliding",
      [
        [friday, 84],
        [MONDAY - 2, 77],
        [MONDAY - 1, 74],
        [MONDAY, 61.4],
      ],
      { owner: "ana@example.com", ownerSlackUserId: "U0ANA" },
    );
    await postedDigest(p, friday);
    const text = await digestText(p, MONDAY);
    expect(text).toContain(`Net band changes since ${formatDay(friday)}`);
    expect(text).not.toContain("Bounced");
    expect(text).not.toContain("Dropped to caution");
    expect(lines(text)).toEqual([
      // The drivers of the whole move: 84 -> 61.4 is 22.6 points, half each.
      "• *Sliding* 84 → 61 · <@U0ANA> · tickets −11, usage −11",
    ]);
    expect(await h.db.prisma.bandChange.count({ where: { workspaceId: p.id, digestedAt: null } })).toBe(0);
  });

  it("shows a decimal where whole numbers would hide a move the band made by hysteresis", async () => {
    const p = await portfolio("hysteresis");
    await account(p, "Edge", [
      [MONDAY - 1, 81.61, "caution"],
      [MONDAY, 82.02, "healthy"],
    ]);
    await postedDigest(p, MONDAY - 1);
    const text = await digestText(p, MONDAY);
    expect(lines(text)).toEqual([
      "• *Edge* 81.6 → 82.0 · now Healthy · _no owner_ · no single component stands out",
    ]);
  });

  it("lists 15 of 20 accounts newly at risk, by MRR, and mentions only their owners", async () => {
    const p = await portfolio("twenty");
    for (let i = 1; i <= 20; i++) {
      await account(
        p,
        `Risk ${String(i).padStart(2, "0")}`,
        [
          [MONDAY - 1, 75],
          [MONDAY, 60],
        ],
        { mrr: i * 100, owner: `owner${i}@example.com`, ownerSlackUserId: `U0RISK${i}` },
      );
    }
    await account(
      p,
      "Cooling",
      [
        [MONDAY - 1, 85],
        [MONDAY, 75],
      ],
      { mrr: 99_999, owner: "cara@example.com", ownerSlackUserId: "U0CARA" },
    );
    await postedDigest(p, MONDAY - 1);
    await account(p, "New", [[MONDAY, 90]]);
    const text = await digestText(p, MONDAY);
    expect(text).toContain("Newly at risk* (20)");
    const risk = lines(text).filter((l) => l.startsWith("• *Risk"));
    expect(risk.map((l) => l.match(/\*(Risk \d+)\*/)![1])).toEqual(
      Array.from({ length: 15 }, (_, i) => `Risk ${String(20 - i).padStart(2, "0")}`),
    );
    expect(text).toContain("and 5 more: `/css at-risk`");
    // Mentions: the 15 listed owners of accounts newly at risk, nobody else.
    expect(text.match(/<@U0[A-Z0-9]+>/g)?.sort()).toEqual(
      Array.from({ length: 15 }, (_, i) => `<@U0RISK${20 - i}>`).sort(),
    );
    expect(text).toContain("• *Cooling* 85 → 75 · cara@example.com · ");
    expect(text).toContain("1 other band change (newly scored");
  });
});

describe("the scheduled digest", () => {
  it("posts for the workspace's local day at the fire time, not UTC's", async () => {
    const p = await portfolio("auckland");
    await updateSettings(h.db.prisma, p.id, { timezone: "Pacific/Auckland" }, "test");
    const nov25 = parseDay("2026-11-25")!;
    await account(p, "Kiwi Orchards", [
      [nov25 - 1, 85],
      [nov25, 60],
    ]);
    // 23:30 UTC on the 24th is 12:30 on the 25th in Auckland (NZDT, UTC+13).
    const fireAt = Date.parse("2026-11-24T23:30:00Z");
    // BullMQ adds a scheduled job at the previous fire: its timestamp is a day before its fire time.
    const job = { opts: { prevMillis: fireAt }, timestamp: fireAt - 86_400_000 } as JobContext["job"];
    const ctx = { prisma: h.db.prisma, slack: { forWorkspace: () => Promise.resolve(slack) }, job };
    const before = h.fake.messages(p.channel).length;
    expect(await digestTick.run({ workspaceId: p.id }, ctx as unknown as JobContext)).toMatchObject({
      status: "posted",
    });
    const rows = await h.db.prisma.digest.findMany({ where: { workspaceId: p.id } });
    expect(rows.map((r) => formatDay(dateToDay(r.localDate)))).toEqual(["2026-11-25"]);
    const text = JSON.stringify(h.fake.messages(p.channel).slice(before));
    expect(text).toContain("Kiwi Orchards");
  });
});
