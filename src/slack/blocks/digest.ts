// The daily digest as Slack messages: pure. A digest longer than one message allows is split, so
// no message has more than 50 blocks or a section over 3,000 characters; each has a text fallback.
// Nothing changed: one line, and the portfolio is not repeated.
import type { types } from "@slack/bolt";
import { formatDay } from "../../domain/dates.ts";
import type { ListedAccount } from "../../db/repositories/account-lists.ts";
import { changeCount, type DigestChange, type DigestView } from "../../services/build-digest.ts";
import { formatScore, threadLink, TONE_EMOJI, type SlackMessage } from "./account-card.ts";
import { driverText } from "./at-risk-case.ts";
import { escCut, link, mentionUser } from "./text.ts";

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

function move(from: number | null, to: number | null): string {
  if (from === null || to === null) return formatScore(to);
  const d = Math.round(to - from);
  return `${formatScore(to)} (${d >= 0 ? "+" : "−"}${Math.abs(d)})`;
}

function changeLine(c: DigestChange, withOwner: boolean): string {
  const parts = [`• *${escCut(c.name, 120)}* ${move(c.fromScore, c.toScore)}`];
  if (withOwner) parts.push(mentionUser(c.owner, "_no owner_"));
  parts.push(driverText(c.drivers));
  if (c.thread) parts.push(link(threadLink(c.thread.channelId, c.thread.threadTs), "thread"));
  return parts.join(" · ");
}

function accountLine(a: ListedAccount, extra: string): string {
  return `• *${escCut(a.name, 120)}* ${extra} · ${mentionUser(a.ownerSlackUserId ?? a.owner, "_no owner_")}`;
}

export function digestMessages(view: DigestView): SlackMessage[] {
  const date = formatDay(view.localDate);
  if (changeCount(view) === 0) {
    const text = `No band changes since ${view.since === null ? "the last digest" : formatDay(view.since)}.`;
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
    ]),
    { type: "divider" },
  );
  const groups: [string, DigestChange[], boolean][] = [
    [`${TONE_EMOJI.bad} *Newly at risk*`, view.changes.atRisk, true],
    [`${TONE_EMOJI.warn} *Dropped to caution*`, view.changes.caution, true],
    [`${TONE_EMOJI.good} *Recovered*`, view.changes.recovered, false],
    [":arrows_counterclockwise: *Other band changes*", view.changes.other, false],
  ];
  for (const [title, items, withOwner] of groups) {
    if (items.length === 0) continue;
    blocks.push(...sections([`${title} (${items.length})`, ...items.map((c) => changeLine(c, withOwner))]));
  }
  const movers = [
    ...view.movers.down.map((a) => accountLine(a, move(a.weekAgoScore ?? null, a.score))),
    ...view.movers.up.map((a) => accountLine(a, move(a.weekAgoScore ?? null, a.score))),
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
  const fallback = `Customer Success digest ${date}: ${view.changes.atRisk.length} newly at risk, ${view.changes.caution.length} dropped to caution, ${view.changes.recovered.length} recovered`;
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
