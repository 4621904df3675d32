// The one way the workers call Slack's Web API. Every call is paced first (per channel for posts, per
// method and workspace for tiered methods, shared by all processes through Redis), then made once:
// the client never retries or sleeps on a 429, because the queue owns retries and delays. Failures
// come out classified (slack-errors.ts) so a job can stop, wait for Retry-After, or retry.
import {
  LogLevel,
  WebClient,
  type ChatPostMessageArguments,
  type Logger as SlackLogger,
  type ViewsPublishArguments,
} from "@slack/web-api";
import type { Redis } from "ioredis";
import type { Logger } from "../log.ts";
import { CHANNEL_POST_INTERVAL_MS, METHOD_INTERVAL_MS, SlackPacer, type PaceSlot } from "./pacer.ts";
import { slackCalls, type SlackOutcome } from "../metrics/registry.ts";
import {
  classifySlackError,
  SlackPermanentError,
  SlackRateLimitedError,
  SlackTransientError,
  type ClassifiedSlackError,
} from "./slack-errors.ts";

export interface SlackGatewayOptions {
  apiUrl: string;
  timeoutMs: number;
  /**
   * Where calls are paced. Null for a one-off command (`doctor`, `settings set`): its few calls cannot
   * approach a rate tier, and it must work, and say so, while Redis is down.
   */
  redis: Redis | null;
  /** Prefix of the pacing keys in Redis, e.g. "css-bot:slack-pace". */
  keyPrefix: string;
  log: Logger;
  /** Longer waits for a slot throw SlackRateLimitedError instead of sleeping. Default 10 000. */
  maxWaitMs?: number;
}

export interface SentMessage {
  channel: string;
  ts: string;
}

/**
 * Slack message metadata (docs.slack.dev/messaging/message-metadata): sent with a post, invisible to
 * people, read back by findPosted to tell whether a post whose answer was lost reached the channel.
 */
export interface PostMetadata {
  event_type: string;
  event_payload: Record<string, string | number | boolean>;
}

/** Where findPosted looks, and for what. */
export interface PostedQuery {
  channel: string;
  /** A reply: looked for in this thread (conversations.replies) rather than the channel's history. */
  threadTs?: string;
  /** When the first try was sent: only messages from shortly before it on are read. */
  since: Date;
  metadata: PostMetadata;
}

export interface SlackUser {
  id: string;
  isAdmin: boolean;
  isOwner: boolean;
  deleted: boolean;
  tz?: string;
  email?: string;
  /** The display name people know: real name, else the handle. */
  name: string;
}

/** A user group as usergroups.list describes it (enabled groups only). */
export interface SlackUserGroup {
  id: string;
  /** Without the @. */
  handle: string;
}

/** A channel as conversations.info describes it to the bot. */
export interface SlackChannel {
  id: string;
  name: string;
  /** Whether the bot is in it: it can post only there. */
  isMember: boolean;
  isArchived: boolean;
  isPrivate: boolean;
}

export interface WorkspaceSlack {
  postMessage(args: {
    channel: string;
    text: string;
    blocks?: unknown[];
    thread_ts?: string;
    reply_broadcast?: boolean;
    unfurl_links?: boolean;
    metadata?: PostMetadata;
  }): Promise<SentMessage>;
  /**
   * The message with this metadata posted since `since` (conversations.history, or
   * conversations.replies for a thread, with include_all_metadata), or null when there is none. Also
   * null, said once in the log, when the token lacks channels:history / groups:history: the caller
   * then posts again, as it would without the look-up.
   */
  findPosted(query: PostedQuery): Promise<SentMessage | null>;
  updateMessage(args: { channel: string; ts: string; text: string; blocks?: unknown[] }): Promise<void>;
  postEphemeral(args: { channel: string; user: string; text: string; blocks?: unknown[] }): Promise<void>;
  /** Opens (or finds) the DM with a user and posts there. */
  sendDm(userId: string, args: { text: string; blocks?: unknown[] }): Promise<SentMessage>;
  publishHome(userId: string, view: Record<string, unknown>): Promise<void>;
  userInfo(userId: string): Promise<SlackUser>;
  /** The user's id, null when no user of the workspace has that email. */
  lookupByEmail(email: string): Promise<string | null>;
  permalink(channel: string, ts: string): Promise<string>;
  /** files.uploadV2: getUploadURLExternal, the upload, then completeUploadExternal sharing it. */
  uploadFile(args: {
    channel: string;
    threadTs?: string;
    filename: string;
    title: string;
    bytes: Buffer;
    initialComment?: string;
    /** Describes an image for screen readers. */
    altText?: string;
  }): Promise<void>;
  authTest(): Promise<{ teamId: string; botUserId: string }>;
  /** The bot token's scopes as Slack reports them (x-oauth-scopes); null when it does not say. */
  scopes(): Promise<string[] | null>;
  /**
   * The channel, or null when Slack says channel_not_found: no such channel, or a private one the bot
   * was not invited to (Slack does not tell the two apart).
   */
  channelInfo(channel: string): Promise<SlackChannel | null>;
  /** The workspace's enabled user groups (usergroups.list, scope usergroups:read). */
  userGroups(): Promise<SlackUserGroup[]>;
}

