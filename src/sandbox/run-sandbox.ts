// The bot and a Slack workspace of its own, on this machine: the fake Slack Web API on loopback, the
// real bot (`css-bot start`: web process and worker) pointed at it through SLACK_API_URL's setting,
// and the sandbox page. With the demo, a clock moves the demo's day on: a run through the queue (so
// alerts follow as they would), then the day's digest.
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { startFakeSlack } from "./slack-api.ts";
import type { AppConfig } from "../config/env.ts";
import { openDatabase } from "../db/client.ts";
import { ensureWorkspace } from "../db/repositories/workspaces.ts";
import { formatDay, type Day } from "../domain/dates.ts";
import { digestTick } from "../jobs/definitions/digest-tick.ts";
import { enqueue } from "../jobs/enqueue.ts";
import { openQueues } from "../jobs/queues.ts";
import { startRunFlow } from "../jobs/run-flow.ts";
import { settingsChanged } from "../jobs/settings-changed.ts";
import type { Logger } from "../log.ts";
import { startWorkerProcess } from "../main/worker-process.ts";
import { matchOwners } from "../services/match-owners.ts";
import { updateSettings } from "../services/workspace-settings.ts";
import { Sandbox } from "./sandbox.ts";
import { startSandboxServer, type SandboxClock } from "./server.ts";
import { SANDBOX_BOT_TOKEN, SANDBOX_MEMBERS, SANDBOX_TEAM } from "./team.ts";

export interface RunningSandbox {
  /** The page: http://127.0.0.1:<port> */
  url: string;
  sandbox: Sandbox;
  stopped: Promise<void>;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  config: AppConfig;
  log: Logger;
  /** The page's port (CSS_SANDBOX_PORT); a taken port falls back to a free one. */
  port: number;
  /** The demo's last scored day: the clock starts there and "Next day" moves it on. */
  demoDay?: Day;
}

export async function runSandbox(o: SandboxOptions): Promise<RunningSandbox> {
  const fake = await startFakeSlack({
    tokens: [SANDBOX_BOT_TOKEN],
    teams: {
      [SANDBOX_BOT_TOKEN]: { teamId: SANDBOX_TEAM.id, botUserId: "U0CSSBOT", teamName: SANDBOX_TEAM.name },
    },
  });
  const signingSecret = randomBytes(24).toString("hex");
  const config: AppConfig = {
    ...o.config,
    port: await portOrFree(o.config.port),
    slack: {
      mode: "single",
      signingSecret,
      botToken: SANDBOX_BOT_TOKEN,
      appToken: undefined,
      oauth: undefined,
      apiUrl: fake.apiUrl,
      timeoutMs: o.config.slack?.timeoutMs ?? 10_000,
    },
  };
  const bot = await startWorkerProcess(config, o.log, { web: true });
  const sandbox = new Sandbox({
    fake,
    appUrl: `http://127.0.0.1:${bot.port}/slack/events`,
    signingSecret,
  });
  const clock = o.demoDay === undefined ? undefined : await demoClock(config, o.demoDay);
  const server = await startSandboxServer({ sandbox, port: await portOrFree(o.port), log: o.log, clock });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await server.close();
      await bot.stop();
      await clock?.close();
      await fake.close();
    })());
  void bot.stopped.then(stop);
  return { url: server.url, sandbox, stopped: bot.stopped.then(() => stopping), stop };
}

/**
 * The demo's clock: the workspace's channels set (which queues the case pass that posts the at-risk
 * threads), the first digest posted, and each "Next day" a run as of the next day then its digest.
 */
async function demoClock(
  config: AppConfig,
  firstDay: Day,
): Promise<SandboxClock & { close(): Promise<void> }> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const queues = openQueues(config.redisUrl, config.queuePrefix);
  const workspace = await ensureWorkspace(db.prisma, config.defaultWorkspace);
  // The owners matched to the sandbox's members now, all at once (a real workspace is matched a few
  // emails per run): the first threads then mention them, and Home and `/css mine` know them.
  const directory = new Map(SANDBOX_MEMBERS.map((m) => [m.email, m.id]));
  await matchOwners(
    db.prisma,
    workspace.id,
    { lookupByEmail: (email) => Promise.resolve(directory.get(email) ?? null) },
    directory.size,
  );
  const settings = await updateSettings(
    db.prisma,
    workspace.id,
    { alert_channel: "C0ALERTS", digest_channel: "C0DIGEST" },
    "sandbox",
  );
  await settingsChanged(queues, workspace.id, settings);
  let day = firstDay;
  const digest = (d: Day) =>
    enqueue(
      queues,
      digestTick,
      { workspaceId: workspace.id, localDate: d },
      `digest-sandbox-${formatDay(d)}-${Date.now().toString(36)}`,
    );
  await digest(day);
  return {
    today: () => formatDay(day),
    nextDay: async () => {
      const next = day + 1;
      const started = await startRunFlow(db.prisma, queues, {
        workspaceId: workspace.id,
        asOf: next,
        slot: `sandbox-${formatDay(next)}`,
        trigger: "sandbox",
      });
      // The digest reads the run's band changes: it waits for the run (a few seconds).
      for (let i = 0; i < 600; i++) {
        const run = await db.prisma.recomputeRun.findUniqueOrThrow({ where: { id: started.runId } });
        if (run.status === "succeeded") break;
        if (run.status === "failed") throw new Error(`the run as of ${formatDay(next)} failed: ${run.error}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      day = next;
      await digest(day);
      return formatDay(day);
    },
    close: async () => {
      await queues.close();
      await db.close();
    },
  };
}

/** `port` when it can be listened on (0: any), else a free one. */
async function portOrFree(port: number): Promise<number> {
  const tryListen = (p: number) =>
    new Promise<number | null>((resolve) => {
      const probe = createServer();
      probe.once("error", () => resolve(null));
      probe.listen(p, "127.0.0.1", () => {
        const { port: got } = probe.address() as { port: number };
        probe.close(() => resolve(got));
      });
    });
  return (await tryListen(port)) ?? (await tryListen(0))!;
}
