// The real Bolt app behind the real web process, on a database of its own, talking to a fake of
// Slack's Web API on loopback: what a Slack test drives with signed HTTP requests.
import { Redis } from "ioredis";
import type { SlackConfig } from "../../src/config/slack.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import type { Workspace } from "../../src/generated/prisma/client.ts";
import { silentLogger, type Logger } from "../../src/log.ts";
import { startWebProcess, type WebProcess } from "../../src/main/web-process.ts";
import type { SecretBox } from "../../src/security/secret-box.ts";
import { createSlackServer, type SlackServer } from "../../src/slack/app.ts";
import { SlackGateway } from "../../src/slack/gateway.ts";
import { workspaceToday } from "../../src/slack/workspace-today.ts";
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";
import { createTestDatabase, type TestDatabase } from "./databases.ts";
import { testRedisUrl, uniquePrefix } from "./queues.ts";
import { SIGNING_SECRET } from "./slack-requests.ts";

export const TEAM = "T0TEST";
export const BOT_TOKEN = "xoxb-test";

export interface SlackHarness {
  db: TestDatabase;
  fake: FakeSlack;
  slack: SlackServer;
  web: WebProcess;
  workspace: Workspace;
  /** http://127.0.0.1:<port>/slack/events */
  eventsUrl: string;
  close(): Promise<void>;
}

export async function startSlackHarness(
  options: {
    config?: Partial<SlackConfig>;
    box?: SecretBox;
    log?: Logger;
    workspace?: string;
    /** A fixed "today" for the workspaces (default: the real date in their time zone). */
    today?: number;
  } = {},
): Promise<SlackHarness> {
  const db = await createTestDatabase("postgres");
  const fake = await startFakeSlack({ tokens: [BOT_TOKEN] });
  const redis = new Redis(testRedisUrl);
  const workspace = await ensureWorkspace(db.prisma, options.workspace ?? "local");
  const gateway = new SlackGateway({
    apiUrl: fake.apiUrl,
    timeoutMs: 5000,
    redis,
    keyPrefix: `${uniquePrefix()}:slack-pace`,
    log: silentLogger,
  });
  const slack = createSlackServer({
    gateway,
    config: {
      mode: "single",
      signingSecret: SIGNING_SECRET,
      botToken: BOT_TOKEN,
      appToken: undefined,
      oauth: undefined,
      apiUrl: fake.apiUrl,
      timeoutMs: 5000,
      ...options.config,
    },
    box: options.box ?? null,
    defaultWorkspace: workspace.slug,
    prisma: db.prisma,
    sql: db.sql,
    log: options.log ?? silentLogger,
    today: (w) => options.today ?? workspaceToday(w),
  });
  const web = await startWebProcess({ port: 0, prisma: db.prisma, redis, log: silentLogger, slack });
  return {
    db,
    fake,
    slack,
    web,
    workspace,
    eventsUrl: `http://127.0.0.1:${web.port}/slack/events`,
    close: async () => {
      await web.close();
      await slack.stop();
      redis.disconnect();
      await fake.close();
      await db.close();
    },
  };
}
