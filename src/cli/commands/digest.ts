// css-bot digest --preview: what the daily digest would post, without posting or marking anything.
// css-bot digest --now: has the workers post the day's digest now (once per channel and day, as ever).
import { rename, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { readSettings } from "../../config/workspace-settings.ts";
import { bandMixChart } from "../../services/band-mix-chart.ts";
import { workspaceToday } from "../../slack/workspace-today.ts";
import { buildDigest } from "../../services/build-digest.ts";
import { digestMessages, digestPreview } from "../../slack/blocks/digest.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { formatDay, parseDay } from "../../domain/dates.ts";
import { digestTick } from "../../jobs/definitions/digest-tick.ts";
import { enqueue } from "../../jobs/enqueue.ts";
import { withQueues } from "../queues.ts";
import { withWorkspace } from "../workspace.ts";

export function registerDigest(program: Command, ctx: CliContext): void {
  program
    .command("digest")
    .description("preview the daily digest: what it would post today (or --date), without posting")
    .option("--preview", "print the digest instead of posting it (the workers post it at the digest time)")
    .option("--now", "have the workers post the day's digest now, not at the digest time (once a day still)")
    .option("--date <date>", "the local day of the digest (default: today in the workspace's time zone)")
    .option("--json", "print the Slack messages (text and blocks) as JSON")
    .option("--chart <file>", "also write the band-mix chart the digest uploads (PNG; .svg for the SVG)")
    .action(
      async (
        opts: { preview?: boolean; now?: boolean; date?: string; json?: boolean; chart?: string },
        command: Command,
      ) => {
        if (opts.now && !opts.preview) {
          const queued = await withWorkspace(ctx, command, { create: false }, async (_db, workspace) => {
            const day = opts.date === undefined ? workspaceToday(workspace) : dateOption(opts.date);
            const jobId = `digest-${workspace.id}-${formatDay(day)}-${Date.now().toString(36)}`;
            return withQueues(ctx, (queues) =>
              enqueue(queues, digestTick, { workspaceId: workspace.id, localDate: day }, jobId),
            );
          });
          ctx.io.stdout.write(
            opts.json
              ? `${JSON.stringify({ queued })}\n`
              : `queued ${queued}: a worker with Slack posts the digest, once per channel and day\n`,
          );
          return;
        }
        if (!opts.preview) {
          throw new UsageError(
            "digest: say --preview (print it) or --now (post it now); the workers post it at the workspace's digest time",
          );
        }
        const messages = await withWorkspace(ctx, command, { create: false }, async (db, workspace) => {
          const day = opts.date === undefined ? workspaceToday(workspace) : dateOption(opts.date);
          if (opts.chart !== undefined) {
            const chart = await bandMixChart(db.prisma, workspace.id, day);
            // Written whole or not at all: a half-written image is worse than none.
            const temporary = `${opts.chart}.${process.pid}.tmp`;
            await writeFile(temporary, opts.chart.toLowerCase().endsWith(".svg") ? chart.svg : chart.png);
            await rename(temporary, opts.chart);
            ctx.io.stderr.write(`chart written to ${opts.chart}: ${chart.summary}\n`);
          }
          // As the workers would post it: to the digest channel, whose first digest lists less.
          const channel = readSettings(workspace.settings).digest_channel;
          return digestMessages(await buildDigest(db.prisma, workspace.id, day, channel));
        });
        ctx.io.stdout.write(opts.json ? `${JSON.stringify(messages, null, 2)}\n` : digestPreview(messages));
      },
    );
}

function dateOption(value: string): number {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value) ? parseDay(value) : null;
  if (day === null) throw new UsageError(`--date must be a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return day;
}
