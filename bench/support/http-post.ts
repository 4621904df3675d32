// One POST over node:http with a keep-alive agent, its reply read whole as text: what the load
// children and the /css prober send (node:http rather than fetch, so the agent's sockets are theirs).
import { request, type Agent, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import { slackSignature } from "../../test/support/slack-requests.ts";

export interface TextReply {
  status: number;
  text: string;
  headers: IncomingHttpHeaders;
}

export function postBody(
  url: string,
  agent: Agent,
  headers: OutgoingHttpHeaders,
  body: string | Buffer,
): Promise<TextReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The headers of a slash command as Slack signs it now (form-encoded `body`). */
export function signedCommandHeaders(signingSecret: string, body: string): OutgoingHttpHeaders {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    "content-type": "application/x-www-form-urlencoded",
    "x-slack-request-timestamp": String(timestamp),
    "x-slack-signature": slackSignature(signingSecret, timestamp, body),
  };
}
