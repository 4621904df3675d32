// css-bot plays deliveries: the delivery log of plays' webhook calls, newest first.
import type { Command } from "commander";
import { listDeliveries } from "../../services/plays/webhooks.ts";
import type { CliContext } from "../context.ts";
import { numberOption } from "../options.ts";
import { table } from "../output/format.ts";
import { withWorkspace } from "../workspace.ts";

/** Adds `deliveries` under the `plays` command. */
export function registerPlaysDeliveries(plays: Command, ctx: CliContext): void {
  plays
    .command("deliveries")
    .description("the webhook calls plays made: status, tries, the last answer or error")
    .option("--limit <n>", "how many, newest first", "50")
    .option("--json", "print JSON")
    .action(async (opts: { limit: string; json?: boolean }, command: Command) => {
      const limit = numberOption("--limit", opts.limit, 1, 10_000);
      const entries = await withWorkspace(ctx, command, { create: false }, (db, ws) =>
        listDeliveries(db.prisma, ws.id, limit),
      );
      const rows = entries.map((e) => ({
        id: e.id,
        url: e.target,
        status: e.status,
        attempts: e.attempts,
        last_status: e.lastStatus,
        last_error: e.lastError,
        created_at: e.createdAt.toISOString(),
        delivered_at: e.deliveredAt?.toISOString() ?? null,
        next_attempt_at: e.nextAttemptAt?.toISOString() ?? null,
      }));
      if (opts.json) {
        ctx.io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (rows.length === 0) {
        ctx.io.stdout.write("no webhook calls yet\n");
        return;
      }
      const time = (iso: string | null) => (iso ? iso.slice(0, 19).replace("T", " ") : "–");
      ctx.io.stdout.write(
        `${table(
          ["id", "url", "status", "tries", "last answer", "created", "delivered / next try"],
          rows.map((r) => [
            r.id,
            r.url,
            r.status,
            r.attempts,
            // The error names the status when there is one ("HTTP 500: ..."); a 2xx has only its status.
            r.last_error?.slice(0, 60) ?? r.last_status ?? "–",
            time(r.created_at),
            r.status === "pending" ? `next ${time(r.next_attempt_at)}` : time(r.delivered_at),
          ]),
        )}\n`,
      );
    });
}
