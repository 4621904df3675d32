// Workers as `css-bot worker` runs them, on a test's database and queues: every job of the registry
// (or those given), and with `slack`, the one-workspace bot token of the fake Slack through the
// gateway, paced in the real Redis.
import { Redis } from "ioredis";
import type { SlackConfig } from "../../src/config/slack.ts";
import { startWorkers, type Workers } from "../../src/jobs/worker.ts";
import { silentLogger, type Logger } from "../../src/log.ts";
import { createSlackAccess } from "../../src/slack/access.ts";
import { SlackGateway } from "../../src/slack/gateway.ts";
import type { TestDatabase } from "./databases.ts";
import { testRedisUrl, uniquePrefix, type openTestQueues } from "./queues.ts";

/** The token the fake accepts by default (startFakeSlack's tokens). */
export const WORKER_BOT_TOKEN = "xoxb-test";

/** The Slack settings of a one-workspace install against `apiUrl`. */
export function testSlackConfig(apiUrl: string, timeoutMs = 5000): SlackConfig {
  return {
    mode: "single",
    signingSecret: "x".repeat(16),
    botToken: WORKER_BOT_TOKEN,
    appToken: undefined,
    oauth: undefined,
    apiUrl,
    timeoutMs,
  };
}

export interface TestWorkers {
  workers: Workers;
  /** Stops the workers, then the gateway's Redis connection. */
  close(): Promise<void>;
}

export function startTestWorkers(o: {
  db: TestDatabase;
  queues: ReturnType<typeof openTestQueues>;
  /** Post to the fake Slack at apiUrl, SLACK_TIMEOUT_MS timeoutMs (default 5000); the gateway logs to log. */
  slack?: { apiUrl: string; timeoutMs?: number; log?: Logger };
  concurrency?: number;
  shardSize?: number;
  jobs?: Parameters<typeof startWorkers>[0]["jobs"];
}): TestWorkers {
  const redis = o.slack ? new Redis(testRedisUrl) : null;
  const slack = o.slack && redis ? slackAccess(o.db, o.slack, redis) : null;
  const workers = startWorkers({
    prisma: o.db.prisma,
    sql: o.db.sql,
    queues: o.queues,
    redisUrl: testRedisUrl,
    concurrency: o.concurrency ?? 2,
    log: silentLogger,
    shardSize: o.shardSize,
    jobs: o.jobs,
    slack,
  });
  return {
    workers,
    close: async () => {
      await workers.close();
      redis?.disconnect();
    },
  };
}

function slackAccess(
  db: TestDatabase,
  o: NonNullable<Parameters<typeof startTestWorkers>[0]["slack"]>,
  redis: Redis,
) {
  const config = testSlackConfig(o.apiUrl, o.timeoutMs);
  const gateway = new SlackGateway({
    apiUrl: o.apiUrl,
    timeoutMs: config.timeoutMs,
    redis,
    keyPrefix: `${uniquePrefix()}:pace`,
    log: o.log ?? silentLogger,
  });
  return createSlackAccess({ config, gateway, prisma: db.prisma, box: null });
}
