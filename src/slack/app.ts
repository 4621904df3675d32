// The Bolt app: the HTTP receiver (Slack's requests to /slack/events, and the OAuth install pages in
// multi-workspace mode) mounted in the web process, or Socket Mode when SLACK_APP_TOKEN is set.
// Signatures are verified by Bolt on every HTTP request (HMAC-SHA256, 5-minute window): a forged or
// stale request gets 401 and runs nothing; one dated more than 5 minutes ahead is refused here first
// (request-time.ts), as Bolt only bounds the past.
import type { IncomingMessage, ServerResponse } from "node:http";
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, type Logger as BoltLogger } from "@slack/bolt";
import type { SlackConfig } from "../config/slack.ts";
import { connectWorkspaceToTeam, findWorkspaceByTeam } from "../db/repositories/workspaces.ts";
import type { Logger } from "../log.ts";
import type { SecretBox } from "../security/secret-box.ts";
import {
  SlackConnection,
  describeSlackFailure,
  isWebApiError,
  statusOf,
  type SlackStatus,
} from "./connection.ts";
import type { SlackDeps } from "./context.ts";
import type { SlackGateway } from "./gateway.ts";
import { createInstallationStore } from "./installation-store.ts";
import { KeepTrying, type BackoffOptions } from "./keep-trying.ts";
import { registerListeners } from "./listeners/index.ts";
import { isFromTheFuture } from "./request-time.ts";
import { TeamWorkspaces } from "./team-workspaces.ts";

/**
 * The bot scopes the features need (manifest.yml lists the same). usergroups:read serves only a
 * case_actors user group: `doctor` asks for it only then (USER_GROUP_SCOPE).
 */
export const BOT_SCOPES = [
  "commands",
  "chat:write",
  "im:write",
  "users:read",
  "users:read.email",
  "channels:read",
  "groups:read",
  "files:write",
  "usergroups:read",
  "channels:history",
  "groups:history",
];

/** Reading a user group's members, for case_actors set to a group. */
export const USER_GROUP_SCOPE = "usergroups:read";

export const SLACK_PATHS = {
  events: "/slack/events",
  install: "/slack/install",
  oauthRedirect: "/slack/oauth_redirect",
} as const;

export interface SlackServer {
  app: App;
  /** HTTP mode: the handler for every path under /slack/; null in Socket Mode. */
  handle: ((req: IncomingMessage, res: ServerResponse) => void) | null;
  /**
   * Socket Mode starts connecting here, and keeps trying with backoff while Slack refuses or cannot
   * be reached; HTTP mode has nothing to start (the web process listens). Never throws.
   */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Socket Mode's connection, for /readyz; null in HTTP mode. */
  socketStatus(): SlackStatus | null;
}

export interface SlackServerOptions extends Omit<SlackDeps, "slackFor"> {
  config: SlackConfig;
  /** Every Web API call a listener makes beyond its reply goes through it. */
  gateway: SlackGateway;
  /** Seals installations (multi-workspace mode). */
  box: SecretBox | null;
  /** Single-workspace mode connects this workspace to the token's team. */
  defaultWorkspace: string;
  /**
   * Single-workspace mode: the token's checked identity (the process's start-up check). Without
   * one, the token is checked at the first request.
   */
  connection?: SlackConnection;
  /** Socket Mode's reconnection waits. */
  backoff?: BackoffOptions;
}

