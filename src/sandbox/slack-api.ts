// Slack's Web API over real HTTP on loopback: the sandbox's Slack (`css-bot sandbox`, the demo), and
// the integration tests', which drive the bot through the real @slack/web-api client: form or JSON
// bodies, Bearer tokens, HTTP 429 with Retry-After, 5xx, answers lost after the call took effect.
// It keeps what the bot sent (calls, messages, views, files, response_url bodies) and checks it
// against the documented Block Kit limits, answering as Slack does when a limit is broken, so a test
// can assert that nothing invalid would have reached Slack. Shapes follow docs.slack.dev/reference.
// Socket Mode (apps.connections.open and its WebSocket) lives in slack-socket-mode.ts.
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { BOT_SCOPES } from "../slack/app.ts";
import { FakeUserGroups, type FakeUserGroup } from "./slack-usergroups.ts";
import { FakeSocketMode } from "./slack-socket-mode.ts";

export interface FakeSlackCall {
  method: string;
  token: string | undefined;
  args: Record<string, unknown>;
  at: number;
}
export interface FakeMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
  /** For ephemerals: the recipient. */
  user?: string;
  ephemeral: boolean;
  /** Times chat.update changed it. */
  updated: number;
  /** chat.postMessage's `metadata` ({event_type, event_payload}), as conversations.history returns it. */
  metadata?: Rec;
}
export type FakeFailure =
  | { status: 429; retryAfter: number }
  | { status: 500 | 502 | 503 }
  | { error: string }
  /** Not handled (nothing stored), and answered 503 only after this long: a timeout that posted nothing. */
  | { dropAfterMs: number };
export interface FakeSlackOptions {
  /** Bot tokens accepted; any other token gets {ok:false,error:"invalid_auth"}. Default ["xoxb-test"]. */
  tokens?: string[];
  /** Per token: team id, bot user id, etc. returned by auth.test. Default team "T0TEST", bot user "UBOT". */
  teams?: Record<string, { teamId: string; botUserId: string; teamName?: string; scopes?: string[] }>;
  /** The port to listen on (Slack coming back where a process expects it); default a free one. */
  port?: number;
  /** App-level tokens (xapp-) apps.connections.open accepts, for Socket Mode; default none. */
  appTokens?: string[];
}
export interface FakeSlack {
  /** Base URL for WebClient's slackApiUrl, ending in "/api/", e.g. http://127.0.0.1:PORT/api/ */
  readonly apiUrl: string;
  /** Origin (http://127.0.0.1:PORT): response_url endpoints and upload URLs live under it. */
  readonly origin: string;
  readonly calls: FakeSlackCall[];
  /** The calls Slack would have refused (invalid_blocks, channel_not_found...), with the reasons. */
  readonly refusals: { method: string; args: Record<string, unknown>; error: string; problems: string[] }[];
  /** Socket Mode: its connections, the envelopes a test sends, the app's acks (slack-socket-mode.ts). */
  readonly socketMode: FakeSocketMode;
  callsTo(method: string): FakeSlackCall[];
  /** The next `times` calls of `method` fail like this (then it works again). */
  failNext(method: string, failure: FakeFailure, times?: number): void;
  /** The bot scopes a token has from now on (x-oauth-scopes; files.* need files:write). */
  setScopes(token: string, scopes: string[]): void;
  /** Users known to users.info / users.lookupByEmail / users.list. */
  addUser(user: {
    id: string;
    name: string;
    email?: string;
    is_admin?: boolean;
    is_owner?: boolean;
    tz?: string;
    deleted?: boolean;
    team_id?: string;
    /** Guests: multi-channel (is_restricted) and single-channel (is_ultra_restricted). */
    is_restricted?: boolean;
    is_ultra_restricted?: boolean;
  }): void;
  /** Channels: conversations.info answers; posting to a channel not added → channel_not_found;
   * addChannel(..., {member:false}) → not_in_channel; archived → is_archived. */
  addChannel(channel: {
    id: string;
    name: string;
    member?: boolean;
    is_archived?: boolean;
    is_private?: boolean;
  }): void;
  /** Messages (non-ephemeral) in a channel, top-level and replies, in posting order. */
  messages(channel: string): FakeMessage[];
  /** Replies of a thread (messages whose thread_ts = ts, excluding the parent). */
  replies(channel: string, ts: string): FakeMessage[];
  ephemerals(channel?: string): FakeMessage[];
  /** A response_url (as Slack puts in slash commands and block_actions) that records what's posted to it. */
  responseUrl(id?: string): string;
  /** Bodies posted to response URLs, in order, with the url id. */
  readonly responses: { id: string; body: Record<string, unknown> }[];
  /** views.open / views.publish / views.update / views.push records. */
  readonly views: {
    method: string;
    user_id?: string;
    view_id: string;
    trigger_id?: string;
    view: Record<string, unknown>;
  }[];
  /** Files uploaded through files.getUploadURLExternal + upload + files.completeUploadExternal. */
  readonly files: {
    id: string;
    filename: string;
    title?: string;
    channel_id?: string;
    thread_ts?: string;
    bytes: number;
  }[];
  /** An uploaded file's bytes and type, as its upload URL received them (the sandbox shows them). */
  fileBytes(id: string): { name: string; data: Buffer; type: string } | undefined;
  /** User groups (usergroups.list, usergroups.users.list); the same id again replaces the group. */
  addUserGroup(group: FakeUserGroup): void;
  /** Delay every response by ms (to test client timeouts); the call is handled after the delay. */
  setLatency(ms: number): void;
  /**
   * "Slow after commit": every call is handled at once (a post is stored) and answered only after ms,
   * so a client whose timeout is shorter gives up on a call that did take effect. 0 turns it off.
   */
  setSlowAfterCommit(ms: number): void;
  /** Clears calls, messages, responses, views, files, failures and latency; keeps users, channels, tokens. */
  reset(): void;
  close(): Promise<void>;
}

