// Requests as Slack sends them: form-encoded slash commands and interactions, JSON events, each
// signed with the app's signing secret (v0 HMAC-SHA256 of "v0:<timestamp>:<body>").
import { readAnswer, slackSignature } from "../../src/sandbox/bot-requests.ts";

export const SIGNING_SECRET = "test-signing-secret-0123456789";

export { slackSignature };

export interface SignedPost {
  status: number;
  text: string;
  json: unknown;
  ms: number;
}

export async function postSigned(
  url: string,
  body: string,
  options: { contentType?: string; secret?: string; timestamp?: number; signature?: string } = {},
): Promise<SignedPost> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = options.signature ?? slackSignature(options.secret ?? SIGNING_SECRET, timestamp, body);
  const t0 = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": options.contentType ?? "application/x-www-form-urlencoded",
      "x-slack-request-timestamp": String(timestamp),
      "x-slack-signature": signature,
    },
    body,
  });
  return { ...(await readAnswer(res)), ms: performance.now() - t0 };
}

export function commandBody(fields: {
  text: string;
  team_id?: string;
  user_id?: string;
  channel_id?: string;
  response_url: string;
  command?: string;
}): string {
  return new URLSearchParams({
    token: "legacy-verification-token",
    team_id: fields.team_id ?? "T0TEST",
    team_domain: "test",
    channel_id: fields.channel_id ?? "C0CHANNEL",
    channel_name: "cs-team",
    user_id: fields.user_id ?? "U0ALICE",
    user_name: "alice",
    command: fields.command ?? "/css",
    text: fields.text,
    api_app_id: "A0APP",
    is_enterprise_install: "false",
    response_url: fields.response_url,
    trigger_id: `${Date.now()}.1.abcdef`,
  }).toString();
}

/** A block_actions payload for a button, as Slack posts it (form field `payload`). */
export function buttonActionBody(fields: {
  action_id: string;
  value: string;
  response_url: string;
  team_id?: string;
  user_id?: string;
  channel_id?: string;
}): string {
  const payload = {
    type: "block_actions",
    team: { id: fields.team_id ?? "T0TEST", domain: "test" },
    user: { id: fields.user_id ?? "U0ALICE", username: "alice", team_id: fields.team_id ?? "T0TEST" },
    api_app_id: "A0APP",
    token: "legacy-verification-token",
    container: {
      type: "message",
      message_ts: "1764100000.000100",
      channel_id: fields.channel_id ?? "C0CHANNEL",
      is_ephemeral: true,
    },
    trigger_id: `${Date.now()}.1.abcdef`,
    channel: { id: fields.channel_id ?? "C0CHANNEL", name: "cs-team" },
    response_url: fields.response_url,
    actions: [
      {
        type: "button",
        action_id: fields.action_id,
        block_id: "b1",
        text: { type: "plain_text", text: "x" },
        value: fields.value,
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}