const DEFAULT_MAX_WAIT_MS = 10_000;
/**
 * How far before the first try findPosted reads: Slack stamps a message with its own clock, so this
 * covers a skew between it and ours. Longer only costs reading more of the channel.
 */
export const LOOK_BEHIND_MS = 2 * 60_000;
/** Pages of 200 messages findPosted reads at most before it gives up (and the post is sent again). */
const LOOK_MAX_PAGES = 10;

export class SlackGateway {
  private readonly pacer: SlackPacer | null;
  private readonly clients = new Map<string, WorkspaceSlack>();

  constructor(private readonly options: SlackGatewayOptions) {
    this.pacer = options.redis ? new SlackPacer(options.redis, options.keyPrefix) : null;
  }

  /** The client for one workspace's bot token (cached per token). Tokens never appear in logs or errors. */
  forToken(token: string, teamId: string): WorkspaceSlack {
    const cacheKey = `${teamId}\n${token}`;
    let client = this.clients.get(cacheKey);
    if (!client) {
      const { apiUrl, timeoutMs, log, maxWaitMs = DEFAULT_MAX_WAIT_MS } = this.options;
      const web = new WebClient(token, {
        slackApiUrl: apiUrl,
        timeout: timeoutMs,
        rejectRateLimitedCalls: true,
        retryConfig: { retries: 0 },
        logger: clientLogger(log, teamId),
      });
      client = new WorkspaceClient(web, teamId, this.pacer, maxWaitMs, log);
      this.clients.set(cacheKey, client);
    }
    return client;
  }
}

type Blocks = Extract<ChatPostMessageArguments, { blocks: unknown }>["blocks"];
type View = ViewsPublishArguments["view"];
// Block Kit shapes are built and checked by the pure builders in blocks/; here they only pass through.
const asBlocks = (blocks: unknown[] | undefined) => blocks as Blocks | undefined;

interface CallSpec {
  method: string;
  /** The channel a permanent error is reported against. */
  channel?: string;
  slots: PaceSlot[];
}

class WorkspaceClient implements WorkspaceSlack {
  /** findPosted met missing_scope once already: said once per process and workspace, not per post. */
  private historyScopeMissing = false;

  constructor(
    private readonly web: WebClient,
    private readonly teamId: string,
    private readonly pacer: SlackPacer | null,
    private readonly maxWaitMs: number,
    private readonly log: Logger,
  ) {}

  async postMessage(args: Parameters<WorkspaceSlack["postMessage"]>[0]): Promise<SentMessage> {
    const method = "chat.postMessage";
    const res = await this.call(this.posting(method, args.channel), () =>
      this.web.chat.postMessage({ ...args, blocks: asBlocks(args.blocks) } as ChatPostMessageArguments),
    );
    return { channel: res.channel ?? args.channel, ts: required(method, res.ts, "ts") };
  }

