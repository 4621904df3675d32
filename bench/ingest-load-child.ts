// The load of `npm run bench -- ingest` (api part), in a process of its own so that making requests
// never runs on the server's event loop: POSTs metric batches to /api/v1/metrics, C in flight over
// keep-alive connections, and reports each batch's time and the wall time. The batches are built
// here, deterministically: account i's metric on day d, so every record is a new row.
import { readFile } from "node:fs/promises";
import { Agent } from "node:http";
import { report } from "./support/child-process.ts";
import { postBody } from "./support/http-post.ts";

export interface IngestLoadPlan {
  url: string;
  key: string;
  /** External ids of the accounts the records are about. */
  accounts: string[];
  records: number;
  batch: number;
  concurrency: number;
  /** The first observation day (YYYY-MM-DD); later records go a day further per round of accounts. */
  firstDay: string;
}

export interface IngestLoadReport {
  batches: number;
  records: number;
  wallMs: number;
  batchMs: number[];
  /** Answers other than 200, with their bodies (the first few). */
  failures: string[];
  accepted: number;
}

const [planFile] = process.argv.slice(2);
const plan = JSON.parse(await readFile(planFile!, "utf8")) as IngestLoadPlan;
const agent = new Agent({ keepAlive: true, maxSockets: plan.concurrency });
const day0 = Date.parse(`${plan.firstDay}T00:00:00Z`);

function batchBody(b: number): string {
  const records: string[] = [];
  const start = b * plan.batch;
  const end = Math.min(plan.records, start + plan.batch);
  for (let i = start; i < end; i++) {
    const account = plan.accounts[i % plan.accounts.length]!;
    const day = new Date(day0 + Math.floor(i / plan.accounts.length) * 86_400_000).toISOString().slice(0, 10);
    const value = ((i * 7919) % 1000) / 1000;
    records.push(
      `{"account_id":${JSON.stringify(account)},"metric":"weekly_active_ratio","value":${value},"observed_at":"${day}"}`,
    );
  }
  return `{"records":[${records.join(",")}]}`;
}

function post(body: string): Promise<{ status: number; text: string }> {
  const headers = { authorization: `Bearer ${plan.key}`, "content-type": "application/json" };
  return postBody(plan.url, agent, headers, body);
}

const batches = Math.ceil(plan.records / plan.batch);
const batchMs: number[] = [];
const failures: string[] = [];
let accepted = 0;
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: plan.concurrency }, async () => {
    while (next < batches) {
      const b = next++;
      // Built before the clock starts for this batch: the client's JSON is not the server's time.
      const body = batchBody(b);
      const t = performance.now();
      const res = await post(body);
      batchMs.push(performance.now() - t);
      if (res.status === 200) accepted += (JSON.parse(res.text) as { accepted: number }).accepted;
      else if (failures.length < 5) failures.push(`batch ${b}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    }
  }),
);
const wallMs = performance.now() - started;
agent.destroy();
report({ batches, records: plan.records, wallMs, batchMs, failures, accepted } satisfies IngestLoadReport);
