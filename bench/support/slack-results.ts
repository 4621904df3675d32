// What the Slack benchmark found: the app's answers (deferred ones included) and the tables it prints.
import os from "node:os";
import { table } from "../../src/cli/output/format.ts";
import { quantile } from "./queued-run.ts";
import type { TargetReport } from "./slack-load-child.ts";
import type { LookupPlan } from "./slack-explain.ts";
import { QUERY_KINDS, type Query } from "./slack-queries.ts";
import { classifyMessage, type Outcome } from "./slack-replies.ts";
import type { ResponseRecorder, TimedServer } from "./slack-servers.ts";

/** The target: p99 of the app's server time, ms. */
export const TARGET_P99_MS = 50;

export interface Answers {
  /** Per measured query: card, list or none; timeout or failed when it went wrong. */
  outcomes: Outcome[];
  /**
   * Per measured query: ms from the request's arrival to the reply, in the ack or posted later
   * (for a request that got no reply, to its response).
   */
  ms: number[];
  deferred: number;
  /** Deferred replies that never arrived or were wrong. */
  problems: string[];
}

/** How long deferred replies still being computed are waited for. */
const DEFERRED_WAIT_MS = 120_000;

/**
 * What the app answered to each query, and when: the reply in the ack, or for a deferred one (acked
 * with "Looking it up…" once the ack budget ran out) the reply it then posted to the response URL,
 * which must be a card, a list or "no match" too.
 */
