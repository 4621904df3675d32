// css-bot runs: recent recompute runs, and (--failed) the failed jobs on the queues.
import type { Command } from "commander";
import { formatDay, dateToDay } from "../../domain/dates.ts";
import { openQueues, QUEUE_KINDS } from "../../jobs/queues.ts";
import { checkRedis } from "../../jobs/redis.ts";
import type { CliContext } from "../context.ts";
import { numberOption } from "../options.ts";
import { table } from "../output/format.ts";
import { withWorkspace } from "../workspace.ts";

export function registerRuns(program: Command, ctx: CliContext): void {
  program
    .command("runs")
    .description("list recent recompute runs: status, duration, accounts scored, errors and band changes")
    .option("--limit <n>", "how many runs", "20")
    .option("--failed", "list the failed jobs on the queues instead (needs Redis)")
    .option("--json", "print JSON")
    .action(async (opts: { limit: string; failed?: boolean; json?: boolean }, command: Command) => {
      const limit = numberOption("--limit", opts.limit, 1, 1000);
      if (opts.failed) return listFailedJobs(ctx, limit, opts.json ?? false);
      const runs = await withWorkspace(ctx, command, { create: false }, (db, workspace) =>
        db.prisma.recomputeRun.findMany({
          where: { workspaceId: workspace.id },
          orderBy: { startedAt: "desc" },
          take: limit,
        }),
      );
      const rows = runs.map((r) => ({
        id: r.id.toString(),
        slot: r.slot,
        as_of: formatDay(dateToDay(r.asOf)),
        status: r.status,
        trigger: r.trigger,
        started_at: r.startedAt.toISOString(),
        duration_ms: r.finishedAt ? r.finishedAt.getTime() - r.startedAt.getTime() : null,
        shards: r.shards,
        accounts: r.accounts,
        scored: r.scored,
        insufficient_data: r.insufficientData,
        band_changes: r.bandChanges,
        errors: Array.isArray(r.errors) ? r.errors.length : 0,
        error: r.error,
      }));
      if (opts.json) {
        ctx.io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (rows.length === 0) {
        ctx.io.stdout.write("no runs yet\n");
        return;
      }
      ctx.io.stdout.write(
        `${table(
          [
            "run",
            "as of",
            "status",
            "trigger",
            "started",
            "duration",
            "accounts",
            "scored",
            "no data",
            "band changes",
            "errors",
          ],
          rows.map((r) => [
            r.id,
            r.as_of,
            r.status,
            r.trigger,
            r.started_at.slice(0, 19).replace("T", " "),
            r.duration_ms === null ? "–" : `${(r.duration_ms / 1000).toFixed(1)}s`,
            r.accounts,
            r.scored,
            r.insufficient_data,
            r.band_changes,
            r.error ? `${r.errors} (${r.error.slice(0, 40)})` : r.errors,
          ]),
        )}\n`,
      );
    });
}

async function listFailedJobs(ctx: CliContext, limit: number, json: boolean): Promise<void> {
  await checkRedis(ctx.config.redisUrl);
  const queues = openQueues(ctx.config.redisUrl, ctx.config.queuePrefix);
  try {
    const failed = [];
    for (const kind of QUEUE_KINDS) {
      for (const job of await queues.queue[kind].getFailed(0, limit - 1)) {
        failed.push({
          queue: kind,
          name: job.name,
          id: job.id ?? "",
          attempts: job.attemptsMade,
          failed_at: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
          reason: job.failedReason,
          data: job.data as unknown,
        });
      }
    }
    if (json) ctx.io.stdout.write(`${JSON.stringify(failed, null, 2)}\n`);
    else if (failed.length === 0) ctx.io.stdout.write("no failed jobs\n");
    else
      ctx.io.stdout.write(
        `${table(
          ["queue", "job", "id", "attempts", "failed at", "reason"],
          failed.map((f) => [
            f.queue,
            f.name,
            f.id,
            f.attempts,
            f.failed_at ?? "–",
            (f.reason ?? "").slice(0, 80),
          ]),
        )}\n`,
      );
  } finally {
    await queues.close();
  }
}
