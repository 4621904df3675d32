// The running bot for a chaos section: `css-bot start` as an operator runs it (one workspace, the
// fake Slack on loopback), on a scratch PostgreSQL database and a queue prefix of its own, all
// removed at the end.
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";
import { spawnCssBot, type CssBotProcess } from "../../test/support/processes.ts";
import type { Cleanup } from "../support/lifecycle.ts";
import { benchRedisUrl, deleteQueueKeys, uniqueQueuePrefix } from "../support/queue-keys.ts";
import { createScratchDatabase, type ScratchDatabase } from "../support/scratch-database.ts";

export const SIGNING_SECRET = "chaos-signing-secret-0123456789";
export const BOT_TOKEN = "xoxb-chaos";

export interface RunningBot {
  scratch: ScratchDatabase;
  fake: FakeSlack;
  bot: CssBotProcess;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The environment it runs with: CLI commands run with it reach the same database and queues. */
  env: Record<string, string>;
}

export async function startBot(
  cleanups: Cleanup[],
  extraEnv: Record<string, string> = {},
): Promise<RunningBot> {
  const scratch = await createScratchDatabase("postgres");
  cleanups.push(() => scratch.drop());
  const fake = await startFakeSlack({ tokens: [BOT_TOKEN] });
  cleanups.push(() => fake.close());
  fake.addUser({ id: "U0ALICE", name: "Alice" });
  const prefix = uniqueQueuePrefix();
  cleanups.push(() => deleteQueueKeys(benchRedisUrl, prefix));
  const env = {
    DATABASE_URL: scratch.config.databaseUrl ?? "",
    REDIS_URL: benchRedisUrl,
    CSS_QUEUE_PREFIX: prefix,
    PORT: "0",
    CSS_HEALTH_PORT: "0",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    ...extraEnv,
  };
  const bot = spawnCssBot(["start"], env);
  cleanups.push(() => bot.dispose());
  const { port } = await bot.waitForLine("web process listening", 120_000);
  await bot.waitForLine("slack: bot token checked", 60_000);
  return { scratch, fake, bot, origin: `http://127.0.0.1:${String(port)}`, env };
}
