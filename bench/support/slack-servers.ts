// The two servers the Slack benchmark sends `/css` to, each the real web process (startWebProcess,
// port 0) with a Bolt app mounted under /slack/:
//   app    the real one (createSlackServer, single-workspace mode), as the web process runs it
//   floor  a bare Bolt App with the same HTTPReceiver settings whose `/css` listener only acks
// Each Bolt handler is wrapped to time every request on the server: from the web process's 'request'
// event (the wrapper is called from it) to the response's 'finish' (the last byte handed to the
// socket). Requests marked `x-bench-phase: measure` are recorded, with their `x-bench-kind` and
// `x-bench-id`.
// A third server stands for Slack's response URLs: it records when each reply posted there arrives,
// on the same clock, so that a reply deferred past the ack is timed to its arrival.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { App, HTTPReceiver, LogLevel } from "@slack/bolt";
import type { Redis } from "ioredis";
import type { SqlClient } from "../../src/db/handle.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { silentLogger, type Logger } from "../../src/log.ts";
import { startWebProcess } from "../../src/main/web-process.ts";
import { createSlackServer, SLACK_PATHS, type SlackServer } from "../../src/slack/app.ts";
import { SlackGateway } from "../../src/slack/gateway.ts";
import { COMMAND } from "../../src/slack/ids.ts";
import { workspaceToday } from "../../src/slack/workspace-today.ts";

export interface ServerSample {
  id: string;
  kind: string;
  /** process.hrtime.bigint() when the request arrived. */
  arrived: bigint;
  ms: number;
  status: number;
}

export interface TimedServer {
  /** http://127.0.0.1:<port>/slack/events */
  eventsUrl: string;
  /** The measured requests, in the order they finished. */
  readonly samples: ServerSample[];
  close(): Promise<void>;
}

export interface ServerSettings {
  prisma: PrismaClient;
  sql: SqlClient;
  /** For the gateway and the web process's /readyz; the `/css` lookup uses neither. */
  redis: Redis;
  signingSecret: string;
  botToken: string;
  /** The fake Slack Web API (auth.test of the bot token goes there). */
  apiUrl: string;
  /** The workspace single-workspace mode connects to the team. */
  workspace: string;
  log: Logger;
}

/** The real Slack app in the real web process. */
export async function startAppServer(s: ServerSettings): Promise<TimedServer> {
  const gateway = new SlackGateway({
    apiUrl: s.apiUrl,
    timeoutMs: 5000,
    redis: s.redis,
    keyPrefix: "css-bench-slack:slack-pace",
    log: s.log,
  });
  const slack = createSlackServer({
    gateway,
    config: {
      mode: "single",
      signingSecret: s.signingSecret,
      botToken: s.botToken,
      appToken: undefined,
      oauth: undefined,
      apiUrl: s.apiUrl,
      timeoutMs: 5000,
    },
    box: null,
    defaultWorkspace: s.workspace,
    prisma: s.prisma,
    sql: s.sql,
    log: s.log,
    today: (w) => workspaceToday(w),
  });
  return mount(slack, s);
}

/** The floor: Bolt's receiver, signature check and routing, and a `/css` listener that only acks. */
export async function startFloorServer(s: ServerSettings): Promise<TimedServer> {
  const receiver = new HTTPReceiver({
    signingSecret: s.signingSecret,
    endpoints: SLACK_PATHS.events,
    logLevel: LogLevel.ERROR,
  });
  const app = new App({
    receiver,
    token: s.botToken,
    clientOptions: { slackApiUrl: s.apiUrl, timeout: 5000 },
    logLevel: LogLevel.ERROR,
  });
  app.command(COMMAND, async ({ ack }) => {
    await ack();
  });
  const slack: SlackServer = {
    app,
    handle: (req, res) => receiver.requestListener(req, res),
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    socketStatus: () => null,
  };
  return mount(slack, s);
}

async function mount(slack: SlackServer, s: ServerSettings): Promise<TimedServer> {
  const handle = slack.handle;
  if (!handle) throw new Error("the Slack server has no HTTP handler (Socket Mode?)");
  const samples: ServerSample[] = [];
  const timed = (req: IncomingMessage, res: ServerResponse) => {
    const arrived = process.hrtime.bigint();
    if (req.headers["x-bench-phase"] === "measure") {
      const id = String(req.headers["x-bench-id"] ?? "");
      const kind = String(req.headers["x-bench-kind"] ?? "");
      res.once("finish", () => {
        const ms = Number(process.hrtime.bigint() - arrived) / 1e6;
        samples.push({ id, kind, arrived, ms, status: res.statusCode });
      });
    }
    handle(req, res);
  };
  const web = await startWebProcess({
    port: 0,
    prisma: s.prisma,
    redis: s.redis,
    log: silentLogger,
    slack: { ...slack, handle: timed },
  });
  return {
    eventsUrl: `http://127.0.0.1:${web.port}${SLACK_PATHS.events}`,
    samples,
    close: async () => {
      await web.close();
      await slack.stop();
    },
  };
}

export interface ResponseRecorder {
  /** A request's response URL is this and its id. */
  prefix: string;
  /** By id: the JSON posted, and process.hrtime.bigint() when it had arrived. */
  readonly received: Map<string, { body: unknown; at: bigint }>;
  close(): Promise<void>;
}

/** Slack's response URLs, on loopback: records what is posted to /response/<id>, and when. */
export async function startResponseRecorder(): Promise<ResponseRecorder> {
  const received = new Map<string, { body: unknown; at: bigint }>();
  const server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (text += chunk));
    req.on("end", () => {
      const at = process.hrtime.bigint();
      const id = decodeURIComponent((req.url ?? "").replace(/^\/response\//, ""));
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text: the check of the reply says what is wrong with it
      }
      received.set(id, { body, at });
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    prefix: `http://127.0.0.1:${(server.address() as AddressInfo).port}/response/`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
