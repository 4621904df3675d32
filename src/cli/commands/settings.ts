// css-bot settings show|set: a workspace's time zone, recompute schedule and digest time.
import type { Command } from "commander";
import type { WorkspaceSettings } from "../../config/workspace-settings.ts";
import { readSettings } from "../../config/workspace-settings.ts";
import { nextFireTimes } from "../../domain/schedule/cron.ts";
import { settingsChanged } from "../../jobs/settings-changed.ts";
import { updateSettings } from "../../services/workspace-settings.ts";
import { SecretBox } from "../../security/secret-box.ts";
import { slackForCommand } from "../../slack/access.ts";
import { checkChannels } from "../check-channels.ts";
import { resolveCaseActors } from "../check-user-group.ts";
import type { CliContext } from "../context.ts";
import { describeSourcePrecedence, editSourcePrecedence } from "../source-precedence-option.ts";
import { UsageError } from "../errors.ts";
import { ifQueuesReachable } from "../queues.ts";
import { withWorkspace } from "../workspace.ts";

interface SetOptions {
  timezone?: string;
  recomputeCron?: string;
  digestTime?: string;
  digestDays?: string;
  digestChannel?: string;
  alertChannel?: string;
  escalationLead?: string;
  escalateAfter?: string;
  reopenPoints?: string;
  caseThreadsPerDay?: string;
  caseActors?: string;
  sourcePrecedence?: string[];
}

export function registerSettings(program: Command, ctx: CliContext): void {
  const settings = program
    .command("settings")
    .description("a workspace's time zone, recompute schedule and digest time");

  settings
    .command("show")
    .description("print the settings and the next recompute times")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }, command: Command) => {
      const current = await withWorkspace(ctx, command, { create: false }, (_db, workspace) =>
        Promise.resolve(readSettings(workspace.settings)),
      );
      ctx.io.stdout.write(opts.json ? `${JSON.stringify(current, null, 2)}\n` : describe(current));
    });

  settings
    .command("set")
    .description(
      "change settings; the recompute schedule moves at once (or when a worker next syncs, within 5 minutes)",
    )
    .option("--timezone <zone>", "IANA time zone, e.g. Europe/Paris")
    .option(
      "--recompute-cron <pattern>",
      'when to recompute: a 5-field cron pattern, e.g. "0 * * * *" (hourly)',
    )
    .option("--digest-time <HH:MM>", "local time of the daily digest")
    .option("--digest-days <days>", "digest days, 1 = Monday ... 7 = Sunday: e.g. 1-5 or 1,3,5")
    .option("--digest-channel <id>", 'Slack channel id of the daily digest ("none" to stop it)')
    .option("--alert-channel <id>", 'Slack channel id for at-risk threads ("none" to stop them)')
    .option("--escalation-lead <id>", 'Slack user id mentioned on unclaimed cases ("none" for nobody)')
    .option("--escalate-after <days>", "business days before an unclaimed at-risk case is escalated")
    .option(
      "--reopen-points <points>",
      "points a snoozed or resolved case's account must fall further to alert again (default 10)",
    )
    .option(
      "--case-actors <who>",
      'who may assign, snooze and resolve cases: "members" (not guests; default), "owner_and_leads", ' +
        "or a user group's members: its @handle or id (S0123ABCD)",
    )
    .option(
      "--case-threads-per-day <n>",
      "at most this many at-risk threads a day; the rest wait, highest MRR first (default 25)",
    )
    .option(
      "--source-precedence <order>",
      'whose metric value stands when sources write the same day, first wins: "connector:sql,api,import,track" ' +
        'for the workspace, "<metric>=api,track" for one metric, "default" or "<metric>=default" to reset; repeatable',
      (item: string, items: string[] = []) => [...items, item],
    )
    .action(async (opts: SetOptions, command: Command) => {
      const changes: Partial<WorkspaceSettings> = {
        ...(opts.timezone !== undefined ? { timezone: opts.timezone } : {}),
        ...(opts.recomputeCron !== undefined ? { recompute_cron: opts.recomputeCron } : {}),
        ...(opts.digestTime !== undefined ? { digest_time: opts.digestTime } : {}),
        ...(opts.digestDays !== undefined ? { digest_days: parseDays(opts.digestDays) } : {}),
        ...(opts.digestChannel !== undefined ? { digest_channel: noneAsNull(opts.digestChannel) } : {}),
        ...(opts.alertChannel !== undefined ? { alert_channel: noneAsNull(opts.alertChannel) } : {}),
        ...(opts.escalationLead !== undefined ? { escalation_lead: noneAsNull(opts.escalationLead) } : {}),
        ...(opts.escalateAfter !== undefined
          ? { escalate_after_business_days: Number(opts.escalateAfter) }
          : {}),
        ...(opts.reopenPoints !== undefined ? { reopen_points: Number(opts.reopenPoints) } : {}),
        ...(opts.caseActors !== undefined
          ? { case_actors: opts.caseActors as WorkspaceSettings["case_actors"] }
          : {}),
        ...(opts.caseThreadsPerDay !== undefined
          ? { case_threads_per_day: Number(opts.caseThreadsPerDay) }
          : {}),
      };
      if (Object.keys(changes).length === 0 && opts.sourcePrecedence === undefined)
        throw new UsageError("settings set: name at least one setting (see --help)");
      const { updated, moved, warnings } = await withWorkspace(
        ctx,
        command,
        { create: true },
        async (db, workspace) => {
          // Edits of the stored precedence (one metric's order leaves the others as they are).
          if (opts.sourcePrecedence !== undefined)
            changes.source_precedence = editSourcePrecedence(
              readSettings(workspace.settings).source_precedence,
              opts.sourcePrecedence,
            );
          const box = ctx.config.encryptionKey ? new SecretBox(ctx.config.encryptionKey) : null;
          const slack = await slackForCommand({
            config: ctx.config.slack,
            prisma: db.prisma,
            box,
            workspace,
          });
          const warnings = await checkChannels(slack, changes);
          if (changes.case_actors !== undefined) {
            const actors = await resolveCaseActors(slack, changes.case_actors);
            changes.case_actors = actors.value as WorkspaceSettings["case_actors"];
            warnings.push(...actors.warnings);
          }
          const updated = await updateSettings(db.prisma, workspace.id, changes, "cli");
          return { updated, moved: await moveSchedule(ctx, workspace.id, updated), warnings };
        },
      );
      ctx.io.stdout.write(describe(updated));
      for (const warning of warnings) ctx.io.stderr.write(`warning: ${warning}\n`);
      ctx.io.stdout.write(
        moved
          ? "the recompute schedule has moved\n"
          : "Redis is not reachable: the workers will move the schedule when they next sync (within 5 minutes)\n",
      );
    });
}

