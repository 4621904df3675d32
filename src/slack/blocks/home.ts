// The App Home tab: pure. At most 100 blocks (Slack's limit for a Home view).
import type { types } from "@slack/bolt";
import { formatDay } from "../../domain/dates.ts";
import type { HomeView } from "../../services/home.ts";
import { ACTIONS, encodeAccountValue, encodeCaseValue } from "../ids.ts";
import { formatScore, threadLink } from "./account-card.ts";
import { sparkline } from "./sparkline.ts";
import { escCut, link } from "./text.ts";

const BAND_EMOJI: Record<string, string> = {
  healthy: ":large_green_circle:",
  caution: ":large_yellow_circle:",
  at_risk: ":red_circle:",
};

export function homeView(view: HomeView, today: number): types.HomeView {
  const blocks: types.KnownBlock[] = [
    { type: "header", text: { type: "plain_text", text: "Your accounts" } },
  ];
  if (view.accounts.list.length === 0) {
    blocks.push({
      type: "section",
      text: {
        type: "mrkdwn",
        text: "_You own no account yet: owners come from your account data, matched to Slack users by email._",
      },
    });
  }
  for (const a of view.accounts.list) {
    const trend = sparkline(view.trends.get(a.id) ?? []);
    blocks.push({
      type: "section",
      text: {
        type: "mrkdwn",
        text: `${BAND_EMOJI[a.band ?? ""] ?? ":white_circle:"} *${escCut(a.name, 100)}* ${formatScore(a.score)}${trend ? `  \`${trend}\`` : ""}`,
      },
      accessory: {
        type: "button",
        action_id: `${ACTIONS.showAccount}_${a.id}`,
        text: { type: "plain_text", text: "Details" },
        value: encodeAccountValue(a.id),
      },
    });
  }
  if (view.accounts.total > view.accounts.list.length) {
    blocks.push({
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: `The ${view.accounts.list.length} lowest of ${view.accounts.total}: \`/css mine\` lists them too.`,
        },
      ],
    });
  }
  blocks.push(
    { type: "divider" },
    { type: "header", text: { type: "plain_text", text: "Follow-ups assigned to you" } },
  );
  if (view.cases.length === 0)
    blocks.push({ type: "section", text: { type: "mrkdwn", text: "_Nothing assigned to you._" } });
  for (const c of view.cases) {
    const state =
      c.status === "snoozed" && c.snoozedUntil !== null
        ? `snoozed until ${formatDay(c.snoozedUntil)}`
        : c.dueDate !== null
          ? `due ${formatDay(c.dueDate)}${c.dueDate < today ? " *(overdue)*" : ""}`
          : "open";
    const thread =
      c.channelId && c.threadTs ? ` · ${link(threadLink(c.channelId, c.threadTs), "thread")}` : "";
    const value = encodeCaseValue(c.caseId, c.version);
    blocks.push(
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: `:red_circle: *${escCut(c.accountName, 100)}* ${formatScore(c.score)} · ${state}${thread}`,
        },
      },
      {
        type: "actions",
        elements: [
          { type: "button", action_id: ACTIONS.snooze, text: { type: "plain_text", text: "Snooze…" }, value },
          {
            type: "button",
            action_id: ACTIONS.resolve,
            text: { type: "plain_text", text: "Resolve" },
            value,
          },
        ],
      },
    );
  }
  return { type: "home", blocks: blocks.slice(0, 100) };
}
