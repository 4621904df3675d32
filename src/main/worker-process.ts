// The worker process: checks Redis, opens and migrates the database, makes Redis hold every
// workspace's schedule, then runs the workers until SIGTERM or SIGINT, letting jobs in progress
// finish before it exits. Any number of these may run, on any number of machines.
import { createApiRouter } from "../api/router.ts";
import type { AppConfig } from "../config/env.ts";
import { migrateDatabase, openDatabase } from "../db/client.ts";
import { openQueues } from "../jobs/queues.ts";
import { checkRedis } from "../jobs/redis.ts";
import { syncSchedules, upsertWorkspaceSchedules } from "../jobs/schedules.ts";
import { startWorkers } from "../jobs/worker.ts";
import type { Logger } from "../log.ts";
import { SecretBox } from "../security/secret-box.ts";
import { createSlackAccess } from "../slack/access.ts";
import { createSlackServer } from "../slack/app.ts";
import { SlackGateway } from "../slack/gateway.ts";
import { workspaceToday } from "../slack/workspace-today.ts";
import { startChores } from "./chores.ts";
import { startWebProcess } from "./web-process.ts";

export interface RunningWorker {
  /** Resolves when the process has stopped (after a signal or stop()). */
  stopped: Promise<void>;
  stop(): Promise<void>;
  /** The web process's port, when started with { web: true }. */
  port?: number;
}

/** The worker; with `web`, the web process too, in the same process (`css-bot start`). */
export async function startWorkerProcess(
  config: AppConfig,
  log: Logger,
  options: { web?: boolean } = {},
): Promise<RunningWorker> {
  const { warnings } = await checkRedis(config.redisUrl);
  for (const w of warnings) log.warn(w);
  // On the embedded database this process is its owner, serving it to the CLI's commands meanwhile.
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    role: "server",
    label: options.web ? "css-bot start" : "css-bot worker",
    onWait: (owner) =>
      log.info("waiting for another process to be done with the embedded database", {
        pid: owner.pid,
        process: owner.label,
      }),
  });
  await migrateDatabase(db);
  const queues = openQueues(config.redisUrl, config.queuePrefix);
  const schedules = await syncSchedules(db.prisma, queues);
  // One gateway per process: its pacing lives in Redis, so every process shares Slack's limits.
  const box = config.encryptionKey ? new SecretBox(config.encryptionKey) : null;
  const gateway = config.slack
    ? new SlackGateway({
        apiUrl: config.slack.apiUrl,
        timeoutMs: config.slack.timeoutMs,
        redis: queues.connection,
        keyPrefix: `${config.queuePrefix}:slack-pace`,
        log,
      })
    : null;
  const slackAccess =
    config.slack && gateway
      ? createSlackAccess({ config: config.slack, gateway, prisma: db.prisma, box })
      : null;
  const workers = startWorkers({
    prisma: db.prisma,
    sql: db.sql,
    queues,
    redisUrl: config.redisUrl,
    concurrency: config.workerConcurrency,
    lockDurationMs: config.jobLockMs,
    shardSize: config.shardSize,
    slack: slackAccess,
    secretBox: box,
    log,
  });
  const chores = startChores({ prisma: db.prisma, queues, log });
  // Slack is served by the process that serves HTTP (`start`), when it is configured.
  const slack =
    options.web && config.slack && gateway
      ? createSlackServer({
          config: config.slack,
          gateway,
          box,
          defaultWorkspace: config.defaultWorkspace,
          prisma: db.prisma,
          sql: db.sql,
          log,
          today: (workspace) => workspaceToday(workspace),
          onSettingsChanged: (workspaceId, settings) =>
            upsertWorkspaceSchedules(queues, workspaceId, settings),
        })
      : null;
  const api = options.web
    ? createApiRouter({
        prisma: db.prisma,
        redis: queues.connection,
        log,
        config: config.api,
        keyPrefix: config.queuePrefix,
        box,
      })
    : null;
  const web = options.web
    ? await startWebProcess({
        port: config.port,
        prisma: db.prisma,
        redis: queues.connection,
        log,
        slack,
        api,
      })
    : undefined;
  await slack?.start();
  log.info("worker started", {
    pid: process.pid,
    prefix: config.queuePrefix,
    concurrency: config.workerConcurrency,
    schedules,
    database: db.kind,
    slack: slack ? (config.slack!.appToken ? "socket mode" : `http ${config.slack!.mode}`) : "not configured",
  });

  let stopping: Promise<void> | undefined;
  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const stop = () =>
    (stopping ??= (async () => {
      log.info("worker stopping: letting jobs in progress finish");
      await web?.close();
      await slack?.stop();
      await chores.stop();
      await workers.close();
      await queues.close();
      await db.close();
      log.info("worker stopped");
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      resolveStopped();
    })());
  const onSignal = () => void stop();
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return { stopped, stop, ...(web ? { port: web.port } : {}) };
}
