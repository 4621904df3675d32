// The daily digest against the fake Slack: what it posts after real runs, exactly once per channel
// and day (repeats and concurrent workers), the one-line "no band changes", and the preview.
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDay } from "../../src/domain/dates.ts";
import { silentLogger } from "../../src/log.ts";
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