type Rec = Record<string, unknown>;
type FakeUser = Parameters<FakeSlack["addUser"]>[0];
type FakeChannel = Parameters<FakeSlack["addChannel"]>[0];
type Team = { teamId: string; botUserId: string; teamName?: string; scopes?: string[] };

/** The bot scopes a token has unless its team says otherwise: the app's own (as manifest.yml). */
const DEFAULT_SCOPES: readonly string[] = BOT_SCOPES;
/** Methods that need a scope the token may lack: Slack answers missing_scope. */
const NEEDED_SCOPE: Record<string, string> = {
  "files.getUploadURLExternal": "files:write",
  "files.completeUploadExternal": "files:write",
  "usergroups.list": "usergroups:read",
  "usergroups.users.list": "usergroups:read",
};

const DEFAULT_TEAM: Team = { teamId: "T0TEST", botUserId: "UBOT", teamName: "Fake Team" };
// @slack/web-api sends object and array arguments as JSON strings inside a form body.
const JSON_ARGS = ["blocks", "attachments", "view", "files", "metadata"];
// https://docs.slack.dev/reference/block-kit/blocks: the block types the bot may send.
// https://docs.slack.dev/reference/block-kit/block-elements: the element types (and image and the
// text objects, which context blocks hold).
const ELEMENT_TYPES = new Set(
  (
    "button checkboxes datepicker datetimepicker email_text_input image multi_static_select " +
    "multi_external_select multi_users_select multi_conversations_select multi_channels_select " +
    "number_input overflow plain_text_input radio_buttons rich_text_input static_select external_select " +
    "users_select conversations_select channels_select timepicker url_text_input file_input " +
    "workflow_button mrkdwn plain_text"
  ).split(" "),
);
const BLOCK_TYPES = new Set(
  "section header divider context actions image input rich_text markdown".split(" "),
);

const isRec = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;
const textOf = (v: unknown): string | undefined =>
  v === undefined || typeof v === "string" ? v : JSON.stringify(v);
const chars = (s: string): number => [...s].length; // the documented limits count characters
const ok = (body: Rec = {}): Rec => ({ ok: true, ...body });
const fail = (error: string, extra: Rec = {}): Rec => ({ ok: false, error, ...extra });
const pad = (n: number): string => String(n).padStart(10, "0");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/** The bot's DM with a user: posting to a user id posts there, as Slack does. Other ids as they are. */
export const dmOf = (id: string): string => (/^[UW][A-Z0-9]+$/.test(id) ? `D${id.slice(1)}` : id);

/** The "[ERROR] ..." lines of a refusal, without their prefix. */
const problemsOf = (body: Rec): string[] => {
  const meta = body.response_metadata;
  const messages = isRec(meta) && Array.isArray(meta.messages) ? meta.messages : [];
  return messages.map((m) => String(m).replace(/^\[ERROR\] /, ""));
};

/** A method's refusal, thrown from deep in a handler and answered as {ok:false,...}. */
class Refusal extends Error {
  constructor(readonly body: Rec) {
    super(String(body.error));
  }
}
const refuse = (error: string, problems?: string[], withErrors = false): never => {
  // Slack's validation errors read "<what> [json-pointer:/blocks/0/text/text]": in `errors` (for
  // invalid_blocks) and as "[ERROR] ..." lines in response_metadata.messages.
  const details = problems && {
    ...(withErrors ? { errors: problems } : {}),
    response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
  };
  throw new Refusal(fail(error, details));
};
const missing = (field: string): never => refuse("invalid_arguments", [`missing required field: ${field}`]);

