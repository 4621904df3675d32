// The account card of `/css <account>`: pure, view model in, message out.
//
// Revenue (MRR) appears only in the private version. The shared version, posted in a channel by
// "Share in channel", is built by the same function with `revenue: false`, so nothing can be
// forgotten on the way: there is no MRR field and no renewal amount to leak.
import type { types } from "@slack/bolt";
import { formatDay } from "../../domain/dates.ts";
import { describeBands } from "../../domain/scoring/bands.ts";
import { scoreMove } from "../../domain/scoring/score-move.ts";
import type { AccountCard, BandTone } from "../../services/account-card.ts";
import { ACTIONS, encodeAccountValue } from "../ids.ts";
import { sparkline } from "./sparkline.ts";
import { latestEntriesBlock } from "./timeline.ts";
import { esc, escCode, escCut, link, mentionUser, truncate } from "./text.ts";

export interface SlackMessage {
  text: string;
  blocks: types.KnownBlock[];
}

export const TONE_EMOJI: Record<BandTone, string> = {
  good: ":large_green_circle:",
  warn: ":large_yellow_circle:",
  bad: ":red_circle:",
  none: ":white_circle:",
};

const SECTION_TEXT = 3000;

export function formatScore(score: number | null): string {
  return score === null ? "n/a" : String(Math.round(score));
}

const WHOLE_DOLLARS = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export function formatMrr(mrr: number): string {
  return `${WHOLE_DOLLARS.format(mrr)}/mo`;
}

/** A permalink to a message: Slack redirects /archives links to the message in any client. */
export function threadLink(channelId: string, ts: string): string {
  return `https://slack.com/archives/${channelId}/p${ts.replace(".", "")}`;
}

export function accountCardMessage(
  card: AccountCard,
  options: { revenue: boolean; today: number; sharedBy?: string },
): SlackMessage {
  const { account, current } = card;
  const name = escCut(account.name, 140);
  const blocks: types.KnownBlock[] = [];
  const headline = current
    ? `${TONE_EMOJI[current.tone]} *${name}* · *${formatScore(current.score)}* ${esc(current.bandLabel)}`
    : `${TONE_EMOJI.none} *${name}* · not scored yet`;
  blocks.push({ type: "section", text: { type: "mrkdwn", text: headline } });

  const context: string[] = [`\`${escCut(account.externalId, 80, escCode)}\``];
  if (account.domain) context.push(escCut(account.domain, 80));
  if (current) context.push(`as of ${formatDay(current.asOf)}`);
  // A segment's own bands: "82, caution" is right for enterprise (healthy from 85) and looks
  // wrong without them.
  if (current?.segmentBands) {
    context.push(
      `${escCut(current.segmentBands.segment, 60)} bands: ${esc(describeBands(current.segmentBands.bands))}`,
    );
  }
  if (account.status !== "active") context.push(`*${esc(account.status)}*`);
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: context.join(" · ") }] });

  if (current) {
    const trend = sparkline(card.trend.map((p) => p.score));
    const lines: string[] = [];
    if (trend) lines.push(`*30 days* \`${trend}\``);
    const week = card.sinceLastWeek;
    if (week) {
      const moved =
        week.score !== null && current.score !== null
          ? ` (${scoreMove(week.score, current.score).delta})`
          : "";
      lines.push(`*Since ${formatDay(week.asOf)}*${moved}: ${esc(week.summary)}`);
    } else {
      lines.push("_No score a week ago to compare with._");
    }
    // Only from a map fitted on this workspace's outcomes (docs/backtesting.md): never guessed.
    if (current.churn) lines.push(`*Churn risk*: ${esc(capitalise(current.churn.phrase))}`);
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: truncate(lines.join("\n"), SECTION_TEXT) },
    });
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: componentLines(card) },
    });
    const missing = current.components.filter((c) => c.points === null);
    if (missing.length > 0) {
      blocks.push({
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: truncate(
              `Coverage ${Math.round(current.coverage * 100)}%: no data for ${missing.map((c) => esc(c.label)).join(", ")}`,
              SECTION_TEXT,
            ),
          },
        ],
      });
    }
  }

  const fields: types.MrkdwnElement[] = [
    { type: "mrkdwn", text: `*Owner*\n${mentionUser(account.ownerSlackUserId ?? account.owner, "_none_")}` },
    { type: "mrkdwn", text: `*Segment*\n${account.segment ? escCut(account.segment, 100) : "_none_"}` },
  ];
  if (options.revenue) {
    fields.push({
      type: "mrkdwn",
      text: `*MRR*\n${account.mrr === null ? "_unknown_" : formatMrr(account.mrr)}`,
    });
  }
  fields.push({ type: "mrkdwn", text: `*Renewal*\n${renewal(account.renewalDate, options.today)}` });
  fields.push({ type: "mrkdwn", text: `*Follow-up*\n${followUpLine(card)}` });
  blocks.push({ type: "section", fields });

  if (options.sharedBy) {
    // The shared card leaves the timeline out with the revenue: notes and survey comments were
    // written for the team that follows the account, not for every channel it is shared in.
    blocks.push({
      type: "context",
      elements: [
        { type: "mrkdwn", text: `Shared by ${mentionUser(options.sharedBy)} · revenue figures left out` },
      ],
    });
  } else {
    const latest = latestEntriesBlock(card.timeline);
    if (latest) blocks.push(latest);
    const value = encodeAccountValue(account.id);
    blocks.push({
      type: "actions",
      elements: [
        {
          type: "button",
          action_id: ACTIONS.shareCard,
          text: { type: "plain_text", text: "Share in channel" },
          value,
        },
        {
          type: "button",
          action_id: ACTIONS.showTimeline,
          text: { type: "plain_text", text: "Timeline" },
          value,
        },
      ],
    });
  }
  const fallback = current
    ? `${account.name}: ${formatScore(current.score)} (${current.bandLabel})`
    : `${account.name}: not scored yet`;
  return { text: esc(truncate(fallback, 300)), blocks };
}

function componentLines(card: AccountCard): string {
  const current = card.current!;
  const rows = [...current.components].sort((a, b) => (b.points ?? -1) - (a.points ?? -1));
  const lines = rows.map((c) => {
    const label = escCut(c.label, 60);
    if (c.points === null) return `• ${label}: _no data_`;
    return `• ${label}: *${c.points.toFixed(1)}* pts (score ${formatScore(c.score)}, weight ${Math.round(c.weight * 100)}%)`;
  });
  let text = `*Components* (points add up to the score)\n${lines.join("\n")}`;
  if (text.length > SECTION_TEXT) text = `${text.slice(0, SECTION_TEXT - 2).replace(/\n[^\n]*$/, "")}\n…`;
  return text;
}

function renewal(day: number | null, today: number): string {
  if (day === null) return "_unknown_";
  const days = day - today;
  const when = days < 0 ? `${-days} days ago` : days === 0 ? "today" : `in ${days} days`;
  return `${formatDay(day)} (${when})`;
}

function followUpLine(card: AccountCard): string {
  const f = card.followUp;
  if (!f) return "_none open_";
  const owner = f.ownerSlackUserId ? mentionUser(f.ownerSlackUserId) : "_unassigned_";
  const status =
    f.status === "snoozed" && f.snoozedUntil !== null ? `snoozed to ${formatDay(f.snoozedUntil)}` : f.status;
  const thread = f.channelId && f.threadTs ? ` · ${link(threadLink(f.channelId, f.threadTs), "thread")}` : "";
  return `${esc(status)}, ${owner}${thread}`;
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
