// The requests Slack sends an app, built and signed as Slack builds and signs them: slash commands and
// interactions form-encoded (interactions as a JSON `payload` field), events as JSON, each signed with
// the app's signing secret (v0: HMAC-SHA256 of "v0:<timestamp>:<body>", docs.slack.dev/authentication/
// verifying-requests-from-slack). The sandbox sends them to the bot; the tests send them too.
import { createHmac, randomBytes } from "node:crypto";

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

export interface SignedRequest {
  body: string;
  contentType: string;
}

/** Who acts, and where. */
export interface Actor {
  teamId: string;
  userId: string;
  userName: string;
  channelId: string;
  channelName: string;
}

const triggerId = () => `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString("hex")}`;

/** A slash command (form fields as docs.slack.dev/interactivity/implementing-slash-commands lists them). */
export function slashCommand(
  actor: Actor,
  command: string,
  text: string,
  responseUrl: string,
  trigger = triggerId(),
): SignedRequest {
  return {
    contentType: "application/x-www-form-urlencoded",
    body: new URLSearchParams({
      token: "legacy-verification-token",
      team_id: actor.teamId,
      team_domain: "sandbox",
      channel_id: actor.channelId,
      channel_name: actor.channelName,
      user_id: actor.userId,
      user_name: actor.userName,
      command,
      text,
      api_app_id: "A0SANDBOX",
      is_enterprise_install: "false",
      response_url: responseUrl,
      trigger_id: trigger,
    }).toString(),
  };
}

/** The action of an interactive element, as block_actions carries it. */
export interface ElementAction {
  action_id: string;
  block_id: string;
  type: string;
  value?: string;
  selected_option?: { value: string; text?: unknown };
  selected_user?: string;
}

/** A block_actions interaction on a message (or on a view, when `view` is given). */
export function blockActions(
  actor: Actor,
  action: ElementAction,
  where: {
    responseUrl?: string;
    message?: { ts: string; thread_ts?: string; blocks?: unknown[]; text?: string; ephemeral: boolean };
    view?: Record<string, unknown>;
  },
  trigger = triggerId(),
): SignedRequest {
  const payload: Record<string, unknown> = {
    type: "block_actions",
    team: { id: actor.teamId, domain: "sandbox" },
    user: { id: actor.userId, username: actor.userName, name: actor.userName, team_id: actor.teamId },
    api_app_id: "A0SANDBOX",
    token: "legacy-verification-token",
    trigger_id: trigger,
    actions: [{ ...action, action_ts: (Date.now() / 1000).toFixed(6) }],
  };
  if (where.message) {
    payload.container = {
      type: "message",
      message_ts: where.message.ts,
      channel_id: actor.channelId,
      is_ephemeral: where.message.ephemeral,
      ...(where.message.thread_ts ? { thread_ts: where.message.thread_ts } : {}),
    };
    payload.channel = { id: actor.channelId, name: actor.channelName };
    if (!where.message.ephemeral) {
      payload.message = {
        type: "message",
        ts: where.message.ts,
        text: where.message.text ?? "",
        blocks: where.message.blocks ?? [],
        ...(where.message.thread_ts ? { thread_ts: where.message.thread_ts } : {}),
      };
    }
  }
  if (where.view) {
    payload.container = { type: "view", view_id: where.view.id };
    payload.view = where.view;
  }
  if (where.responseUrl) payload.response_url = where.responseUrl;
  return form(payload);
}

/** A view_submission: the modal's state as Slack sends it (values by block id, then action id). */
export function viewSubmission(
  actor: Pick<Actor, "teamId" | "userId" | "userName">,
  view: Record<string, unknown>,
  values: Record<string, Record<string, unknown>>,
): SignedRequest {
  return form({
    type: "view_submission",
    team: { id: actor.teamId, domain: "sandbox" },
    user: { id: actor.userId, username: actor.userName, name: actor.userName, team_id: actor.teamId },
    api_app_id: "A0SANDBOX",
    token: "legacy-verification-token",
    trigger_id: triggerId(),
    view: { ...view, state: { values } },
  });
}

/** An Events API callback (docs.slack.dev/apis/events-api) carrying `event`. */
export function eventCallback(teamId: string, event: Record<string, unknown>): SignedRequest {
  return {
    contentType: "application/json",
    body: JSON.stringify({
      token: "legacy-verification-token",
      team_id: teamId,
      api_app_id: "A0SANDBOX",
      type: "event_callback",
      event_id: `Ev${randomBytes(8).toString("hex").toUpperCase()}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { ...event, event_ts: (Date.now() / 1000).toFixed(6) },
    }),
  };
}

function form(payload: Record<string, unknown>): SignedRequest {
  return {
    contentType: "application/x-www-form-urlencoded",
    body: `payload=${encodeURIComponent(JSON.stringify(payload))}`,
  };
}

/** What the app answered: its HTTP status and body (the ack's message, or a view's response_action). */
export interface AppAnswer {
  status: number;
  text: string;
  json: unknown;
}

/** POSTs a request to the app, signed now with `secret`. */
export async function sendToApp(url: string, secret: string, request: SignedRequest): Promise<AppAnswer> {
  const timestamp = Math.floor(Date.now() / 1000);
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": request.contentType,
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": slackSignature(secret, timestamp, request.body),
    },
    body: request.body,
  });
  return readAnswer(res);
}

/** The app's answer: its status, its body, and the body as JSON when it is JSON (else null). */
export async function readAnswer(res: Response): Promise<AppAnswer> {
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, text, json };
}