/** Collects Block Kit limit violations, each with the JSON pointer of the offending field. */
class Problems {
  readonly list: string[] = [];
  add(bad: boolean, what: string, pointer: string): void {
    if (bad) this.list.push(`${what} [json-pointer:${pointer}]`);
  }
  maxLen(v: unknown, max: number, pointer: string): void {
    this.add(typeof v === "string" && chars(v) > max, `must be less than ${max + 1} characters`, pointer);
  }
  text(v: unknown, max: number, pointer: string, plainOnly = false): void {
    if (!isRec(v) || typeof v.text !== "string") return this.add(true, "must provide a text object", pointer);
    const types = plainOnly ? ["plain_text"] : ["plain_text", "mrkdwn"];
    this.add(!types.includes(String(v.type)), `must be of type ${types.join(" or ")}`, `${pointer}/type`);
    this.add(v.text.length === 0, "must be more than 0 characters", `${pointer}/text`);
    this.maxLen(v.text, max, `${pointer}/text`);
  }
  items(v: unknown, min: number, max: number, pointer: string): v is unknown[] {
    this.add(!Array.isArray(v), "must be an array", pointer);
    if (!Array.isArray(v)) return false;
    this.add(v.length < min, `must have at least ${min} items`, pointer);
    this.add(v.length > max, `no more than ${max} items allowed`, pointer);
    return true;
  }
  // https://docs.slack.dev/reference/block-kit/block-elements/button-element: text ≤ 75, value ≤ 2000,
  // url ≤ 3000; action_id ≤ 255 for every interactive element.
  element(e: unknown, pointer: string): void {
    if (!isRec(e)) return this.add(true, "must be an element object", pointer);
    if (!ELEMENT_TYPES.has(String(e.type)))
      return this.add(true, "unsupported element type", `${pointer}/type`);
    this.maxLen(e.action_id, 255, `${pointer}/action_id`);
    if (e.type !== "button") return;
    this.text(e.text, 75, `${pointer}/text`, true);
    this.maxLen(e.value, 2000, `${pointer}/value`);
    this.maxLen(e.url, 3000, `${pointer}/url`);
  }
  // https://docs.slack.dev/reference/block-kit/blocks: up to 50 blocks in a message, 100 in a modal or Home tab.
  blocks(blocks: unknown, max: number, pointer: string): void {
    if (!this.items(blocks, 0, max, pointer)) return;
    blocks.forEach((b, i) => this.block(b, `${pointer}/${i}`));
    // A block_id must be unique within its message or view.
    const seen = new Set<string>();
    blocks.forEach((b, i) => {
      const id = isRec(b) && typeof b.block_id === "string" ? b.block_id : undefined;
      if (id === undefined) return;
      this.add(seen.has(id), "must be unique within the blocks", `${pointer}/${i}/block_id`);
      seen.add(id);
    });
  }
  // Each limit from the block's page under https://docs.slack.dev/reference/block-kit/blocks/.
  block(b: unknown, p: string): void {
    if (!isRec(b) || !BLOCK_TYPES.has(String(b.type))) return this.add(true, "unsupported block type", p);
    this.maxLen(b.block_id, 255, `${p}/block_id`);
    switch (b.type) {
      case "section": // section-block: text ≤ 3000; fields ≤ 10 items, each ≤ 2000; one of the two
        this.add(b.text === undefined && b.fields === undefined, "must provide either text or fields", p);
        if (b.text !== undefined) this.text(b.text, 3000, `${p}/text`);
        if (b.fields !== undefined && this.items(b.fields, 1, 10, `${p}/fields`))
          b.fields.forEach((f, i) => this.text(f, 2000, `${p}/fields/${i}`));
        if (b.accessory !== undefined) this.element(b.accessory, `${p}/accessory`);
        return;
      case "header": // header-block: plain_text ≤ 150
        return this.text(b.text, 150, `${p}/text`, true);
      case "context": // context-block: at most 10 elements
        return void this.items(b.elements, 1, 10, `${p}/elements`);
      case "actions": // actions-block: at most 25 elements
        if (this.items(b.elements, 1, 25, `${p}/elements`))
          b.elements.forEach((e, i) => this.element(e, `${p}/elements/${i}`));
        return;
      case "image": // image-block: alt_text ≤ 2000 required, image_url ≤ 3000 (or slack_file)
        this.add(typeof b.alt_text !== "string", "must provide alt_text", `${p}/alt_text`);
        this.maxLen(b.alt_text, 2000, `${p}/alt_text`);
        this.add(b.image_url === undefined && b.slack_file === undefined, "must provide image_url", p);
        return this.maxLen(b.image_url, 3000, `${p}/image_url`);
      case "input": // input-block: label plain_text ≤ 2000, one element
        this.text(b.label, 2000, `${p}/label`, true);
        return this.element(b.element, `${p}/element`);
      case "markdown": // markdown-block: text ≤ 12,000
        this.add(typeof b.text !== "string", "must provide text", `${p}/text`);
        return this.maxLen(b.text, 12_000, `${p}/text`);
      case "rich_text":
        return void this.items(b.elements, 0, Infinity, `${p}/elements`);
    }
  }
}

// https://docs.slack.dev/reference/methods/chat.postMessage: a message needs text, blocks or attachments
// (no_text); text over 40,000 characters is msg_too_long; blocks that do not parse as a JSON array are
// invalid_blocks_format; blocks that break a limit are invalid_blocks.
function checkMessage(a: Rec): void {
  if (a.blocks !== undefined && !Array.isArray(a.blocks)) refuse("invalid_blocks_format");
  const text = textOf(a.text) ?? "";
  if (!text && !(a.blocks as unknown[] | undefined)?.length && a.attachments === undefined) refuse("no_text");
  if (chars(text) > 40_000) refuse("msg_too_long");
  const problems = new Problems();
  if (a.blocks !== undefined) problems.blocks(a.blocks, 50, "/blocks");
  if (problems.list.length) refuse("invalid_blocks", problems.list, true);
}

// https://docs.slack.dev/messaging/message-metadata: an event_type string and an event_payload object.
function checkMetadata(metadata: unknown): void {
  if (metadata === undefined) return;
  if (!isRec(metadata)) refuse("invalid_metadata_format");
  else if (typeof metadata.event_type !== "string" || !isRec(metadata.event_payload))
    refuse("invalid_metadata_schema");
}

/** Messages between oldest and latest (Slack timestamps, exclusive unless `inclusive`). */
function inWindow(list: FakeMessage[], a: Rec): FakeMessage[] {
  const inclusive = a.inclusive === true || a.inclusive === "true" || a.inclusive === "1";
  const oldest = micros(str(a.oldest) ?? "0");
  const latest = str(a.latest) === undefined ? Infinity : micros(str(a.latest)!);
  return list.filter((m) => {
    const ts = micros(m.ts);
    return (inclusive ? ts >= oldest : ts > oldest) && (inclusive ? ts <= latest : ts < latest);
  });
}