  async findPosted(query: PostedQuery): Promise<SentMessage | null> {
    const { channel, threadTs, metadata } = query;
    const method = threadTs ? "conversations.replies" : "conversations.history";
    const oldest = slackTs(query.since.getTime() - LOOK_BEHIND_MS);
    let cursor: string | undefined;
    for (let page = 0; page < LOOK_MAX_PAGES; page++) {
      const args = { channel, oldest, include_all_metadata: true, limit: 200, cursor };
      const res = await this.call<HistoryPage, "missing_scope">(
        this.tiered(method, channel),
        () =>
          threadTs
            ? this.web.conversations.replies({ ...args, ts: threadTs })
            : this.web.conversations.history(args),
        (e) => (e.slackError === "missing_scope" ? "missing_scope" : undefined),
      );
      if (res === "missing_scope") {
        if (!this.historyScopeMissing) {
          this.historyScopeMissing = true;
          this.log.warn(
            "slack: cannot check whether a post whose answer was lost arrived (the token lacks " +
              "channels:history or groups:history); such posts are sent again and may appear twice",
            { teamId: this.teamId, channel },
          );
        }
        return null;
      }
      const found = res.messages?.find((m) => m.ts && sameMetadata(m.metadata, metadata));
      if (found?.ts) return { channel, ts: found.ts };
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) return null;
    }
    this.log.warn("slack: gave up looking for a post whose answer was lost; sending it again", {
      teamId: this.teamId,
      channel,
      pages: LOOK_MAX_PAGES,
    });
    return null;
  }

  async updateMessage(args: Parameters<WorkspaceSlack["updateMessage"]>[0]): Promise<void> {
    await this.call(this.tiered("chat.update", args.channel), () =>
      this.web.chat.update({ ...args, blocks: asBlocks(args.blocks) }),
    );
  }

  async postEphemeral(args: Parameters<WorkspaceSlack["postEphemeral"]>[0]): Promise<void> {
    await this.call(this.tiered("chat.postEphemeral", args.channel), () =>
      this.web.chat.postEphemeral({ ...args, blocks: asBlocks(args.blocks) }),
    );
  }

  async sendDm(userId: string, args: { text: string; blocks?: unknown[] }): Promise<SentMessage> {
    const method = "conversations.open";
    const res = await this.call(this.tiered(method), () => this.web.conversations.open({ users: userId }));
    return this.postMessage({ ...args, channel: required(method, res.channel?.id, "channel.id") });
  }

  async publishHome(userId: string, view: Record<string, unknown>): Promise<void> {
    await this.call(this.tiered("views.publish"), () =>
      this.web.views.publish({ user_id: userId, view: view as unknown as View }),
    );
  }

  async userInfo(userId: string): Promise<SlackUser> {
    const method = "users.info";
    const { user } = await this.call(this.tiered(method), () => this.web.users.info({ user: userId }));
    const id = required(method, user?.id, "user.id");
    return {
      id,
      isAdmin: user?.is_admin ?? false,
      isOwner: user?.is_owner ?? false,
      deleted: user?.deleted ?? false,
      tz: user?.tz,
      email: user?.profile?.email,
      name: user?.real_name || user?.profile?.real_name || user?.name || id,
    };
  }

  async lookupByEmail(email: string): Promise<string | null> {
    const method = "users.lookupByEmail";
    const res = await this.call(
      this.tiered(method),
      () => this.web.users.lookupByEmail({ email }),
      (e) => (e.slackError === "users_not_found" ? null : undefined),
    );
    return res && required(method, res.user?.id, "user.id");
  }

  async permalink(channel: string, ts: string): Promise<string> {
    const method = "chat.getPermalink";
    const res = await this.call(this.tiered(method, channel), () =>
      this.web.chat.getPermalink({ channel, message_ts: ts }),
    );
    return required(method, res.permalink, "permalink");
  }

  async uploadFile(args: Parameters<WorkspaceSlack["uploadFile"]>[0]): Promise<void> {
    // Both API calls it makes, and the channel, since sharing the file posts a message there.
    const slots = [
      this.methodSlot("files.getUploadURLExternal"),
      this.methodSlot("files.completeUploadExternal"),
      this.channelSlot(args.channel),
    ];
    const spec = { method: "files.uploadV2", channel: args.channel, slots };
    const file = {
      channel_id: args.channel,
      filename: args.filename,
      title: args.title,
      file: args.bytes,
      initial_comment: args.initialComment,
      alt_text: args.altText,
    };
    const upload = args.threadTs ? { ...file, thread_ts: args.threadTs } : file;
    await this.call(spec, () => this.web.files.uploadV2(upload));
  }

  async authTest(): Promise<{ teamId: string; botUserId: string }> {
    const method = "auth.test";
    const res = await this.call(this.tiered(method), () => this.web.auth.test());
    return {
      teamId: required(method, res.team_id, "team_id"),
      botUserId: required(method, res.user_id, "user_id"),
    };
  }

  async scopes(): Promise<string[] | null> {
    const res = await this.call(this.tiered("auth.test"), () => this.web.auth.test());
    return res.response_metadata?.scopes ?? null;
  }

  async channelInfo(channel: string): Promise<SlackChannel | null> {
    const method = "conversations.info";
    const res = await this.call(
      this.tiered(method, channel),
      () => this.web.conversations.info({ channel }),
      (e) => (e.slackError === "channel_not_found" ? null : undefined),
    );
    if (!res) return null;
    const c = res.channel;
    return {
      id: required(method, c?.id, "channel.id"),
      name: c?.name ?? channel,
      isMember: c?.is_member ?? false,
      isArchived: c?.is_archived ?? false,
      isPrivate: c?.is_private ?? false,
    };
  }

  async userGroups(): Promise<SlackUserGroup[]> {
    const res = await this.call(this.tiered("usergroups.list"), () => this.web.usergroups.list({}));
    return (res.usergroups ?? []).flatMap((g) => (g.id && g.handle ? [{ id: g.id, handle: g.handle }] : []));
  }

  /**
   * Paces, calls once, and classifies a failure. `orElse` turns an expected refusal (users_not_found)
   * into a value; any other permanent refusal is logged once here, with no token or message text.
   */
  private async call<T, E = never>(
    spec: CallSpec,
    run: () => Promise<T>,
    orElse?: (error: SlackPermanentError) => E | undefined,
  ): Promise<T | E> {
    await this.pacer?.acquireAll(spec.slots, spec.method, this.maxWaitMs);
    try {
      const result = await run();
      slackCalls.inc({ method: spec.method, outcome: "ok" });
      return result;
    } catch (error) {
      const classified = classifySlackError(spec.method, error, spec.channel);
      slackCalls.inc({ method: spec.method, outcome: slackOutcome(classified) });
      if (classified instanceof SlackPermanentError) {
        const fallback = orElse?.(classified);
        if (fallback !== undefined) return fallback;
        this.log.warn("slack refused a call", {
          teamId: this.teamId,
          method: classified.method,
          slackError: classified.slackError,
          ...(classified.channel ? { channel: classified.channel } : {}),
        });
      }
      throw classified;
    }
  }

  private posting(method: string, channel: string): CallSpec {
    return { method, channel, slots: [this.channelSlot(channel)] };
  }
  private tiered(method: string, channel?: string): CallSpec {
    return { method, channel, slots: [this.methodSlot(method)] };
  }
  private channelSlot(channel: string): PaceSlot {
    return { key: `${this.teamId}:ch:${channel}`, intervalMs: CHANNEL_POST_INTERVAL_MS };
  }
  private methodSlot(method: string): PaceSlot {
    const intervalMs = METHOD_INTERVAL_MS[method];
    if (intervalMs === undefined) throw new Error(`no pacing interval for Slack method ${method}`);
    return { key: `${this.teamId}:m:${method}`, intervalMs };
  }
}

