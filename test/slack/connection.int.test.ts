// The start-up check's binding, as the workers' Slack access sees it: a job holding its workspace as
// read before the binding still gets the workspace's Slack; a CSS_WORKSPACE already bound to another
// team is left alone, and said so.
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SlackConfig } from "../../src/config/slack.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { silentLogger, type Logger } from "../../src/log.ts";
import { createSlackAccess } from "../../src/slack/access.ts";
import { SlackConnection } from "../../src/slack/connection.ts";
import { SlackGateway } from "../../src/slack/gateway.ts";
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { testRedisUrl, uniquePrefix } from "../support/queues.ts";

describe("SlackConnection", () => {
  let db: TestDatabase;
  let fake: FakeSlack;
  let redis: Redis;
  let config: SlackConfig;

  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    fake = await startFakeSlack({ tokens: ["xoxb-test"] });
    redis = new Redis(testRedisUrl);
    config = {
      mode: "single",
      signingSecret: "signing-secret-for-tests",
      botToken: "xoxb-test",
      appToken: undefined,
      oauth: undefined,
      apiUrl: fake.apiUrl,
      timeoutMs: 5000,
    };
  });
  afterEach(async () => {
    redis.disconnect();
    await fake.close();
    await db.close();
  });

  const access = (connection: SlackConnection | null) =>
    createSlackAccess({
      config,
      prisma: db.prisma,
      box: null,
      connection,
      gateway: new SlackGateway({
        apiUrl: fake.apiUrl,
        timeoutMs: 5000,
        redis,
        keyPrefix: `${uniquePrefix()}:pace`,
        log: silentLogger,
      }),
    });

  it("gives a job that read its workspace before the binding the workspace's Slack", async () => {
    const stale = await ensureWorkspace(db.prisma, "local");
    expect(stale.slackTeamId).toBeNull();
    const connection = new SlackConnection({
      config,
      prisma: db.prisma,
      workspace: "local",
      log: silentLogger,
    });
    expect(await access(connection).forWorkspace(stale)).toBeNull(); // not checked yet
    expect(await connection.identity()).toMatchObject({ teamId: "T0TEST", workspace: { slug: "local" } });
    expect(await access(connection).forWorkspace(stale)).not.toBeNull();
    expect(await access(null).forWorkspace(stale)).toBeNull();
    // Another workspace, never bound, gets nothing.
    expect(await access(connection).forWorkspace(await ensureWorkspace(db.prisma, "other"))).toBeNull();
    expect(connection.status()).toEqual({ ok: true, team: "T0TEST", workspace: "local" });
  });

  it("leaves a CSS_WORKSPACE bound to another team alone, and warns", async () => {
    const local = await ensureWorkspace(db.prisma, "local");
    await db.prisma.workspace.update({ where: { id: local.id }, data: { slackTeamId: "T0OLD" } });
    const warnings: string[] = [];
    const log: Logger = { ...silentLogger, warn: (msg) => void warnings.push(msg) };
    const connection = new SlackConnection({ config, prisma: db.prisma, workspace: "local", log });
    expect(await connection.identity()).toMatchObject({ teamId: "T0TEST", workspace: null });
    expect(warnings).toEqual([expect.stringContaining('workspace "local" is bound to another Slack team')]);
    const row = await db.prisma.workspace.findUniqueOrThrow({ where: { id: local.id } });
    expect(row.slackTeamId).toBe("T0OLD");
  });
});