// https://docs.slack.dev/apis/web-api/pagination: a cursor is opaque; Slack's look like base64 of
// "<kind>:<first item of the next page>" ("user:U0...", "next_ts:1712...").
const cursorAt = (kind: string, id: string): string => Buffer.from(`${kind}:${id}`).toString("base64");

/** Where the page a cursor names starts in `list` (0 without one); an unknown cursor is invalid_cursor. */
function pageStart<T>(
  list: T[],
  cursor: string | undefined,
  kind: string,
  idOf: (item: T) => string,
): number {
  if (!cursor) return 0;
  const id = Buffer.from(cursor, "base64")
    .toString("utf8")
    .slice(kind.length + 1);
  const start = list.findIndex((item) => idOf(item) === id);
  return start < 0 ? refuse("invalid_cursor") : start;
}

/** A Slack timestamp ("seconds.micros") as whole microseconds, exact (a float of it is not). */
function micros(ts: string): number {
  const [seconds = "0", fraction = ""] = ts.split(".");
  return Number(seconds) * 1e6 + Number(fraction.padEnd(6, "0").slice(0, 6));
}

// https://docs.slack.dev/reference/views/modal-views: title plain_text ≤ 24 (close and submit too),
// submit required with input blocks, ≤ 100 blocks, private_metadata ≤ 3000, callback_id ≤ 255.
function checkView(view: unknown, kinds: string[]): Rec {
  const p = new Problems();
  if (!isRec(view)) return refuse("invalid_arguments", ["must provide a view object [json-pointer:/view]"]);
  p.add(!kinds.includes(String(view.type)), `must be of type ${kinds.join(" or ")}`, "/view/type");
  if (view.type === "modal") {
    p.text(view.title, 24, "/view/title", true);
    for (const key of ["close", "submit"])
      if (view[key] !== undefined) p.text(view[key], 24, `/view/${key}`, true);
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isRec(b) && b.type === "input");
    p.add(hasInput && view.submit === undefined, "submit is required with input blocks", "/view/submit");
  }
  p.maxLen(view.private_metadata, 3000, "/view/private_metadata");
  p.maxLen(view.callback_id, 255, "/view/callback_id");
  p.maxLen(view.external_id, 255, "/view/external_id");
  p.blocks(view.blocks, 100, "/view/blocks");
  if (p.list.length) refuse("invalid_arguments", p.list);
  return view;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// Node's own multipart parser (undici), behind the Fetch API's Request.formData().
async function formData(type: string, body: Buffer): Promise<FormData> {
  return new Request("http://fake/", { method: "POST", headers: { "content-type": type }, body }).formData();
}

/** Arguments from the query string and a form, multipart or JSON body; JSON arguments parsed. */
async function parseArgs(req: IncomingMessage, url: URL, raw: Buffer): Promise<Rec | undefined> {
  const type = req.headers["content-type"] ?? "";
  const args: Rec = Object.fromEntries(url.searchParams);
  if (type.startsWith("application/json")) {
    const body = parseJson(raw.length ? raw : "{}");
    if (!body) return undefined;
    // "When sending JSON, you must present your token as a bearer token" (docs.slack.dev/apis/web-api).
    const { token: _ignored, ...rest } = body;
    Object.assign(args, rest);
  } else if (type.startsWith("multipart/form-data")) {
    for (const [k, v] of await formData(type, raw)) if (typeof v === "string") args[k] = v;
  } else Object.assign(args, Object.fromEntries(new URLSearchParams(raw.toString("utf8"))));
  return parseJsonArgs(args);
}

