// Lists of accounts (at risk, mine, movers): one line each, with a "Show" button for the card.
// Private replies may show MRR; nothing here is ever posted in a channel.
import type { types } from "@slack/bolt";
import { formatDay } from "../../domain/dates.ts";
import { scoreMove } from "../../domain/scoring/score-move.ts";
import type { ListedAccount } from "../../db/repositories/account-lists.ts";
import { ACTIONS, encodeAccountValue } from "../ids.ts";
import { formatMrr, formatScore, type SlackMessage } from "./account-card.ts";
import { escCut, mentionUser } from "./text.ts";

/** `score` is how the account's score reads: by default the score alone. */
function line(a: ListedAccount, today: number, score = formatScore(a.score)): string {
  const parts = [`*${escCut(a.name, 100)}* ${score}`];
  parts.push(mentionUser(a.followUpOwner ?? a.ownerSlackUserId ?? a.owner, "_no owner_"));
  if (a.mrr !== null) parts.push(formatMrr(a.mrr));
  if (a.renewalDate !== null) {
    const days = a.renewalDate - today;
    parts.push(days >= 0 && days <= 60 ? `*renews in ${days} days*` : `renews ${formatDay(a.renewalDate)}`);
  }
  return parts.join(" · ");
}

function rows(
  accounts: readonly ListedAccount[],
  today: number,
  score?: (a: ListedAccount) => string,
): types.KnownBlock[] {
  return accounts.map((a) => ({
    type: "section",
    text: { type: "mrkdwn", text: line(a, today, score?.(a)) },
    accessory: {
      type: "button",
      action_id: `${ACTIONS.showAccount}_${a.id}`,
      text: { type: "plain_text", text: "Show" },
      value: encodeAccountValue(a.id),
    },
  }));
}

/** `title` is raw text (escaped here); `empty` is mrkdwn, its data escaped by the caller. */
export function accountListMessage(
  title: string,
  list: { accounts: ListedAccount[]; total: number },
  today: number,
  empty: string,
): SlackMessage {
  if (list.accounts.length === 0) {
    return { text: empty, blocks: [{ type: "section", text: { type: "mrkdwn", text: empty } }] };
  }
  const more =
    list.total > list.accounts.length ? ` (the ${list.accounts.length} lowest of ${list.total})` : "";
  return {
    text: `${escCut(title, 150)}: ${list.total}`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${escCut(title, 150)}*: ${list.total}${more}` } },
      ...rows(list.accounts, today),
    ],
  };
}

export function moversMessage(
  m: { down: ListedAccount[]; up: ListedAccount[] },
  today: number,
): SlackMessage {
  if (m.down.length === 0 && m.up.length === 0) {
    const text = "No account moved this week (or there is no score from a week ago to compare with).";
    return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
  }
  // "61 (−13 from 74)": the score and its week-ago one with the same decimals.
  const delta = (a: ListedAccount) => {
    const m = scoreMove(a.weekAgoScore ?? null, a.score);
    return m.delta === null ? m.to : `${m.to} (${m.delta} from ${m.from})`;
  };
  const blocks: types.KnownBlock[] = [];
  if (m.down.length > 0) {
    blocks.push(
      { type: "section", text: { type: "mrkdwn", text: "*Biggest falls this week*" } },
      ...rows(m.down, today, delta),
    );
  }
  if (m.up.length > 0) {
    blocks.push(
      { type: "section", text: { type: "mrkdwn", text: "*Biggest rises this week*" } },
      ...rows(m.up, today, delta),
    );
  }
  return { text: `Movers: ${m.down.length} falls, ${m.up.length} rises`, blocks };
}