/** What findPosted reads of a conversations.history or conversations.replies answer. */
interface HistoryPage {
  messages?: { ts?: string; metadata?: { event_type?: string; event_payload?: unknown } }[];
  response_metadata?: { next_cursor?: string };
}

/** A Slack timestamp ("seconds.micros") for a time in ms. */
function slackTs(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(6);
}

/** Same event type, and every field of ours with the same value (Slack may give numbers back as either). */
function sameMetadata(
  found: { event_type?: string; event_payload?: unknown } | undefined,
  ours: PostMetadata,
) {
  if (found?.event_type !== ours.event_type) return false;
  const payload = found.event_payload;
  if (typeof payload !== "object" || payload === null) return false;
  const theirs = payload as Record<string, unknown>;
  return Object.entries(ours.event_payload).every(([k, v]) => String(theirs[k]) === String(v));
}

/** A field Slack documents as always present on success; its absence is Slack's fault, worth a retry. */
function required<T>(method: string, value: T | null | undefined, field: string): T {
  if (value === undefined || value === null || value === "") {
    throw new SlackTransientError(method, `response without ${field}`);
  }
  return value;
}

/**
 * WebClient's own logging: its debug output (request bodies and headers) and info are dropped;
 * warnings and errors (Slack's validation messages, network failures) are forwarded as plain text.
 */
function clientLogger(log: Logger, teamId: string): SlackLogger {
  const forward =
    (level: "warn" | "error") =>
    (...parts: unknown[]) => {
      const text = parts.filter((p): p is string => typeof p === "string").join(" ");
      log[level](`slack web api: ${text}`, { teamId });
    };
  const ignore = (): void => undefined;
  return {
    debug: ignore,
    info: ignore,
    warn: forward("warn"),
    error: forward("error"),
    setLevel: ignore,
    getLevel: () => LogLevel.WARN,
    setName: ignore,
  };
}

/** A failed call's outcome for the metrics: a timeout may have been delivered, so it is told apart. */
function slackOutcome(error: ClassifiedSlackError): SlackOutcome {
  if (error instanceof SlackRateLimitedError) return "rate_limited";
  if (error instanceof SlackPermanentError) return "refused";
  return /time(d)? ?out|aborted/i.test(error.message) ? "timed_out" : "failed";
}