export async function answersOf(
  server: TimedServer,
  recorder: ResponseRecorder,
  queries: readonly Query[],
  load: TargetReport,
  log: (text: string) => void,
): Promise<Answers> {
  const ids = new Map(server.samples.map((x) => [x.id, x]));
  const idOf = (i: number) => `${load.name}-measure-${i}`;
  const deferred = load.outcomes.flatMap((o, i) => (o === "deferred" ? [i] : []));
  if (deferred.length > 0) log(`  ${deferred.length} replies of the app were deferred; waiting for them`);
  const started = performance.now();
  while (deferred.some((i) => !recorder.received.has(idOf(i)))) {
    if (performance.now() - started > DEFERRED_WAIT_MS) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const problems: string[] = [];
  const outcomes = load.outcomes.map((o, i): Outcome => {
    if (o !== "deferred") return o;
    const posted = recorder.received.get(idOf(i));
    const [answer, why] = posted
      ? classifyMessage(queries[i]!.text, posted.body)
      : (["failed", `not posted within ${DEFERRED_WAIT_MS / 1000} s`] as const);
    if (why !== undefined) problems.push(`the deferred reply to ${JSON.stringify(queries[i]!.text)}: ${why}`);
    return answer;
  });
  const ms = load.outcomes.map((o, i) => {
    const sample = ids.get(idOf(i));
    const posted = recorder.received.get(idOf(i));
    if (!sample) return load.clientMs[i]!; // not timed on the server: a problem reported apart
    return o === "deferred" && posted ? Number(posted.at - sample.arrived) / 1e6 : sample.ms;
  });
  return { outcomes, ms, deferred: deferred.length, problems };
}

export type Measured = Record<"app" | "floor", [TargetReport, TimedServer]>;

export function printResults(
  s: { accounts: number; requests: number; concurrency: number; explain: boolean },
  measured: Measured,
  queries: readonly Query[],
  answers: Answers,
  plans: LookupPlan[],
): void {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const ms = (x: number) => x.toFixed(1);
  const server = (name: keyof Measured) => measured[name][1].samples.map((x) => x.ms);
  const rows = (["app", "floor"] as const).map((name) => {
    const [load] = measured[name];
    const times = server(name);
    return [
      name === "app" ? "app (/css lookup)" : "floor (ack only)",
      s.requests,
      ms(quantile(times, 0.5)),
      ms(quantile(times, 0.95)),
      ms(quantile(times, 0.99)),
      ms(Math.max(...times)),
      ms(quantile(load.clientMs, 0.5)),
      ms(quantile(load.clientMs, 0.99)),
      Math.round(s.requests / load.seconds),
    ];
  });
  out(
    table(
      [
        "server",
        "requests",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "client p50 ms",
        "client p99 ms",
        "requests/s",
      ],
      rows,
      ["left", "right", "right", "right", "right", "right", "right", "right", "right"],
    ),
  );
  const cores = os.cpus().length;
  for (const name of ["app", "floor"] as const) {
    const { cpu } = measured[name][0];
    if (!cpu) continue;
    const per = (seconds: number) => ms((1000 * seconds) / s.requests);
    out(
      `CPU per request, ${name}: the machine ${per(cpu.machine)} ms (the servers' process ${per(cpu.servers)}, ` +
        `the load child ${per(cpu.load)}, the rest, PostgreSQL if nothing else runs, ` +
        `${per(cpu.machine - cpu.servers - cpu.load)}); busy ${((100 * cpu.machine) / (measured[name][0].seconds * cores)).toFixed(0)}% of ${cores} cores`,
    );
  }
  const [app, floor] = [server("app"), server("floor")];
  const p99 = quantile(app, 0.99);
  const answerP99 = quantile(answers.ms, 0.99);
  out(
    `${s.accounts} accounts, ${s.concurrency} in flight; server time from the request's arrival to its ` +
      `response finished. app/floor: ${(quantile(app, 0.5) / quantile(floor, 0.5)).toFixed(1)}x at p50, ` +
      `${(p99 / quantile(floor, 0.99)).toFixed(1)}x at p99.`,
  );
  if (answers.deferred > 0) {
    out(
      `${answers.deferred} replies (${((100 * answers.deferred) / s.requests).toFixed(0)}%) were not ready ` +
        `within the ack budget: acked with "Looking it up…" and posted to the response URL later. Their ` +
        `server time above is the ack's; to the answer, all requests: p50 ${ms(quantile(answers.ms, 0.5))}, ` +
        `p95 ${ms(quantile(answers.ms, 0.95))}, p99 ${ms(answerP99)}, max ${ms(Math.max(...answers.ms))} ms.`,
    );
  }
  const timedOut = answers.outcomes.filter((o) => o === "timeout").length;
  if (timedOut > 0) {
    out(
      `${timedOut} requests (${((100 * timedOut) / s.requests).toFixed(0)}%) were not acked within 3 s: ` +
        `Bolt answered an empty 404 (Slack shows the user a timeout); they count at their server time.`,
    );
  }
  out(
    `Target p99 < ${TARGET_P99_MS} ms at the server: ` +
      (answerP99 < TARGET_P99_MS
        ? `met (${ms(answerP99)} ms)`
        : `NOT met (${ms(answerP99)} ms, ${(answerP99 / TARGET_P99_MS).toFixed(1)}x the target)`),
  );

  // By kind of query: what the app answered and how long it took on the server.
  const [appLoad, appServer] = measured.app;
  const ofKind = <T>(kind: string, values: readonly T[]) =>
    queries.flatMap((q, i) => (q.kind === kind ? [values[i]!] : []));
  const row = (
    kind: string,
    outcomes: readonly Outcome[],
    acks: readonly Outcome[],
    times: number[],
    answerMs: number[],
    search: string,
  ) => [
    kind,
    outcomes.length,
    share(outcomes, "card"),
    share(outcomes, "list"),
    share(outcomes, "none"),
    share(acks, "deferred"),
    share(outcomes, "timeout"),
    ms(quantile(times, 0.5)),
    ms(quantile(times, 0.99)),
    ms(quantile(answerMs, 0.99)),
    search,
  ];
  const sent = QUERY_KINDS.filter((kind) => queries.some((q) => q.kind === kind));
  const byKind = sent.map((kind) => {
    const plan = plans.find((p) => p.query.kind === kind);
    return row(
      kind,
      ofKind(kind, answers.outcomes),
      ofKind(kind, appLoad.outcomes),
      appServer.samples.filter((x) => x.kind === kind).map((x) => x.ms),
      ofKind(kind, answers.ms),
      plan ? `${ms(plan.ms)} in ${plan.statements} (${JSON.stringify(plan.query.text)})` : "–",
    );
  });
  byKind.push(row("all", answers.outcomes, appLoad.outcomes, app, answers.ms, ""));
  out(
    table(
      [
        "query",
        "requests",
        "card",
        "list",
        "no match",
        "deferred",
        "timed out",
        "server p50 ms",
        "server p99 ms",
        "answer p99 ms",
        "lookup alone ms in statements (EXPLAIN ANALYZE)",
      ],
      byKind,
      ["left", "right", "right", "right", "right", "right", "right", "right", "right", "right", "left"],
    ),
  );
  if (s.explain) {
    for (const p of plans)
      out(`\nEXPLAIN ANALYZE, ${p.query.kind} ${JSON.stringify(p.query.text)}:\n${p.plan.join("\n")}`);
  }
}

function share(outcomes: readonly Outcome[], outcome: Outcome): string {
  const n = outcomes.filter((o) => o === outcome).length;
  return outcomes.length === 0 ? "–" : `${((100 * n) / outcomes.length).toFixed(0)}%`;
}