function noneAsNull(value: string): string | null {
  return value.trim().toLowerCase() === "none" ? null : value.trim();
}

async function moveSchedule(
  ctx: CliContext,
  workspaceId: number,
  settings: WorkspaceSettings,
): Promise<boolean> {
  return ifQueuesReachable(ctx, (queues) => settingsChanged(queues, workspaceId, settings));
}

function parseDays(text: string): number[] {
  const days = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^\s*([1-7])\s*(?:-\s*([1-7])\s*)?$/.exec(part);
    if (!m)
      throw new UsageError(
        `--digest-days: ${JSON.stringify(part.trim())} is not a day 1-7 or a range like 1-5`,
      );
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new UsageError(`--digest-days: range ${part.trim()} runs backwards`);
    for (let d = from; d <= to; d++) days.add(d);
  }
  return [...days].sort((a, b) => a - b);
}

const DAY_NAMES = ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function describe(s: WorkspaceSettings): string {
  const fmt = new Intl.DateTimeFormat("en-GB", {
    timeZone: s.timezone,
    dateStyle: "medium",
    timeStyle: "short",
  });
  const next = nextFireTimes(s.recompute_cron, s.timezone, new Date(), 3).map((d) => fmt.format(d));
  return [
    `timezone        ${s.timezone}`,
    `recompute_cron  ${s.recompute_cron}   (next: ${next.join(", ")})`,
    `digest_time     ${s.digest_time}`,
    `digest_days     ${s.digest_days.map((d) => DAY_NAMES[d]).join(", ")}`,
    `digest_channel  ${s.digest_channel ?? "none"}`,
    `alert_channel   ${s.alert_channel ?? "none"}`,
    `escalation_lead ${s.escalation_lead ?? "none"}   (after ${s.escalate_after_business_days} business days unclaimed)`,
    `reopen_points   ${s.reopen_points}   (a snoozed or resolved case alerts again after a further fall of this much)`,
    `case_threads_per_day ${s.case_threads_per_day}`,
    `case_actors     ${s.case_actors}`,
    ...describeSourcePrecedence(s.source_precedence),
    "",
  ].join("\n");
}
