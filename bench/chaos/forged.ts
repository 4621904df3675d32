// Forged and stale Slack requests against the running bot (`css-bot start`, one workspace, the fake
// Slack on loopback): each kind of forgery sent to a slash command, a button and an event, and every
// one must get 401 with nothing done (no reply at its response URL, no Web API call). Genuine
// requests sent the same way are the control: they must be answered, or the harness proves nothing.
import { ACTIONS } from "../../src/slack/ids.ts";
import {
  buttonActionBody,
  commandBody,
  postSigned,
  slackSignature,
} from "../../test/support/slack-requests.ts";
import { SIGNING_SECRET as SECRET, startBot } from "./bot.ts";
import type { Cleanup } from "../support/lifecycle.ts";
import type { ChaosFigure } from "./figure.ts";

const MINUTE = 60;

/** A way of forging: the headers it sends for a body. */
interface Forgery {
  name: string;
  headers(body: string, now: number): Record<string, string>;
}

const signed = (secret: string, timestamp: number, body: string) => ({
  "x-slack-request-timestamp": String(timestamp),
  "x-slack-signature": slackSignature(secret, timestamp, body),
});

export const FORGERIES: readonly Forgery[] = [
  { name: "no signature", headers: () => ({}) },
  { name: "another secret", headers: (body, now) => signed("not-the-signing-secret-000", now, body) },
  {
    name: "signature of another body",
    headers: (body, now) => signed(SECRET, now, `${body}&x=1`),
  },
  { name: "6 minutes old", headers: (body, now) => signed(SECRET, now - 6 * MINUTE, body) },
  { name: "6 minutes ahead", headers: (body, now) => signed(SECRET, now + 6 * MINUTE, body) },
  { name: "a day ahead", headers: (body, now) => signed(SECRET, now + 24 * 60 * MINUTE, body) },
  { name: "a year ahead", headers: (body, now) => signed(SECRET, now + 365 * 24 * 60 * MINUTE, body) },
  {
    name: "timestamp changed after signing",
    headers: (body, now) => ({ ...signed(SECRET, now, body), "x-slack-request-timestamp": String(now - 1) }),
  },
  {
    name: "v1 prefix",
    headers: (body, now) => {
      const h = signed(SECRET, now, body);
      return { ...h, "x-slack-signature": h["x-slack-signature"].replace(/^v0=/, "v1=") };
    },
  },
  {
    name: "timestamp not a number",
    headers: () => ({ "x-slack-request-timestamp": "soon", "x-slack-signature": "v0=00" }),
  },
];

export async function forgedRequests(repeat: number, cleanups: Cleanup[]): Promise<ChaosFigure[]> {
  const { fake, origin } = await startBot(cleanups);
  const url = `${origin}/slack/events`;

  const bodies = (responseUrl: string) => ({
    command: {
      body: commandBody({ text: "help", response_url: responseUrl }),
      type: "application/x-www-form-urlencoded",
    },
    button: {
      body: buttonActionBody({
        action_id: ACTIONS.resolve,
        value: JSON.stringify({ v: 1, c: "1", n: 1 }),
        response_url: responseUrl,
      }),
      type: "application/x-www-form-urlencoded",
    },
    event: {
      body: JSON.stringify({
        token: "legacy",
        team_id: "T0TEST",
        api_app_id: "A0APP",
        type: "event_callback",
        event_id: `Ev${Math.random().toString(36).slice(2)}`,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: "app_home_opened", user: "U0ALICE", tab: "home", channel: "D0ALICE" },
      }),
      type: "application/json",
    },
  });

  // Forged first, then the genuine control, so any effect seen is attributable.
  const callsBefore = fake.calls.length;
  let forged = 0;
  let rejected = 0;
  const accepted: string[] = [];
  for (let r = 0; r < repeat; r++) {
    for (const forgery of FORGERIES) {
      for (const [kind, { body, type }] of Object.entries(bodies(fake.responseUrl()))) {
        forged++;
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": type, ...forgery.headers(body, Math.floor(Date.now() / 1000)) },
          body,
        });
        await res.text();
        if (res.status === 401) rejected++;
        else accepted.push(`${forgery.name} (${kind}): ${res.status}`);
      }
    }
  }
  // Anything a forged request set off would have reached the fake by now.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const sideEffects = fake.calls.length - callsBefore + fake.responses.length;

  let genuine = 0;
  let answered = 0;
  for (let r = 0; r < repeat; r++) {
    const { command } = bodies(fake.responseUrl());
    genuine++;
    const res = await postSigned(url, command.body, { secret: SECRET });
    if (res.status === 200 && res.text.length > 0) answered++;
  }
  return [
    {
      name: "forged or stale Slack requests rejected (401)",
      figure: `${rejected}/${forged}`,
      detail:
        `${FORGERIES.length} kinds × command, button, event × ${repeat}; ${sideEffects} side effects; ` +
        `genuine control answered ${answered}/${genuine}` +
        (accepted.length > 0 ? `; ACCEPTED: ${accepted.slice(0, 5).join("; ")}` : ""),
      ok: rejected === forged && sideEffects === 0 && answered === genuine,
    },
  ];
}