function parseJson(raw: Buffer | string): Rec | undefined {
  try {
    const value: unknown = JSON.parse(raw.toString());
    return isRec(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function parseJsonArgs(args: Rec): Rec {
  for (const key of JSON_ARGS) {
    const value = args[key];
    if (typeof value !== "string") continue;
    try {
      args[key] = JSON.parse(value);
    } catch {
      // left as the raw string: the method's validation reports it
    }
  }
  return args;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (res.destroyed || res.writableEnded) return; // the client gave up (timeout) while we waited
  const json = typeof body !== "string";
  const type = json ? "application/json; charset=utf-8" : "text/plain; charset=utf-8";
  res.writeHead(status, { "content-type": type, ...headers });
  res.end(json ? JSON.stringify(body) : body);
}

class FakeSlackServer implements FakeSlack {
  apiUrl = "";
  origin = "";
  readonly calls: FakeSlackCall[] = [];
  readonly refusals: FakeSlack["refusals"] = [];
  readonly socketMode: FakeSocketMode;
  readonly responses: FakeSlack["responses"] = [];
  readonly views: FakeSlack["views"] = [];
  readonly files: FakeSlack["files"] = [];
  private readonly tokens = new Map<string, Team>();
  private readonly users = new Map<string, FakeUser>();
  private readonly channels = new Map<string, FakeChannel>();
  private readonly userGroups = new FakeUserGroups();
  private readonly failures = new Map<string, FakeFailure[]>();
  private readonly uploads = new Map<
    string,
    { filename: string; bytes?: number; data?: Buffer; type?: string }
  >();
  private readonly viewStore = new Map<string, Rec>();
  private posted: FakeMessage[] = [];
  private latency = 0;
  private slowAfterCommit = 0;
  private lastTsMicros = 0;
  private seq = 0;

  constructor(
    private readonly server: Server,
    options: FakeSlackOptions,
  ) {
    this.socketMode = new FakeSocketMode(options.appTokens ?? []);
    // A token given a team is accepted too.
    for (const token of [...(options.tokens ?? ["xoxb-test"]), ...Object.keys(options.teams ?? {})]) {
      this.tokens.set(token, options.teams?.[token] ?? DEFAULT_TEAM);
    }
  }

  callsTo(method: string): FakeSlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }
  setScopes(token: string, scopes: string[]): void {
    const team = this.tokens.get(token);
    if (!team) throw new Error(`unknown token ${token}`);
    this.tokens.set(token, { ...team, scopes });
  }

  failNext(method: string, failure: FakeFailure, times = 1): void {
    this.failures.set(method, [
      ...(this.failures.get(method) ?? []),
      ...Array<FakeFailure>(times).fill(failure),
    ]);
  }
  addUser(user: FakeUser): void {
    this.users.set(user.id, user);
  }
  addChannel(channel: FakeChannel): void {
    this.channels.set(channel.id, channel);
  }
  addUserGroup(group: FakeUserGroup): void {
    this.userGroups.add(group);
  }
  messages(channel: string): FakeMessage[] {
    return this.posted.filter((m) => !m.ephemeral && m.channel === this.dmOf(channel));
  }
  replies(channel: string, ts: string): FakeMessage[] {
    return this.messages(channel).filter((m) => m.thread_ts === ts && m.ts !== ts);
  }
  ephemerals(channel?: string): FakeMessage[] {
    return this.posted.filter(
      (m) => m.ephemeral && (channel === undefined || m.channel === this.dmOf(channel)),
    );
  }
  responseUrl(id = `R${pad(++this.seq)}`): string {
    return `${this.origin}/response/${encodeURIComponent(id)}`;
  }
  fileBytes(id: string): { name: string; data: Buffer; type: string } | undefined {
    const upload = this.uploads.get(id);
    if (!upload?.data) return undefined;
    return { name: upload.filename, data: upload.data, type: upload.type ?? "application/octet-stream" };
  }
  setLatency(ms: number): void {
    this.latency = ms;
  }
  setSlowAfterCommit(ms: number): void {
    this.slowAfterCommit = ms;
  }
  reset(): void {
    for (const list of [this.calls, this.refusals, this.responses, this.views, this.files]) list.length = 0;
    this.posted = [];
    this.failures.clear();
    this.uploads.clear();
    this.viewStore.clear();
    this.latency = 0;
    this.slowAfterCommit = 0;
  }
  async close(): Promise<void> {
    await this.socketMode.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((e) => (e ? reject(e) : resolve())));
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.origin);
    const raw = await readBody(req);
    if (this.latency > 0) await sleep(this.latency);
    const [, area, rest = ""] = url.pathname.split("/", 3);
    const name = decodeURIComponent(rest);
    if (area === "api") return this.api(name, req, url, raw, res);
    if (area === "upload") return this.upload(name, req, raw, res);
    if (area === "response") return this.respond(name, raw, res);
    send(res, 404, "not found");
  }

  private async api(method: string, req: IncomingMessage, url: URL, raw: Buffer, res: ServerResponse) {
    const args = await parseArgs(req, url, raw);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? str(args?.token);
    if (args) delete args.token;
    this.calls.push({ method, token, args: args ?? {}, at: Date.now() });
    const failure = this.failures.get(method)?.shift();
    // https://docs.slack.dev/authentication/tokens: every answer says the token's scopes.
    const team = token ? this.tokens.get(token) : undefined;
    const scopes: Record<string, string> = team
      ? { "x-oauth-scopes": (team.scopes ?? DEFAULT_SCOPES).join(",") }
      : {};
    if (!failure) {
      const body = this.dispatch(method, args, token);
      await this.answerLater();
      return send(res, 200, body, scopes);
    }
    if ("error" in failure) return send(res, 200, fail(failure.error));
    if ("dropAfterMs" in failure) {
      await sleep(failure.dropAfterMs);
      return send(res, 503, STATUS_CODES[503] ?? "error");
    }
    // https://docs.slack.dev/apis/web-api/rate-limits: HTTP 429 with Retry-After in seconds.
    if (failure.status === 429) {
      return send(res, 429, fail("ratelimited"), { "retry-after": String(failure.retryAfter) });
    }
    send(res, failure.status, STATUS_CODES[failure.status] ?? "error");
  }

  private dispatch(method: string, args: Rec | undefined, token: string | undefined): Rec {
    if (!args) return fail("invalid_json");
    // Socket Mode's URL takes an app-level token, which no other method accepts.
    if (method === "apps.connections.open") {
      return this.socketMode.connectionsOpen(token, this.tokens.has(token ?? ""), this.origin);
    }
    const handler = this.methods[method] ?? this.historyMethods[method];
    if (!handler) return fail("unknown_method");
    // oauth.v2.access authenticates the app by client_id and client_secret, not by a token.
    const team = method === "oauth.v2.access" ? DEFAULT_TEAM : token && this.tokens.get(token);
    if (!team) return fail(token ? "invalid_auth" : "not_authed");
    const needed = NEEDED_SCOPE[method];
    const provided = team.scopes ?? DEFAULT_SCOPES;
    if (needed && !provided.includes(needed)) {
      return { ...fail("missing_scope"), needed, provided: provided.join(",") };
    }
    try {
      return ok(handler(args, team));
    } catch (error) {
      if (error instanceof Refusal) {
        this.refusals.push({
          method,
          args,
          error: String(error.body.error),
          problems: problemsOf(error.body),
        });
        return error.body;
      }
      throw error;
    }
  }

  // Each handler returns the body of its {ok:true} answer or throws a Refusal.
  private readonly methods: Record<string, (a: Rec, team: Team) => Rec> = {
    "auth.test": (_a, t) => ({
      url: "https://fake.slack.com/",
      team: t.teamName ?? DEFAULT_TEAM.teamName,
      user: "bot",
      team_id: t.teamId,
      user_id: t.botUserId,
      bot_id: `B${t.botUserId}`,
      is_enterprise_install: false,
    }),
    "team.info": (_a, t) => ({
      team: { id: t.teamId, name: t.teamName ?? DEFAULT_TEAM.teamName, domain: "fake", icon: {} },
    }),
    "chat.postMessage": (a, t) => {
      const channel = this.target(a.channel);
      checkMessage(a);
      checkMetadata(a.metadata);
      const threadTs = str(a.thread_ts);
      if (threadTs && !this.find(channel, threadTs)) refuse("thread_not_found");
      const message = this.store(a, channel, { thread_ts: threadTs, ephemeral: false });
      return { channel, ts: message.ts, message: this.wire(message, t) };
    },
    "chat.postEphemeral": (a) => {
      const channel = this.target(a.channel);
      const user = str(a.user) ?? refuse("user_not_found");
      checkMessage(a);
      return {
        message_ts: this.store(a, channel, { thread_ts: str(a.thread_ts), user, ephemeral: true }).ts,
      };
    },
    // https://docs.slack.dev/reference/methods/chat.update: text or blocks left out are kept.
    "chat.update": (a, t) => {
      const channel = this.target(a.channel);
      const message = this.find(channel, str(a.ts)) ?? refuse("message_not_found");
      checkMessage(a);
      if (a.text !== undefined) message.text = textOf(a.text);
      if (a.blocks !== undefined) message.blocks = a.blocks as unknown[];
      message.updated++;
      return { channel, ts: message.ts, text: message.text, message: this.wire(message, t) };
    },
    "chat.getPermalink": (a) => {
      const channel = this.target(a.channel);
      const { ts } = this.find(channel, str(a.message_ts)) ?? refuse("message_not_found");
      return { channel, permalink: `https://fake.slack.com/archives/${channel}/p${ts.replace(".", "")}` };
    },
    "conversations.info": (a) => {
      const id = str(a.channel) ?? "";
      if (/^D[A-Z0-9]+$/.test(id)) return { channel: { id, is_im: true, is_member: true } };
      const {
        name,
        member = true,
        is_archived = false,
        is_private = false,
      } = this.channels.get(id) ?? refuse("channel_not_found");
      return { channel: { id, name, is_channel: !is_private, is_private, is_archived, is_member: member } };
    },
    "conversations.open": (a) => {
      const users = (str(a.users) ?? "").split(",").filter(Boolean);
      if (users.length !== 1) return refuse(users.length ? "not_supported" : "users_list_not_supplied");
      return { channel: { id: this.dmOf(users[0] ?? "") } };
    },
    "users.info": (a) => ({
      user: this.userObject(this.users.get(str(a.user) ?? "") ?? refuse("user_not_found")),
    }),
    "users.lookupByEmail": (a) => {
      const email = str(a.email)?.toLowerCase();
      const user = [...this.users.values()].find((u) => u.email?.toLowerCase() === email);
      return { user: this.userObject(user ?? refuse("users_not_found")) };
    },
    // https://docs.slack.dev/apis/web-api/pagination: the cursor is opaque (Slack's look like base64 of
    // "user:<next id>"), and the last page has next_cursor "".
    "users.list": (a) => {
      const all = [...this.users.values()];
      const start = pageStart(all, str(a.cursor), "user", (u) => u.id);
      const end = Number(a.limit) > 0 ? start + Number(a.limit) : all.length;
      const next = all[end];
      return {
        members: all.slice(start, end).map((u) => this.userObject(u)),
        cache_ts: Math.floor(Date.now() / 1000),
        response_metadata: { next_cursor: next ? cursorAt("user", next.id) : "" },
      };
    },
    "usergroups.list": (a, t) => this.userGroups.list(a, t.teamId),
    "usergroups.users.list": (a) => this.userGroups.users(a, refuse),
    // views.open and views.push need a trigger_id from an interaction (docs.slack.dev/reference/methods/views.open).
    "views.open": (a, t) => this.saveView("views.open", checkView(a.view, ["modal"]), t, this.trigger(a)),
    "views.push": (a, t) => this.saveView("views.push", checkView(a.view, ["modal"]), t, this.trigger(a)),
    "views.publish": (a, t) => {
      const user_id = str(a.user_id) ?? missing("user_id");
      return this.saveView("views.publish", checkView(a.view, ["home"]), t, { user_id });
    },
    "views.update": (a, t) => {
      const externalId = str(a.external_id);
      if (!str(a.view_id) && !externalId) missing("view_id or external_id");
      const byExternal = [...this.viewStore].find(([, v]) => externalId && v.external_id === externalId);
      const view_id = str(a.view_id) ?? byExternal?.[0] ?? "";
      if (!this.viewStore.has(view_id)) refuse("not_found");
      return this.saveView("views.update", checkView(a.view, ["modal", "home"]), t, { view_id });
    },
    // https://docs.slack.dev/reference/methods/files.getUploadURLExternal
    "files.getUploadURLExternal": (a) => {
      const filename = str(a.filename) ?? missing("filename");
      if (!(Number(a.length) > 0)) missing("length");
      const id = `F${pad(++this.seq)}`;
      this.uploads.set(id, { filename });
      return { upload_url: `${this.origin}/upload/${id}`, file_id: id };
    },
    // https://docs.slack.dev/reference/methods/files.completeUploadExternal
    "files.completeUploadExternal": (a) => {
      const list = Array.isArray(a.files) ? a.files.filter(isRec) : [];
      if (list.length === 0) missing("files");
      const channel = str(a.channel_id) && this.target(a.channel_id);
      const threadTs = str(a.thread_ts);
      if (channel && threadTs && !this.find(channel, threadTs)) refuse("thread_not_found");
      const done = list.map((f) => {
        const { filename, bytes } = this.uploads.get(String(f.id)) ?? refuse("file_not_found");
        if (bytes === undefined) refuse("file_not_found"); // never uploaded to its upload_url
        return {
          id: String(f.id),
          filename,
          title: str(f.title),
          channel_id: channel || undefined,
          thread_ts: threadTs,
          bytes: bytes ?? 0,
        };
      });
      this.files.push(...done);
      return { files: done.map((f) => ({ id: f.id, title: f.title ?? f.filename, name: f.filename })) };
    },
    // https://docs.slack.dev/reference/methods/oauth.v2.access: the bot token it returns then works.
    "oauth.v2.access": (a) => {
      if (!str(a.client_id)) refuse("invalid_client_id");
      if (!str(a.client_secret)) refuse("bad_client_secret");
      if (a.code !== "good-code") refuse("invalid_code");
      const n = ++this.seq;
      const team: Team = { teamId: `T0OAUTH${n}`, botUserId: `UBOTOAUTH${n}`, teamName: `OAuth Team ${n}` };
      this.tokens.set(`xoxb-oauth-${n}`, team);
      return {
        access_token: `xoxb-oauth-${n}`,
        token_type: "bot",
        scope: "chat:write,commands,users:read,users:read.email",
        bot_user_id: team.botUserId,
        app_id: "A0FAKEAPP",
        team: { id: team.teamId, name: team.teamName },
        enterprise: null,
        is_enterprise_install: false,
        authed_user: { id: "U0INSTALLER" },
      };
    },
  };

  // ---- Reading messages back: conversations.history and conversations.replies, with metadata ----
  // https://docs.slack.dev/reference/methods/conversations.history and .../conversations.replies: a
  // bot token needs channels:history (public) or groups:history (private) and must be in the channel;
  // oldest and latest are exclusive unless inclusive is true; history lists top-level messages newest
  // first, replies the thread's parent then its replies oldest first; `limit` (history: default 100,
  // at most 999; replies: default 1000) pages with an opaque cursor, has_more and next_cursor ("" on
  // the last page); a message's metadata is returned with include_all_metadata.
  private readonly historyMethods: Record<string, (a: Rec, team: Team) => Rec> = {
    "conversations.history": (a, t) => {
      const channel = this.readable(a.channel, t);
      const top = this.posted.filter((m) => !m.ephemeral && m.channel === channel && !m.thread_ts);
      return this.page(inWindow(top, a).reverse(), a, t, 100);
    },
    "conversations.replies": (a, t) => {
      const channel = this.readable(a.channel, t);
      const parent = this.find(channel, str(a.ts) ?? missing("ts")) ?? refuse("thread_not_found");
      const replies = this.posted.filter(
        (m) => !m.ephemeral && m.channel === channel && m.thread_ts === parent.ts && m.ts !== parent.ts,
      );
      return this.page([parent, ...inWindow(replies, a)], a, t, 1000);
    },
  };

  /** A channel the token may read: known, joined, and the history scope of its kind granted. */
  private readable(raw: unknown, t: Team): string {
    const channel = this.channels.get(str(raw) ?? "") ?? refuse("channel_not_found");
    const needed = channel.is_private ? "groups:history" : "channels:history";
    const provided = t.scopes ?? DEFAULT_SCOPES;
    if (!provided.includes(needed))
      throw new Refusal({ ...fail("missing_scope"), needed, provided: provided.join(",") });
    if (channel.member === false) refuse("not_in_channel");
    return channel.id;
  }

  /** One page of `list` from the cursor (base64 of "next_ts:<ts>", like Slack's), with its metadata. */
  private page(list: FakeMessage[], a: Rec, t: Team, defaultLimit: number): Rec {
    const start = pageStart(list, str(a.cursor), "next_ts", (m) => m.ts);
    const limit = Math.min(Number(a.limit) > 0 ? Number(a.limit) : defaultLimit, 999);
    const next = list[start + limit];
    const withMetadata =
      a.include_all_metadata === true || a.include_all_metadata === "true" || a.include_all_metadata === "1";
    return {
      messages: list.slice(start, start + limit).map((m) => {
        const { metadata, ...wire } = this.wire(m, t);
        return withMetadata && metadata ? { ...wire, metadata } : wire;
      }),
      has_more: next !== undefined,
      response_metadata: { next_cursor: next ? cursorAt("next_ts", next.ts) : "" },
    };
  }

  /** A ts from the server's clock, unique and increasing like Slack's, so oldest and latest mean times. */
  private nextTs(): string {
    this.lastTsMicros = Math.max(Date.now() * 1000, this.lastTsMicros + 1);
    return `${Math.floor(this.lastTsMicros / 1e6)}.${String(this.lastTsMicros % 1e6).padStart(6, "0")}`;
  }

  /** With setSlowAfterCommit: the answer waits, the call's effect does not. */
  private async answerLater(): Promise<void> {
    if (this.slowAfterCommit > 0) await sleep(this.slowAfterCommit);
  }

  /** Where a message may go: DMs always; channels only once added, joined and not archived. */
  private target(raw: unknown): string {
    const name = str(raw) ?? "";
    if (/^[UWD][A-Z0-9]+$/.test(name)) return this.dmOf(name);
    const channel =
      this.channels.get(name) ?? [...this.channels.values()].find((c) => name.replace(/^#/, "") === c.name);
    if (!channel) return refuse("channel_not_found");
    if (channel.is_archived) refuse("is_archived");
    if (channel.member === false) refuse("not_in_channel");
    return channel.id;
  }
  /** The bot's DM with a user: posting to a user id posts there, as Slack does. */
  private dmOf(id: string): string {
    return dmOf(id);
  }
  private find(channel: string, ts: string | undefined): FakeMessage | undefined {
    return this.posted.find((m) => !m.ephemeral && m.channel === channel && m.ts === ts);
  }
  private store(a: Rec, channel: string, extra: Pick<FakeMessage, "thread_ts" | "user" | "ephemeral">) {
    const message: FakeMessage = {
      channel,
      ts: this.nextTs(),
      text: textOf(a.text),
      blocks: a.blocks as unknown[] | undefined,
      ...extra,
      updated: 0,
      ...(isRec(a.metadata) ? { metadata: a.metadata } : {}),
    };
    this.posted.push(message);
    return message;
  }
  private wire(m: FakeMessage, t: Team): Rec {
    const { channel: _c, ephemeral: _e, updated: _u, user: _r, ...rest } = m;
    return { type: "message", user: t.botUserId, bot_id: `B${t.botUserId}`, team: t.teamId, ...rest };
  }
  private userObject(u: FakeUser): Rec {
    const { email, ...rest } = u;
    const defaults = {
      team_id: DEFAULT_TEAM.teamId,
      deleted: false,
      is_admin: false,
      is_owner: false,
      is_restricted: false,
      is_ultra_restricted: false,
      tz: "Etc/UTC",
    };
    return { ...defaults, ...rest, real_name: u.name, is_bot: false, profile: { email, real_name: u.name } };
  }
  private trigger(a: Rec): { trigger_id: string } {
    return { trigger_id: str(a.trigger_id) ?? missing("trigger_id") };
  }
  private saveView(
    method: string,
    view: Rec,
    t: Team,
    ids: { user_id?: string; trigger_id?: string; view_id?: string },
  ): Rec {
    const view_id = ids.view_id ?? `V${pad(++this.seq)}`;
    this.viewStore.set(view_id, view);
    this.views.push({ method, ...ids, view_id, view });
    return {
      view: {
        id: view_id,
        team_id: t.teamId,
        ...view,
        state: { values: {} },
        hash: `${++this.seq}.${view_id}`,
      },
    };
  }

  // The upload URL takes the bytes raw or as multipart form data (curl -F), answering "OK - <bytes>".
  private async upload(id: string, req: IncomingMessage, raw: Buffer, res: ServerResponse): Promise<void> {
    const upload = this.uploads.get(id);
    if (!upload) return send(res, 404, "not found");
    const type = req.headers["content-type"] ?? "";
    const parts = type.startsWith("multipart/form-data") ? [...(await formData(type, raw)).values()] : [];
    const blobs = parts.filter((v): v is Exclude<typeof v, string> => typeof v !== "string");
    upload.data = blobs.length ? Buffer.from(await blobs[0]!.arrayBuffer()) : raw;
    upload.type = (blobs.length ? blobs[0]!.type : type) || "application/octet-stream";
    upload.bytes = blobs.length ? blobs.reduce((sum, blob) => sum + blob.size, 0) : raw.length;
    send(res, 200, `OK - ${upload.bytes}`);
  }

  // A response_url takes a JSON message (docs.slack.dev/interactivity/handling-user-interaction), checked
  // like chat.postMessage's; a refusal is an HTTP 400, as for incoming webhooks.
  private respond(id: string, raw: Buffer, res: ServerResponse): void {
    const body = parseJson(raw);
    if (!body) return send(res, 400, fail("invalid_payload"));
    this.responses.push({ id, body: parseJsonArgs(body) });
    try {
      if (body.delete_original !== true) checkMessage(body);
      send(res, 200, ok());
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      this.refusals.push({
        method: "response_url",
        args: { ...body, response_url: id },
        error: String(error.body.error),
        problems: problemsOf(error.body),
      });
      send(res, 400, error.body);
    }
  }
}

/** Starts the fake on 127.0.0.1, on a free port. */
export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const server = createServer((req, res) => {
    fake.handle(req, res).catch((error: unknown) => send(res, 500, `fake slack failed: ${String(error)}`));
  });
  const fake = new FakeSlackServer(server, options);
  server.on("upgrade", (req, socket, head) => fake.socketMode.upgrade(req, socket, head));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  fake.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.apiUrl = `${fake.origin}/api/`;
  return fake;
}
