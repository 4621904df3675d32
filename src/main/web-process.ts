// The web process: one HTTP server for Slack's requests (under /slack/, handed to Bolt's receiver),
// the ingest API (under /api/, src/api/router.ts) and the load balancer's probes: /healthz says the
// process is up; /readyz that its database and Redis answer (503 when one does not), and how Slack
// is (`slack`, when it is configured). Slack's trouble is shown but never makes /readyz fail: the
// ingest API and the recomputes work without Slack, so a load balancer must keep routing to them.
// `css-bot worker` serves the same probes alone (no Slack, no API) on a port of its own.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Redis } from "ioredis";
import type { ApiHandler } from "../api/router.ts";
import type { Logger } from "../log.ts";
import { registry } from "../metrics/registry.ts";
import type { SlackServer } from "../slack/app.ts";
import type { SlackStatus } from "../slack/connection.ts";

export interface WebProcess {
  port: number;
  close(): Promise<void>;
}

export async function startWebProcess(o: {
  port: number;
  prisma: PrismaClient;
  redis: Redis;
  log: Logger;
  slack?: SlackServer | null;
  api?: ApiHandler | null;
  /** Slack as /readyz shows it; null when Slack is not configured. */
  slackStatus?: () => SlackStatus | null;
  /** The start-up log line's message. */
  listening?: string;
}): Promise<WebProcess> {
  const slack = o.slack?.handle ?? null;
  const server: Server = createServer((req, res) => {
    if (slack && req.url?.startsWith("/slack/")) return slack(req, res);
    if (o.api && req.url?.startsWith("/api/")) return o.api(req, res);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && req.url === "/healthz") return reply(200, { ok: true });
    if (req.method === "GET" && req.url === "/metrics") {
      void registry.metrics().then(
        (text) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(text);
        },
        () => reply(503, { error: "metrics unavailable" }),
      );
      return;
    }
    if (req.method === "GET" && req.url === "/readyz") {
      void Promise.allSettled([o.prisma.$queryRaw`SELECT 1`, o.redis.ping()]).then(([database, redis]) => {
        const checks = { database: database.status === "fulfilled", redis: redis.status === "fulfilled" };
        const slackStatus = o.slackStatus?.() ?? null;
        reply(checks.database && checks.redis ? 200 : 503, {
          ok: checks.database && checks.redis,
          ...checks,
          ...(slackStatus ? { slack: slackStatus } : {}),
        });
      });
      return;
    }
    reply(404, { error: "not found" });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  o.log.info(o.listening ?? "web process listening", { port });
  return {
    port,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await o.api?.close();
    },
  };
}
