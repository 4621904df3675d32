// `/css plays`: the active playbook's plays in words, what each fired in the last 7 local days, and
// for admins a preview of what each would fire for now (the latest run's decided fires, before the
// guards). A view model only; slack/blocks/plays.ts turns it into a message.
import { activePlaybook } from "../../db/repositories/playbooks.ts";
import { dateToDay, formatDay, type Day } from "../../domain/dates.ts";
import { playLabel } from "../../domain/plays/case-plays.ts";
import {
  describeAction,
  describeConditions,
  describeGuards,
  describeTrigger,
} from "../../domain/plays/describe-playbook.ts";
import { triggerKind, type Action, type Playbook } from "../../domain/plays/schema.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";
import type { Clients } from "../../db/handle.ts";
import { decideFires } from "./fire-plays.ts";

/** How many days back the fire counts reach, today included. */
export const FIRE_WINDOW_DAYS = 7;
/** How many accounts the preview names per play. */
export const PREVIEW_NAMES = 5;

export interface ListedPlay {
  key: string;
  label: string;
  when: string;
  conditions: string;
  actions: string[];
  guards: string;
  /** Fires in the window that went out or will (not capped), and the accounts they were for. */
  fires: number;
  accounts: number;
  /** Fires the daily cap held back (told in the day's summary instead). */
  capped: number;
  /** Admins only: null when not asked for, or for a play the preview cannot run (connector_failed). */
  preview: PlayPreview | null;
}

export interface PlayPreview {
  /** Accounts the play's trigger and conditions select after the latest run. */
  accounts: number;
  /** The first of them by MRR (the figure itself is not part of the view). */
  names: string[];
}

export interface PlaysView {
  playbook: { name: string; version: number; isDefault: boolean };
  /** The first day counted (the window is `from` .. `today`). */
  from: Day;
  today: Day;
  plays: ListedPlay[];
  /** Asked for and possible: the day of the run previewed; null with `preview: true` when no run has succeeded. */
  previewRun: { asOf: Day } | null;
  previewAsked: boolean;
  /** Slack could not say whether the user may see the preview: the list is shown without it. */
  previewUnavailable?: boolean;
}

export async function listPlays(
  db: Clients,
  workspaceId: number,
  options: { today: Day; preview: boolean },
): Promise<PlaysView> {
  const { prisma } = db;
  const active = await activePlaybook(prisma, workspaceId);
  const from = options.today - (FIRE_WINDOW_DAYS - 1);
  const counts = await fireCounts(prisma, workspaceId, from, options.today);
  const preview = options.preview ? await previewFires(db, workspaceId, active) : null;
  return {
    playbook: { name: active.playbook.name, version: active.version, isDefault: active.isDefault },
    from,
    today: options.today,
    plays: active.playbook.plays.map((play) => ({
      key: play.key,
      label: playLabel(play),
      when: describeTrigger(play.trigger),
      conditions: describeConditions(play.when),
      actions: play.actions.map(describeSlackAction),
      guards: describeGuards(play),
      fires: counts.get(play.key)?.fires ?? 0,
      accounts: counts.get(play.key)?.accounts ?? 0,
      capped: counts.get(play.key)?.capped ?? 0,
      preview: preview?.plays.get(play.key) ?? null,
    })),
    previewRun: preview?.asOf === undefined ? null : { asOf: preview.asOf },
    previewAsked: options.preview,
  };
}

// Every member sees this list, and a webhook's URL often carries its secret in the path: its host only.
function describeSlackAction(action: Action): string {
  if ("webhook" in action) return `call a webhook at ${new URL(action.webhook.url).host}`;
  return describeAction(action);
}

interface FireCount {
  fires: number;
  accounts: number;
  capped: number;
}

/**
 * Per play key, its fires from `from` to `today` (local days); the cap summaries' own rows are not
 * fires, and a day's capped accounts (one row, fire-plays.ts) count one each.
 */
async function fireCounts(
  prisma: PrismaClient,
  workspaceId: number,
  from: Day,
  today: Day,
): Promise<Map<string, FireCount>> {
  const rows = await prisma.$queryRawUnsafe<
    { play_key: string; fires: number; accounts: number; capped: number }[]
  >(
    `SELECT play_key,
            count(*) FILTER (WHERE status <> 'capped')::int AS fires,
            count(DISTINCT account_id) FILTER (WHERE status <> 'capped')::int AS accounts,
            coalesce(sum(jsonb_array_length(trigger->'accounts')) FILTER (WHERE subject = 'capped'), 0)::int
              AS capped
     FROM play_fires
     WHERE workspace_id = $1 AND subject <> 'summary' AND local_date BETWEEN $2::date AND $3::date
     GROUP BY play_key`,
    workspaceId,
    formatDay(from),
    formatDay(today),
  );
  return new Map(rows.map((r) => [r.play_key, { fires: r.fires, accounts: r.accounts, capped: r.capped }]));
}

/**
 * What each account play would fire for after the workspace's latest succeeded run: its conditions
 * and trigger only (decideFires), so cooldowns, daily caps and quiet hours still apply on top.
 */
async function previewFires(
  db: Clients,
  workspaceId: number,
  active: { id: number | null; playbook: Playbook },
): Promise<{ asOf?: Day; plays: Map<string, PlayPreview> }> {
  const { prisma } = db;
  const { playbook } = active;
  const run = await prisma.recomputeRun.findFirst({
    where: { workspaceId, status: "succeeded" },
    orderBy: [{ asOf: "desc" }, { startedAt: "desc" }],
    select: { id: true, asOf: true },
  });
  if (!run) return { plays: new Map() };
  const asOf = dateToDay(run.asOf);
  const { decided } = await decideFires(db, workspaceId, active, run.id, asOf);
  const ids = [...new Set(decided.map((d) => d.accountId))];
  const ranked = await prisma.$queryRawUnsafe<{ id: number; name: string }[]>(
    `SELECT id, name FROM accounts WHERE workspace_id = $1 AND id = ANY($2::int[])
     ORDER BY mrr DESC NULLS LAST, id`,
    workspaceId,
    ids,
  );
  const rank = new Map(ranked.map((r, i) => [r.id, i]));
  const plays = new Map<string, PlayPreview>();
  for (const play of playbook.plays) {
    if (triggerKind(play.trigger) === "connector_failed") continue;
    const accounts = [
      ...new Set(decided.filter((d) => d.play.key === play.key).map((d) => d.accountId)),
    ].sort((a, b) => (rank.get(a) ?? Infinity) - (rank.get(b) ?? Infinity));
    plays.set(play.key, {
      accounts: accounts.length,
      names: accounts.slice(0, PREVIEW_NAMES).flatMap((id) => {
        const i = rank.get(id);
        return i === undefined ? [] : [ranked[i]!.name];
      }),
    });
  }
  return { asOf, plays };
}
