// Times `/css <account>` on a running css-bot as a user sees it: a signed slash command, one in
// flight, timed from sending it to the answer: the ack itself when it holds the reply, else the
// reply's arrival at the response URL (the recorder, on the same clock). An ack later than Slack's
// 3 s (Bolt's empty 404) is a timeout: the user saw an error.
import { Agent } from "node:http";
import { commandBody } from "../../test/support/slack-requests.ts";
import { postBody, signedCommandHeaders } from "./http-post.ts";
import type { ResponseRecorder } from "./slack-servers.ts";
import { classifyAck, classifyMessage, type Outcome } from "./slack-replies.ts";

export interface Probe {
  /** Send to answer, ms (to the ack for a timeout or a failure). */
  ms: number;
  /** Send to ack, ms. */
  ackMs: number;
  outcome: Outcome;
  failure?: string;
}

export interface ProberSettings {
  eventsUrl: string;
  signingSecret: string;
  teamId: string;
  recorder: ResponseRecorder;
  /** The queries, taken in turn. */
  queries: readonly string[];
  /** Pause between two probes, ms. */
  gapMs: number;
}

/** Probes one at a time until `until()` says stop (checked before each), or `count` are done. */
export async function probeCss(
  s: ProberSettings,
  phase: string,
  o: { count?: number; until?: () => boolean },
): Promise<Probe[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const probes: Probe[] = [];
  try {
    for (let i = 0; (o.count === undefined || i < o.count) && !(o.until?.() ?? false); i++) {
      const query = s.queries[i % s.queries.length]!;
      probes.push(await probeOnce(s, agent, `${phase}-${i}-${Date.now()}`, query));
      await new Promise((resolve) => setTimeout(resolve, s.gapMs));
    }
  } finally {
    agent.destroy();
  }
  return probes;
}

async function probeOnce(s: ProberSettings, agent: Agent, id: string, query: string): Promise<Probe> {
  const body = commandBody({
    text: query,
    team_id: s.teamId,
    response_url: `${s.recorder.prefix}${encodeURIComponent(id)}`,
  });
  const sent = process.hrtime.bigint();
  const since = (t: bigint) => Number(t - sent) / 1e6;
  let reply: { status: number; text: string };
  try {
    reply = await postBody(s.eventsUrl, agent, signedCommandHeaders(s.signingSecret, body), body);
  } catch (error) {
    const ms = since(process.hrtime.bigint());
    return { ms, ackMs: ms, outcome: "failed", failure: (error as Error).message };
  }
  const ackMs = since(process.hrtime.bigint());
  const [outcome, why] = classifyAck("reply", query, reply);
  if (outcome !== "deferred") return { ms: ackMs, ackMs, outcome, ...(why ? { failure: why } : {}) };
  // Deferred: the answer is what reaches the response URL (waited for up to 30 s).
  for (let waited = 0; waited < 30_000; waited += 5) {
    const got = s.recorder.received.get(id);
    if (got) {
      const [later, whyLater] = classifyMessage(query, got.body);
      return { ms: since(got.at), ackMs, outcome: later, ...(whyLater ? { failure: whyLater } : {}) };
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return {
    ms: since(process.hrtime.bigint()),
    ackMs,
    outcome: "failed",
    failure: "no reply at the response URL",
  };
}
