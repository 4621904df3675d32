// css-bot timeline ACCOUNT: the account's band changes, case events, plays, survey comments and
// notes, newest first (services/timeline.ts), as a table or as JSON.
import type { Command } from "commander";
import { resolveAccount } from "../../services/explain-account.ts";
import { MAX_TIMELINE_LIMIT, readTimeline, type TimelineEntry } from "../../services/timeline.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { numberOption } from "../options.ts";
import { table } from "../output/format.ts";
import { withWorkspace } from "../workspace.ts";

const DEFAULT_LIMIT = 50;

export function registerTimeline(program: Command, ctx: CliContext): void {
  program
    .command("timeline")
    .description(
      "list an account's band changes, case events, plays, survey comments and notes, newest first",
    )
    .argument("<account>", "account id, name or domain")
    .option(
      "--limit <n>",
      `how many entries, newest first (1 to ${MAX_TIMELINE_LIMIT})`,
      String(DEFAULT_LIMIT),
    )
    .option(
      "--json",
      'print { "account": { "id", "name" }, "entries": [{ "at", "kind", "text", "actor", "details" }] }',
    )
    .action(async (query: string, opts: { limit: string; json?: boolean }, command: Command) => {
      const limit = numberOption("--limit", opts.limit, 1, MAX_TIMELINE_LIMIT);
      if (!Number.isInteger(limit)) throw new UsageError("--limit must be a whole number");
      const { account, entries } = await withWorkspace(
        ctx,
        command,
        { create: false },
        async (db, workspace) => {
          const account = await resolveAccount(db.sql, workspace.id, query);
          return { account, entries: await readTimeline(db.prisma, workspace.id, account.id, { limit }) };
        },
      );
      ctx.io.stdout.write(
        opts.json
          ? `${JSON.stringify({ account: { id: account.externalId, name: account.name }, entries }, null, 2)}\n`
          : timelineText(`${account.name} (${account.externalId})`, entries),
      );
    });
}

function timelineText(title: string, entries: readonly TimelineEntry[]): string {
  if (entries.length === 0) return `${title}: nothing on the timeline yet.\n`;
  // A note's line breaks would break the table's rows: one line per entry.
  const rows = entries.map((e) => [
    e.at.slice(0, 16).replace("T", " "),
    e.kind,
    e.text.replace(/\s*\n\s*/g, " / "),
    e.actor ?? "",
  ]);
  return `${title}, newest first (UTC)\n${table(["date", "kind", "text", "by"], rows)}\n`;
}
