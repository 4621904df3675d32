// css-bot recompute: scores every account in the database with the active model.
import type { Command } from "commander";
import { formatDay } from "../../domain/dates.ts";
import { recomputeTick } from "../../jobs/definitions/recompute-tick.ts";
import { enqueue } from "../../jobs/enqueue.ts";
import { notifyBandChanges, notifyJobId } from "../../jobs/definitions/notify-band-changes.ts";
import type { Database } from "../../db/client.ts";
import { recomputeWorkspace } from "../../services/recompute.ts";
import type { CliContext } from "../context.ts";
import { asOfOption } from "../options.ts";
import { ifQueuesReachable, withQueues } from "../queues.ts";
import { withWorkspace } from "../workspace.ts";

export function registerRecompute(program: Command, ctx: CliContext): void {
  program
    .command("recompute")
    .description("score every active account with the active model; store snapshots and band changes")
    .option(
      "--as-of <date>",
      "score as of this date, YYYY-MM-DD (default: today, UTC); recomputing a date replaces its snapshots",
    )
    .option("--json", "print { as_of, accounts, scored, insufficient_data, band_changes, errors }")
    .option(
      "--queue",
      "run it on the workers (css-bot worker) instead of in this process, and return at once",
    )
    .action(async (opts: { asOf?: string; json?: boolean; queue?: boolean }, command: Command) => {
      const asOf = asOfOption(opts.asOf);
      if (opts.queue) {
        const slot = `manual-${formatDay(asOf)}-${Date.now()}`;
        const jobId = await withWorkspace(ctx, command, { create: false }, async (_db, workspace) => {
          return withQueues(ctx, (queues) =>
            enqueue(
              queues,
              recomputeTick,
              { workspaceId: workspace.id, slot, asOf, trigger: "manual" },
              `tick-${workspace.id}-${slot}`,
            ),
          );
        });
        ctx.io.stdout.write(
          opts.json
            ? `${JSON.stringify({ queued: jobId, slot })}\n`
            : `queued ${jobId}; follow it with \`css-bot runs\`\n`,
        );
        return;
      }
      const {
        runId: _runId,
        notified,
        ...summary
      } = await withWorkspace(ctx, command, { create: false }, async (db, workspace) => {
        const result = await recomputeWorkspace(db, workspace.id, asOf, { trigger: "cli" });
        return { ...result, notified: await handOverBandChanges(ctx, db, workspace.id, result.runId) };
      });
      if (!notified) {
        ctx.io.stderr.write(
          "Redis is not reachable: this run's band changes reach Slack with the next scheduled run\n",
        );
      }
      if (opts.json) {
        ctx.io.stdout.write(`${JSON.stringify(summary)}\n`);
        return;
      }
      ctx.io.stdout.write(
        `recomputed ${summary.accounts} accounts as of ${summary.as_of}: ${summary.scored} scored, ` +
          `${summary.insufficient_data} with insufficient data, ${summary.band_changes} band changes, ${summary.errors.length} errors\n`,
      );
      for (const e of summary.errors) ctx.io.stderr.write(`  ${e.account_id}: ${e.error}\n`);
    });
}

/**
 * Hands the run's band changes to the notifications queue, as a scheduled run's finalizer does, so
 * a recompute typed by hand alerts the same way (a worker with Slack posts them). False when Redis
 * cannot be reached.
 */
async function handOverBandChanges(
  ctx: CliContext,
  db: Pick<Database, "prisma">,
  workspaceId: number,
  runId: bigint,
): Promise<boolean> {
  const run = await db.prisma.recomputeRun.findUniqueOrThrow({ where: { id: runId } });
  return ifQueuesReachable(ctx, (queues) =>
    enqueue(queues, notifyBandChanges, { workspaceId, runId: runId.toString() }, notifyJobId(run)),
  );
}
