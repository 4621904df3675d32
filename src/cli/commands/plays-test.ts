// css-bot plays test [FILE] --from D1 --to D2 [--json] [--churn-days N]: a playbook replayed over the
// workspace's stored history, posting nothing (services/plays/test-playbook.ts).
import type { Command } from "commander";
import { formatDay, parseDay, type Day } from "../../domain/dates.ts";
import { activePlaybook } from "../../db/repositories/playbooks.ts";
import type { ReplayDetail } from "../../domain/plays/replay.ts";
import { testPlaybook } from "../../services/plays/test-playbook.ts";
import type { CliContext } from "../context.ts";
import { UsageError } from "../errors.ts";
import { numberOption } from "../options.ts";
import { fmtPercent, table } from "../output/format.ts";
import { readPlaybookFile, refuseModelMismatches } from "../read-playbook-file.ts";
import { findActiveModel } from "../../db/repositories/models.ts";
import { DEFAULT_MODEL } from "../../domain/model/default-model.ts";
import { withWorkspace } from "../workspace.ts";

/** The longest range one test replays (a year of days). */
const MAX_DAYS = 366;

interface TestOptions {
  from?: string;
  to?: string;
  json?: boolean;
  churnDays: string;
}

export function registerPlaysTest(plays: Command, ctx: CliContext): void {
  plays
    .command("test")
    .description("replay a playbook (the active one without FILE) over stored history, posting nothing")
    .argument("[file]", "playbook file (YAML or JSON); default: the workspace's active playbook")
    .requiredOption("--from <date>", "first day replayed (YYYY-MM-DD)")
    .requiredOption("--to <date>", "last day replayed (YYYY-MM-DD)")
    .option("--churn-days <n>", "a fire warned when its account churned within this many days", "90")
    .option("--json", "print the report as JSON")
    .action(async (file: string | undefined, opts: TestOptions, command: Command) => {
      const from = dayOption("--from", opts.from);
      const to = dayOption("--to", opts.to);
      if (to < from) throw new UsageError(`--to (${formatDay(to)}) is before --from (${formatDay(from)})`);
      if (to - from + 1 > MAX_DAYS)
        throw new UsageError(
          `--from to --to spans ${to - from + 1} days; replay at most ${MAX_DAYS} at once`,
        );
      const churnWithinDays = numberOption("--churn-days", opts.churnDays, 1, 3650);
      const read = file ? await readPlaybookFile(file) : null;
      const detail = await withWorkspace(ctx, command, { create: false }, async (db, workspace) => {
        const playbook = read ? read.playbook : (await activePlaybook(db.prisma, workspace.id)).playbook;
        if (read)
          refuseModelMismatches(
            read,
            (await findActiveModel(db.prisma, workspace.id))?.model ?? DEFAULT_MODEL,
          );
        return testPlaybook(db.prisma, workspace.id, playbook, {
          from,
          to,
          churnWithinDays: Math.round(churnWithinDays),
        });
      });
      ctx.io.stdout.write(
        opts.json ? `${JSON.stringify(detail.report, null, 2)}\n` : describe(detail, churnWithinDays),
      );
    });
}

function dayOption(name: string, value: string | undefined): Day {
  const day = value !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(value) ? parseDay(value) : null;
  if (day === null) throw new UsageError(`${name} must be a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return day;
}

/** The text report: per play, then per day. */
function describe(detail: ReplayDetail, churnDays: number): string {
  const { report, peoplePerDay, held } = detail;
  const plays = table(
    ["play", "fires", "accounts", "cooled", "capped", `precision (${churnDays} d)`, "median lead"],
    report.plays.map((p) => [
      p.key,
      p.fires,
      p.accounts,
      held[p.key]?.cooled ?? 0,
      held[p.key]?.capped ?? 0,
      p.precision === null ? "–" : fmtPercent(p.precision),
      p.median_lead_days === null ? "–" : `${p.median_lead_days} d`,
    ]),
    ["left", "right", "right", "right", "right", "right", "right"],
  );
  const days = Object.keys(report.messages_per_day);
  const perDay = table(
    ["day", ...report.plays.map((p) => p.key), "messages", "people DMed"],
    days.map((d) => [
      d,
      ...report.plays.map((p) => p.per_day[d] ?? 0),
      report.messages_per_day[d] ?? 0,
      peoplePerDay[d] ?? 0,
    ]),
    ["left", ...report.plays.map(() => "right" as const), "right", "right"],
  );
  const total = Object.values(report.messages_per_day).reduce((a, b) => a + b, 0);
  const noChurn = report.plays.every((p) => p.precision === null)
    ? "No account of this workspace has churned: precision and lead time need known churn (status churned with churned_at).\n"
    : "";
  return (
    `Playbook replayed from ${report.from} to ${report.to}, nothing posted: ${total} messages in ${days.length} days ` +
    `(${(total / Math.max(1, days.length)).toFixed(1)} a day).\n\n${plays}\n${noChurn}\n${perDay}\n`
  );
}
