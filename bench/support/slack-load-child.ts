// The load of the Slack benchmark, in a process of its own so that making requests and reading
// replies never runs on the servers' event loop (which would count in their time):
//   node --import tsx bench/support/slack-load-child.ts <plan.json>
// For each target it sends the warm-up queries, then the measured ones in blocks, the targets
// taking turns block by block (first one, then the other first), so that a slower spell of a
// shared machine falls on both. Every request is a signed `/css <query>` as Slack sends it, `C` in
// flight per target at a time, over keep-alive connections. It reports each request's round trip
// and what the reply was, as JSON on the last line of stdout (support/child-process.ts).
import { readFile } from "node:fs/promises";
import { Agent } from "node:http";
import { commandBody } from "../../test/support/slack-requests.ts";
import { report } from "./child-process.ts";
import { postBody, signedCommandHeaders } from "./http-post.ts";
import { cpuBetween, machineCpu, processCpuSeconds, type MachineCpu } from "./cpu-usage.ts";
import type { Query } from "./slack-queries.ts";
import { classifyAck, type Expect, type Outcome } from "./slack-replies.ts";

export interface LoadPlan {
  targets: { name: string; url: string; expect: Expect }[];
  warmup: Query[];
  queries: Query[];
  concurrency: number;
  block: number;
  signingSecret: string;
  teamId: string;
  /**
   * Where a reply later than the ack goes (the benchmark's recorder, so nothing leaves the machine):
   * each request's URL is this prefix and its id, `<target>-<phase>-<index>`, also sent as
   * `x-bench-id`.
   */
  responseUrlPrefix: string;
}

export interface TargetReport {
  name: string;
  /** Round trips of the measured requests, ms, in the order of the plan's queries. */
  clientMs: number[];
  outcomes: Outcome[];
  /** Wall time of this target's blocks, s (requests/s = requests / seconds). */
  seconds: number;
  /** The first few failures, to explain them. */
  failures: string[];
  /**
   * CPU seconds used during this target's measured blocks (from /proc; null where it cannot be
   * read): the whole machine's, the servers' process's (this child's parent) and this child's own.
   */
  cpu: { machine: number; servers: number; load: number } | null;
}

export interface LoadReport {
  targets: TargetReport[];
}

const MAX_FAILURES = 5;

async function main(planFile: string): Promise<void> {
  const plan = JSON.parse(await readFile(planFile, "utf8")) as LoadPlan;
  const agents = plan.targets.map(() => new Agent({ keepAlive: true, maxSockets: plan.concurrency }));
  const reports: TargetReport[] = plan.targets.map((t) => ({
    name: t.name,
    clientMs: new Array<number>(plan.queries.length).fill(Number.NaN),
    outcomes: new Array<Outcome>(plan.queries.length).fill("failed"),
    seconds: 0,
    failures: [],
    cpu: { machine: 0, servers: 0, load: 0 },
  }));
  try {
    for (const [i, target] of plan.targets.entries()) {
      await runBlock(plan, target, agents[i]!, plan.warmup, 0, "warmup", () => undefined);
    }
    for (let start = 0, b = 0; start < plan.queries.length; start += plan.block, b++) {
      const queries = plan.queries.slice(start, start + plan.block);
      const order = plan.targets.map((_, i) => i);
      if (b % 2 === 1) order.reverse();
      for (const i of order) {
        const target = plan.targets[i]!;
        const out = reports[i]!;
        const t0 = performance.now();
        const before = await cpuNow();
        await runBlock(plan, target, agents[i]!, queries, start, "measure", (j, ms, outcome, why) => {
          out.clientMs[j] = ms;
          out.outcomes[j] = outcome;
          if (why !== undefined && out.failures.length < MAX_FAILURES) out.failures.push(why);
        });
        out.seconds += (performance.now() - t0) / 1000;
        out.cpu = addCpu(out.cpu, before, await cpuNow());
      }
    }
  } finally {
    for (const agent of agents) agent.destroy();
  }
  report({ targets: reports } satisfies LoadReport);
}

type CpuNow = { machine: MachineCpu | null; servers: number; load: number };

async function cpuNow(): Promise<CpuNow> {
  const own = process.cpuUsage();
  return {
    machine: await machineCpu(),
    servers: await processCpuSeconds(process.ppid),
    load: (own.user + own.system) / 1e6,
  };
}

function addCpu(sum: TargetReport["cpu"], before: CpuNow, after: CpuNow): TargetReport["cpu"] {
  const machine = cpuBetween(before.machine, after.machine);
  const servers = after.servers - before.servers;
  if (!sum || !machine || !Number.isFinite(servers)) return null;
  return {
    machine: sum.machine + machine.busy,
    servers: sum.servers + servers,
    load: sum.load + after.load - before.load,
  };
}

/** `index`: the query's place in the plan's list. */
type OnDone = (index: number, ms: number, outcome: Outcome, failure?: string) => void;

/** Sends `queries` (the plan's from `offset` on) to one target, `concurrency` at a time. */
async function runBlock(
  plan: LoadPlan,
  target: LoadPlan["targets"][number],
  agent: Agent,
  queries: readonly Query[],
  offset: number,
  phase: "warmup" | "measure",
  done: OnDone,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let j = next++; j < queries.length; j = next++) {
      const query = queries[j]!;
      const t0 = performance.now();
      try {
        const id = `${target.name}-${phase}-${offset + j}`;
        const reply = await postCommand(plan, target.url, agent, query, phase, id);
        const ms = performance.now() - t0;
        const [outcome, why] = classifyAck(target.expect, query.text, reply);
        done(
          offset + j,
          ms,
          outcome,
          why && `${target.name}, ${query.kind} ${JSON.stringify(query.text)}: ${why}`,
        );
      } catch (error) {
        const why = `${target.name}, ${query.kind} ${JSON.stringify(query.text)}: ${(error as Error).message}`;
        done(offset + j, performance.now() - t0, "failed", why);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(plan.concurrency, queries.length) }, worker));
}

function postCommand(
  plan: LoadPlan,
  url: string,
  agent: Agent,
  query: Query,
  phase: string,
  id: string,
): Promise<{ status: number; text: string }> {
  const responseUrl = `${plan.responseUrlPrefix}${encodeURIComponent(id)}`;
  const body = commandBody({ text: query.text, team_id: plan.teamId, response_url: responseUrl });
  const headers = {
    ...signedCommandHeaders(plan.signingSecret, body),
    "x-bench-phase": phase,
    "x-bench-kind": query.kind,
    "x-bench-id": id,
  };
  return postBody(url, agent, headers, body);
}

const [planFile] = process.argv.slice(2);
if (!planFile) throw new Error("usage: slack-load-child.ts <plan.json>");
await main(planFile);
