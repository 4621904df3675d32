// The flood of the ingest-flood benchmark, in a process of its own so that building and sending the
// bodies never runs on the measured process's or the prober's event loop:
//   node --import tsx bench/support/flood-child.ts <plan.json>
// Each of C clients owns R accounts (`flood-<client>-<n>`, every text field at its schema's longest,
// so the body is as large as 10,000 valid records can be) and POSTs them to /api/v1/accounts again
// and again, one request in flight, from the plan's start time until its end. A 503 is honoured as
// a well-behaved client would: it waits Retry-After seconds, then sends again. It reports what
// every request got, as JSON on the last line of stdout (support/child-process.ts).
import { readFile } from "node:fs/promises";
import { Agent } from "node:http";
import { report } from "./child-process.ts";
import { postBody } from "./http-post.ts";

export interface FloodPlan {
  url: string;
  key: string;
  clients: number;
  records: number;
  /** Date.now() at which every client sends its first request, and after which none starts one. */
  startAt: number;
  endAt: number;
}

export interface FloodReport {
  bodyBytes: number;
  /** Requests by HTTP status ("error" for a request that got no reply). */
  statuses: Record<string, number>;
  /** Records in the requests answered 200. */
  accepted: number;
  /** From the first request sent to the last reply, s. */
  seconds: number;
  /** Round trips of the requests answered 200, ms. */
  okMs: number[];
  /** The first few unexpected replies. */
  failures: string[];
}

/** Every account field, each text at its schema's limit (src/ingest/record-schemas.ts). */
function accountRecord(client: number, n: number): Record<string, unknown> {
  const pad = (text: string, length: number) => text + "x".repeat(Math.max(0, length - text.length));
  return {
    account_id: pad(`flood-${client}-${n}-`, 200),
    name: pad(`Flood Client ${client} Account ${n} `, 300),
    segment: pad("segment-", 100),
    owner: pad(`owner-${n % 50}-`, 300),
    mrr: 100 + (n % 900),
    seats: 1 + (n % 400),
    renewal_date: "2027-03-31",
    created_at: "2024-01-15",
    status: "active",
    domain: `${pad(`d${client}-${n}-`, 240)}.example`,
  };
}

async function main(planFile: string): Promise<void> {
  const plan = JSON.parse(await readFile(planFile, "utf8")) as FloodPlan;
  const bodies = Array.from({ length: plan.clients }, (_, c) =>
    Buffer.from(
      JSON.stringify({ records: Array.from({ length: plan.records }, (_, n) => accountRecord(c, n)) }),
    ),
  );
  const agent = new Agent({ keepAlive: true, maxSockets: plan.clients });
  const out: FloodReport = {
    bodyBytes: bodies[0]!.length,
    statuses: {},
    accepted: 0,
    seconds: 0,
    okMs: [],
    failures: [],
  };
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, plan.startAt - Date.now())));
  const t0 = performance.now();
  const client = async (body: Buffer) => {
    while (Date.now() < plan.endAt) {
      const started = performance.now();
      const reply = await post(plan, agent, body).catch((e: Error) => ({
        status: 0,
        text: e.message,
        retryAfter: null,
      }));
      const status = reply.status === 0 ? "error" : String(reply.status);
      out.statuses[status] = (out.statuses[status] ?? 0) + 1;
      if (reply.status === 200) {
        out.accepted += plan.records;
        out.okMs.push(performance.now() - started);
      } else if (reply.status === 503 && reply.retryAfter !== null) {
        await new Promise((resolve) => setTimeout(resolve, reply.retryAfter! * 1000));
      } else if (out.failures.length < 5) {
        out.failures.push(`HTTP ${status}: ${reply.text.slice(0, 300)}`);
      }
    }
  };
  await Promise.all(bodies.map(client));
  out.seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  report(out);
}

function post(
  plan: FloodPlan,
  agent: Agent,
  body: Buffer,
): Promise<{ status: number; text: string; retryAfter: number | null }> {
  const headers = { "content-type": "application/json", authorization: `Bearer ${plan.key}` };
  return postBody(plan.url, agent, headers, body).then((reply) => {
    const after = Number(reply.headers["retry-after"]);
    return { status: reply.status, text: reply.text, retryAfter: Number.isFinite(after) ? after : null };
  });
}

const [planFile] = process.argv.slice(2);
if (!planFile) throw new Error("usage: flood-child.ts <plan.json>");
await main(planFile);