export function createSlackServer(o: SlackServerOptions): SlackServer {
  const { config } = o;
  const logger = boltLogger(o.log);
  const clientOptions = {
    slackApiUrl: config.apiUrl,
    timeout: config.timeoutMs,
    // Inside a request there is no time to wait out a rate limit: fail, and tell the user.
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 1, factor: 1, minTimeout: 200, maxTimeout: 500 },
  };
  const socketMode = config.appToken !== undefined;
  let receiver: HTTPReceiver | undefined;
  let socketReceiver: SocketModeReceiver | undefined;
  if (socketMode) {
    // Bolt's own reconnection can reject where nothing catches it (a crash): this module reconnects.
    socketReceiver = new SocketModeReceiver({
      appToken: config.appToken!,
      // Its connection errors would be logged at each attempt; KeepTrying says each outage once.
      logger: boltLogger({ ...o.log, error: (msg, fields) => o.log.debug(msg, fields) }),
      autoReconnectEnabled: false,
      installerOptions: {
        clientOptions: { slackApiUrl: config.apiUrl, timeout: config.timeoutMs, retryConfig: { retries: 0 } },
      },
    });
  } else {
    const store = config.mode === "oauth" ? createInstallationStore(o.prisma, requireBox(o.box)) : undefined;
    receiver = new HTTPReceiver({
      signingSecret: config.signingSecret!,
      endpoints: SLACK_PATHS.events,
      logger,
      ...(config.oauth && store
        ? {
            clientId: config.oauth.clientId,
            clientSecret: config.oauth.clientSecret,
            stateSecret: config.oauth.stateSecret,
            scopes: BOT_SCOPES,
            installationStore: store,
            installerOptions: {
              installPath: SLACK_PATHS.install,
              redirectUriPath: SLACK_PATHS.oauthRedirect,
              directInstall: true,
              clientOptions: { slackApiUrl: config.apiUrl, timeout: config.timeoutMs },
            },
          }
        : {}),
    });
  }
  // Single-workspace mode authorizes with the token's identity from the start-up check, not with
  // Bolt's `token` option: Bolt would call auth.test as it is constructed and leave a refusal
  // unhandled, which ends the process.
  const connection =
    config.mode === "single"
      ? (o.connection ??
        new SlackConnection({ config, prisma: o.prisma, workspace: o.defaultWorkspace, log: o.log }))
      : null;
  const app = new App({
    logger,
    clientOptions,
    // Bolt's conversation store (state kept per channel in memory) is unused, and costs every request.
    convoStore: false,
    receiver: socketReceiver ?? receiver!,
    // OAuth installs authorize through the receiver's installer, which Bolt takes by itself: given
    // an authorize as well, it refuses to start.
    ...(connection
      ? {
          authorize: async () => {
            const bot = await connection.identity();
            // No teamId: the request's own team decides its workspace (a request signed by the app
            // from another team must not pass as the token's).
            return { botToken: config.botToken!, botId: bot.botId, botUserId: bot.botUserId };
          },
        }
      : {}),
  });
  const socket = socketReceiver ? superviseSocket(socketReceiver, o.log, o.backoff) : null;

  // Every request is bound to the workspace of its Slack team, or to none (listeners then say so).
  // The first middleware runs right after Bolt checked the signature: the request's arrival, from
  // which listeners count the time left to answer within Slack's 3 seconds.
  const teams = new TeamWorkspaces({
    load: (teamId) =>
      config.mode === "single"
        ? connectWorkspaceToTeam(o.prisma, o.defaultWorkspace, teamId)
        : findWorkspaceByTeam(o.prisma, teamId),
  });
  app.use(async ({ context, next }) => {
    context.arrivedAt = performance.now();
    const teamId = context.teamId ?? context.enterpriseId;
    if (teamId) context.cssWorkspace = await teams.get(teamId);
    await next();
  });
  app.error((error) => {
    o.log.error("slack request failed", { error: error.message, code: error.code });
    return Promise.resolve();
  });
  registerListeners(app, {
    ...o,
    onSettingsChanged: async (workspaceId, settings) => {
      teams.forget(workspaceId);
      await o.onSettingsChanged?.(workspaceId, settings);
    },
    slackFor: (context) =>
      o.gateway.forToken(context.botToken!, context.teamId ?? context.enterpriseId ?? ""),
  });

  return {
    app,
    handle: receiver
      ? (req, res) => {
          if (req.method === "POST" && pathOf(req) === SLACK_PATHS.events && isFromTheFuture(req)) {
            o.log.warn("slack request refused: its timestamp is more than 5 minutes ahead");
            // As Bolt answers a stale request: 401, no body, the request's body left unread.
            req.resume();
            res.writeHead(401);
            res.end();
            return;
          }
          receiver.requestListener(req, res);
        }
      : null,
    start: () => {
      socket?.start();
      return Promise.resolve();
    },
    stop: async () => {
      if (socket) {
        socket.stop();
        await app.stop();
      }
    },
    socketStatus: () =>
      socket ? statusOf(socket.state(), null, "the Socket Mode connection is not open yet") : null,
  };
}

/** Socket Mode's connection, opened and reopened with backoff; a refusal is a state, not a crash. */
function superviseSocket(receiver: SocketModeReceiver, log: Logger, backoff?: BackoffOptions): KeepTrying {
  const socket = new KeepTrying({
    what: "the Socket Mode connection",
    attempt: async () => {
      await receiver.start();
    },
    describe: (error) =>
      isWebApiError(error)
        ? describeSlackFailure("apps.connections.open", error)
        : `Socket Mode connection failed: ${(error as Error)?.message ?? String(error)}`,
    hint:
      "Slack's requests are not received; the ingest API, recomputes and syncs keep running. " +
      "Check SLACK_APP_TOKEN (an xapp- token with connections:write) and that Slack is reachable",
    log,
    backoff,
  });
  // Slack asks for a new connection regularly, and before recycling its host ("disconnect" with
  // reason refresh_requested, or warning): the client closes the socket, and the new connection is
  // opened at once. That is routine, not an outage: no error line, /readyz stays ok. Any other close
  // (link_disabled: Socket Mode turned off in the app's settings; a dropped socket) is an outage.
  let asked: string | null = null;
  receiver.client.on("ws_message", (data: unknown) => {
    if (typeof data === "string") asked = disconnectReason(data) ?? asked;
  });
  receiver.client.on("disconnected", (error?: unknown) => {
    const reason = asked;
    asked = null;
    if (reason === "refresh_requested" || reason === "warning") return socket.start();
    socket.lost(
      error ?? new Error(reason ? `Slack closed the connection (${reason})` : "Slack closed the connection"),
    );
  });
  return socket;
}

/** The reason of a Socket Mode `disconnect` message, or null for any other message. */
function disconnectReason(text: string): string | null {
  // Envelopes are most messages and can be large: parse only what may be a disconnect.
  if (!text.includes('"disconnect"')) return null;
  try {
    const message = JSON.parse(text) as { type?: unknown; reason?: unknown };
    if (message.type !== "disconnect") return null;
    return typeof message.reason === "string" ? message.reason : "unknown";
  } catch {
    return null;
  }
}

function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? "/", "http://localhost").pathname;
}

function requireBox(box: SecretBox | null): SecretBox {
  if (!box) throw new Error("multi-workspace installs need CSS_ENCRYPTION_KEY");
  return box;
}

/** Bolt's logger on ours. Bolt logs request bodies at debug level only; we drop debug. */
function boltLogger(log: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const text = (parts: unknown[]) =>
    parts.map((p) => (typeof p === "string" ? p : ((p as Error)?.message ?? String(p)))).join(" ");
  return {
    debug: () => undefined,
    info: (...m: unknown[]) => log.info(`bolt: ${text(m)}`),
    warn: (...m: unknown[]) => log.warn(`bolt: ${text(m)}`),
    error: (...m: unknown[]) => log.error(`bolt: ${text(m)}`),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
