// The worker process: checks Redis, opens and migrates the database, makes Redis hold every
// workspace's schedule, then runs the workers until SIGTERM or SIGINT (or, started by npm, until its
// parent has gone), letting jobs in progress finish before it exits. Any number of these may run, on
// any number of machines. It serves /healthz and /readyz on CSS_HEALTH_PORT; with the web process
// (`css-bot start`) they are the web process's, on PORT. In single-workspace mode it checks the bot
// token at start and binds the css workspace to its team (slack/connection.ts); Slack's refusals and
// outages are retried and shown by /readyz, and never stop the process.
import { createApiRouter } from "../api/router.ts";
import type { AppConfig } from "../config/env.ts";
import { migrateDatabase, openDatabase } from "../db/client.ts";
import { openQueues } from "../jobs/queues.ts";
import { checkRedis } from "../jobs/redis.ts";
import { syncSchedules } from "../jobs/schedules.ts";
import { settingsChanged } from "../jobs/settings-changed.ts";
import { startWorkers } from "../jobs/worker.ts";
import type { Logger } from "../log.ts";
import { watchQueues } from "../metrics/registry.ts";
import { SecretBox } from "../security/secret-box.ts";
import { findSealedSecrets, missingKeyWarning } from "../services/sealed-secrets.ts";
import { createSlackAccess } from "../slack/access.ts";
import { createSlackServer } from "../slack/app.ts";
import { combineSlackStatus, SlackConnection, type SlackStatus } from "../slack/connection.ts";
import { SlackGateway } from "../slack/gateway.ts";
import { workspaceToday } from "../slack/workspace-today.ts";
import { startChores } from "./chores.ts";
import { onParentGone } from "./parent-watch.ts";
import { startWebProcess, type WebProcess } from "./web-process.ts";

export interface RunningWorker {
  /** Resolves when the process has stopped (after a signal or stop()). */
  stopped: Promise<void>;
  stop(): Promise<void>;
  /** The web process's port with { web: true }; else the probes' port (none when it was taken). */
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
  const queues = openQueues(config.redisUrl, config.queuePrefix, log);
  watchQueues(queues);
  const schedules = await syncSchedules(db.prisma, queues);
  // One gateway per process: its pacing lives in Redis, so every process shares Slack's limits.
  const box = config.encryptionKey ? new SecretBox(config.encryptionKey) : null;
  const keyWarning = box ? null : missingKeyWarning(await findSealedSecrets(db.prisma));
  if (keyWarning) log.warn(keyWarning);
  // Checked now, in the background: the workers need not wait for Slack, nor stop when it says no.
  const connection =
    config.slack?.mode === "single"
      ? new SlackConnection({
          config: config.slack,
          prisma: db.prisma,
          workspace: config.defaultWorkspace,
          log,
        })
      : null;
  connection?.start();
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
      ? createSlackAccess({ config: config.slack, gateway, prisma: db.prisma, box, connection })
      : null;
  const workers = startWorkers({
    prisma: db.prisma,
    sql: db.sql,
    queues,
    redisUrl: config.redisUrl,
    concurrency: config.workerConcurrency,
    lockDurationMs: config.jobLockMs,
    outage: { maxWaitMs: config.outageMaxWaitMs },
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
          connection: connection ?? undefined,
          prisma: db.prisma,
          sql: db.sql,
          log,
          today: (workspace) => workspaceToday(workspace),
          onSettingsChanged: (workspaceId, settings) => settingsChanged(queues, workspaceId, settings),
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
  const slackStatus = (): SlackStatus | null => {
    const parts = [connection?.status(), slack?.socketStatus()].filter((p) => p != null);
    return parts.length > 0 ? combineSlackStatus(parts) : null;
  };
  const web = options.web
    ? await startWebProcess({
        port: config.port,
        prisma: db.prisma,
        redis: queues.connection,
        log,
        slack,
        api,
        slackStatus,
      })
    : await startProbes(config.healthPort, { prisma: db.prisma, redis: queues.connection, log, slackStatus });
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
      parentWatch?.cancel();
      connection?.stop();
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
  const parentWatch = config.launchedByNpm
    ? onParentGone(() => {
        log.info("the parent process (npm) has gone: stopping as on SIGTERM");
        void stop();
      })
    : null;
  return { stopped, stop, ...(web ? { port: web.port } : {}) };
}

/**
 * `css-bot worker`'s probes on a port of their own. A taken port costs the probes, not the worker:
 * several workers may run on one machine.
 */
async function startProbes(
  port: number,
  o: Omit<Parameters<typeof startWebProcess>[0], "port">,
): Promise<WebProcess | undefined> {
  try {
    return await startWebProcess({ ...o, port, listening: "worker probes listening" });
  } catch (error) {
    o.log.warn(
      `worker probes not served: port ${port} cannot be used (${(error as Error).message}); ` +
        "set CSS_HEALTH_PORT to a free port, or 0 for any",
    );
    return undefined;
  }
}
