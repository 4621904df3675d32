// `/css renewals [days]` as a reply: pure. Only ever sent as an ephemeral reply (it shows MRR and
// expected losses in money); account and owner text is escaped, the list cut at the service's count.
import type { types } from "@slack/bolt";
import { formatDay } from "../../domain/dates.ts";
import type { RenewalLine, RenewalsView } from "../../services/renewals.ts";
import { ACTIONS, COMMAND, encodeAccountValue } from "../ids.ts";
import { formatMrr, formatScore, TONE_EMOJI, type SlackMessage } from "./account-card.ts";
import { esc, escCut, mentionUser } from "./text.ts";

/** A probability as a whole percentage; under 1% it says so rather than round to 0. */
export function formatProbability(p: number): string {
  if (p > 0 && p < 0.01) return "<1%";
  if (p < 1 && p > 0.99) return ">99%";
  return `${Math.round(p * 100)}%`;
}

const OUTCOMES_NOTE =
  'No churn probabilities yet: they need churn history. Fit the model\'s churn map with `css-bot calibrate` and an outcomes file (see docs/backtesting.md, "Churn probability"); until then the list is lowest score first, then highest MRR.';

// The model has a map, but the current snapshots predate it (it was set since the last recompute).
const NOT_YET_NOTE =
  "The model has a churn map, but these accounts' scores predate it: their probabilities come with the next recompute. Until then the list is lowest score first, then highest MRR.";

function line(r: RenewalLine, today: number, withProbability: boolean): string {
  const parts = [`${TONE_EMOJI[r.tone]} *${escCut(r.name, 100)}*`];
  parts.push(r.score === null ? "not scored" : `${formatScore(r.score)} ${esc(r.bandLabel ?? "")}`.trim());
  if (withProbability)
    parts.push(r.probability === null ? "no probability" : formatProbability(r.probability));
  parts.push(r.mrr === null ? "MRR unknown" : formatMrr(r.mrr));
  if (r.expectedLoss !== null) parts.push(`expected loss *${formatMrr(r.expectedLoss)}*`);
  parts.push(mentionUser(r.ownerSlackUserId ?? r.owner, "_no owner_"));
  const days = r.renewalDate - today;
  parts.push(
    `renews ${formatDay(r.renewalDate)} (${days === 0 ? "today" : `in ${days} ${days === 1 ? "day" : "days"}`})`,
  );
  return parts.join(" · ");
}

export function renewalsMessage(view: RenewalsView): SlackMessage {
  const window = `the next ${view.days} ${view.days === 1 ? "day" : "days"}`;
  if (view.total === 0) {
    const text = `No active account renews in ${window} (renewal dates come from the account data).`;
    return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
  }
  const probabilities = view.horizonDays !== null && view.withProbability > 0;
  const head = [`*Renewals in ${window}*: ${view.total} ${view.total === 1 ? "account" : "accounts"}`];
  if (probabilities) {
    const share = view.mrr > 0 ? ` (${((view.expectedLoss / view.mrr) * 100).toFixed(1)}%)` : "";
    head.push(
      `expected MRR lost within ${view.horizonDays} days *${formatMrr(view.expectedLoss)}* of ${formatMrr(view.mrr)}${share}`,
    );
  }
  const blocks: types.KnownBlock[] = [{ type: "section", text: { type: "mrkdwn", text: head.join(" · ") } }];
  const context: string[] = [];
  if (probabilities) {
    context.push(
      `Probability of churning within ${view.horizonDays} days, from the model's churn map; worst expected loss (MRR × probability) first.`,
    );
    const noProbability = view.total - view.withProbability;
    const apart = [
      noProbability > 0 ? `${noProbability} without a probability (not scored yet)` : "",
      view.unknownMrr > 0 ? `${view.unknownMrr} without MRR` : "",
    ].filter(Boolean);
    if (apart.length > 0) context.push(`Not in the sum: ${apart.join(", ")}; listed after the others.`);
  } else if (view.horizonDays !== null) {
    context.push(NOT_YET_NOTE);
  } else {
    context.push(OUTCOMES_NOTE);
  }
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: context.join(" ") }] });
  for (const r of view.shown) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: line(r, view.today, probabilities) },
      accessory: {
        type: "button",
        action_id: `${ACTIONS.showAccount}_${r.id}`,
        text: { type: "plain_text", text: "Show" },
        value: encodeAccountValue(r.id),
      },
    });
  }
  const more = view.total - view.shown.length;
  if (more > 0) {
    const narrower =
      view.days > 1
        ? ` \`${COMMAND} renewals ${Math.max(1, Math.floor(view.days / 2))}\` narrows the window.`
        : "";
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: `and ${more} more further down the same order.${narrower}` }],
    });
  }
  const fallback = probabilities
    ? `Renewals in ${window}: ${view.total}, expected MRR lost ${formatMrr(view.expectedLoss)}`
    : `Renewals in ${window}: ${view.total}`;
  return { text: fallback, blocks };
}
