// The daily digest as Slack messages: pure. A digest longer than one message allows is split, so
// no message has more than 50 blocks or a section over 3,000 characters; each has a text fallback.
// Nothing changed: one line, and the portfolio is not repeated. One line per account; only the
// owners of accounts newly at risk are mentioned (a mention notifies): the others are named.
import type { types } from "@slack/bolt";
import { formatDay } from "../../domain/dates.ts";
import type { ListedAccount } from "../../db/repositories/account-lists.ts";
import { scoreMoveText } from "../../domain/scoring/score-move.ts";
import {
  changeCount,
  type DigestChange,
  type DigestGroup,
  type DigestView,
} from "../../services/build-digest.ts";
import { formatScore, threadLink, TONE_EMOJI, type SlackMessage } from "./account-card.ts";
import { COMMAND } from "../ids.ts";
import { driverText } from "./at-risk-case.ts";
import { esc, escCut, link, mentionUser } from "./text.ts";

export const MAX_BLOCKS = 50;
export const MAX_SECTION = 3000;

const pct = (x: number | null) => (x === null ? "–" : `${(x * 100).toFixed(1)}%`);

/** Lines into as few sections as fit, none over the section limit (a line never split in two). */
export function sections(lines: readonly string[]): types.SectionBlock[] {
  const out: types.SectionBlock[] = [];
  let current = "";
  for (const raw of lines) {
    const line = raw.length > MAX_SECTION ? `${raw.slice(0, MAX_SECTION - 1)}…` : raw;
    if (current && current.length + 1 + line.length > MAX_SECTION) {
      out.push({ type: "section", text: { type: "mrkdwn", text: current } });
      current = "";
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) out.push({ type: "section", text: { type: "mrkdwn", text: current } });
  return out;
}

/** The owner by the name the account data gives, which notifies nobody. */
function ownerName(owner: string | null): string {
  return owner ? escCut(owner, 80) : "_no owner_";
}

function changeLine(c: DigestChange, mention: boolean, withBand: boolean): string {
  // A first score (or the first after too little data) has nothing to move from.
  const move =
    c.fromScore === null
      ? `${formatScore(c.toScore)} (no score before)`
      : scoreMoveText(c.fromScore, c.toScore, "→");
  const parts = [`• *${escCut(c.name, 120)}* ${move}`];
  if (withBand) parts.push(`now ${esc(c.toLabel)}`);
  parts.push(mention ? mentionUser(c.ownerSlackUserId ?? c.owner, "_no owner_") : ownerName(c.owner));
  parts.push(driverText(c.drivers));
  if (c.thread) parts.push(link(threadLink(c.thread.channelId, c.thread.threadTs), "thread"));
  return parts.join(" · ");
}

function accountLine(a: ListedAccount, extra: string): string {
  return `• *${escCut(a.name, 120)}* ${extra} · ${ownerName(a.owner)}`;
}

/** What the changes cover: since the last digest, or (the channel's first) its day and the day before. */
function period(view: DigestView): string {
  if (view.listedFrom === null) {
    return view.since === null ? "since the last digest" : `since ${formatDay(view.since)}`;
  }
  const days = [];
  for (let d = view.listedFrom; d <= view.localDate; d++) days.push(formatDay(d));
  return `on ${days.join(" or ")}`;
}

/**
 * Revenue at risk as shares of MRR, never an amount: the digest is posted in a channel. None at all
 * without churn probabilities.
 */
function revenueLine(view: DigestView): string[] {
  const r = view.portfolio.revenueAtRisk;
  if (r === null) return [];
  const counted = `${r.accounts} ${r.accounts === 1 ? "account" : "accounts"} with a churn probability`;
  const apart = r.leftOut > 0 ? `; ${r.leftOut} without a probability or MRR not counted` : "";
  return [
    `Revenue at risk: *${pct(r.share)}* of MRR expected to churn within ${r.horizonDays} days · gross revenue retention forecast for next quarter *${pct(r.grossRevenueRetention)}* (${counted}${apart})`,
  ];
}

export function digestMessages(view: DigestView): SlackMessage[] {
  const date = formatDay(view.localDate);
  if (changeCount(view) === 0) {
    const text = `No band changes ${period(view)}.`;
    return [{ text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] }];
  }
  const p = view.portfolio;
  const blocks: types.KnownBlock[] = [
    { type: "header", text: { type: "plain_text", text: `Customer Success digest · ${date}` } },
  ];
  const mix = p.bands.map((b) => `${TONE_EMOJI[b.tone]} ${escCut(b.label, 40)} *${b.accounts}*`).join("   ");
  const change =
    p.averageChange === null
      ? ""
      : ` (${p.averageChange >= 0 ? "+" : "−"}${Math.abs(p.averageChange).toFixed(1)} in a week)`;
  blocks.push(
    ...sections([
      mix || "_No account scored yet._",
      `Average score *${formatScore(p.average)}*${change} · ${p.month}: NPS ${p.nps ?? "–"}, churn ${pct(p.churn)}, net MRR churn ${pct(p.netMrrChurn)}`,
      ...revenueLine(view),
    ]),
    { type: "divider" },
  );
  // Each account once, by its net move since the last digest; highest MRR first (not shown: a
  // channel sees the digest). A group's rest: `/css at-risk` lists every account at risk, `/css
  // movers` the week's biggest moves.
  type How = { mention: boolean; withBand: boolean; rest: string };
  const groups: [string, DigestGroup, How][] = [
    [
      `${TONE_EMOJI.bad} *Newly at risk*`,
      view.changes.atRisk,
      { mention: true, withBand: false, rest: `${COMMAND} at-risk` },
    ],
    [
      `${TONE_EMOJI.warn} *Dropped to caution*`,
      view.changes.caution,
      { mention: false, withBand: false, rest: `${COMMAND} movers` },
    ],
    [
      `${TONE_EMOJI.good} *Recovered*`,
      view.changes.recovered,
      { mention: false, withBand: true, rest: `${COMMAND} movers` },
    ],
  ];
  const first = view.listedFrom === null ? "" : " (the channel's first digest: earlier ones are not listed)";
  blocks.push({
    type: "context",
    elements: [{ type: "mrkdwn", text: `Net band changes ${period(view)}${first}` }],
  });
  for (const [title, group, how] of groups) {
    if (group.total === 0) continue;
    const lines = group.shown.map((c) => changeLine(c, how.mention, how.withBand));
    const more = group.total - group.shown.length;
    if (more > 0) lines.push(`and ${more} more: \`${how.rest}\``);
    blocks.push(...sections([`${title} (${group.total})`, ...lines]));
  }
  if (view.changes.other > 0) {
    const n = view.changes.other;
    blocks.push(
      ...sections([
        `:arrows_counterclockwise: ${n} other band ${n === 1 ? "change" : "changes"} (newly scored, too little data, between middle bands) not listed`,
      ]),
    );
  }
  const movers = [
    ...view.movers.down.map((a) => accountLine(a, scoreMoveText(a.weekAgoScore ?? null, a.score, "→"))),
    ...view.movers.up.map((a) => accountLine(a, scoreMoveText(a.weekAgoScore ?? null, a.score, "→"))),
  ];
  if (movers.length > 0) blocks.push(...sections(["*Biggest moves this week*", ...movers]));
  if (view.renewals.length > 0) {
    blocks.push(
      ...sections([
        "*At-risk renewals in the next 60 days*",
        ...view.renewals.map((a) =>
          accountLine(a, `${formatScore(a.score)}, renews ${formatDay(a.renewalDate!)}`),
        ),
      ]),
    );
  }
  const c = view.changes;
  const fallback = `Customer Success digest ${date}: ${c.atRisk.total} newly at risk, ${c.caution.total} dropped to caution, ${c.recovered.total} recovered`;
  const messages: SlackMessage[] = [];
  for (let i = 0; i < blocks.length; i += MAX_BLOCKS) {
    const part = blocks.slice(i, i + MAX_BLOCKS);
    const n = Math.ceil(blocks.length / MAX_BLOCKS);
    messages.push({ text: n > 1 ? `${fallback} (${i / MAX_BLOCKS + 1}/${n})` : fallback, blocks: part });
  }
  return messages;
}

/** The digest as plain text, for `css-bot digest --preview`. */
export function digestPreview(messages: readonly SlackMessage[]): string {
  const text = (b: types.KnownBlock): string => {
    if (b.type === "header") return `== ${b.text.text} ==`;
    if (b.type === "divider") return "----";
    if (b.type === "section") return b.text?.text ?? "";
    if (b.type === "context") return b.elements.map((e) => ("text" in e ? e.text : "")).join(" ");
    return "";
  };
  return messages
    .map(
      (m, i) =>
        `${messages.length > 1 ? `--- message ${i + 1} of ${messages.length} ---\n` : ""}${m.blocks.map(text).join("\n")}`,
    )
    .join("\n")
    .concat("\n");
}
