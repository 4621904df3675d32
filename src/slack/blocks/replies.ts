// Short replies of `/css`: help, a list of accounts to choose from, a plain notice.
import type { AccountMatch } from "../../db/repositories/accounts.ts";
import { ACTIONS, COMMAND, encodeAccountValue } from "../ids.ts";
import type { SlackMessage } from "./account-card.ts";
import { escCode, escCut } from "./text.ts";

export function noticeMessage(text: string): SlackMessage {
  return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}

export function helpMessage(): SlackMessage {
  const lines = [
    `*${COMMAND} <account>*: the account's score, why, and what changed (name, domain or id; typos are fine)`,
    `*${COMMAND} at-risk [segment]*: the accounts at risk, lowest score first`,
    `*${COMMAND} mine*: the accounts you own`,
    `*${COMMAND} movers*: the biggest moves of the week`,
    `*${COMMAND} renewals [days]*: the renewals of the next 90 days (or 1 to 365), worst expected MRR loss first`,
    `*${COMMAND} watch <account>*: a direct message when the account changes band (\`unwatch\` stops it)`,
    `*${COMMAND} note <account> <text>*: a note on the account's timeline (a name with spaces in "quotes")`,
    `*${COMMAND} plays*: the active plays and their fires of the last 7 days (admins: who each would fire for next)`,
    `*${COMMAND} settings*: digest and alert channels, times, recompute cadence (admins)`,
  ];
  return {
    text: `${COMMAND} help`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: "Customer Success Score" } },
      { type: "section", text: { type: "mrkdwn", text: lines.join("\n") } },
      {
        type: "context",
        elements: [
          { type: "mrkdwn", text: "Replies are visible only to you: revenue figures stay private." },
        ],
      },
    ],
  };
}

/**
 * The accounts to pick from: `total` is how many match (`atLeast`: that many or more), of which
 * `matches` are the first few.
 */
export function choicesMessage(
  query: string,
  matches: readonly AccountMatch[],
  count: { total: number; atLeast: boolean },
): SlackMessage {
  const q = escCut(query, 100);
  const kind = matches[0]?.match === "similar" ? "look like" : "match";
  const shown = matches.slice(0, 10);
  const total = Math.max(count.total, matches.length);
  const many = `${total}${count.atLeast ? " or more" : ""} accounts ${kind}`;
  const first =
    total > shown.length ? ` The first ${shown.length}; type more of the name to narrow it down.` : "";
  return {
    text: `${many} "${q}"`,
    blocks: [
      {
        type: "section",
        text: { type: "mrkdwn", text: `${many} *${q}*. Which one?${first}` },
      },
      ...shown.map((m) => ({
        type: "section" as const,
        text: {
          type: "mrkdwn" as const,
          text: `*${escCut(m.name, 150)}* · \`${escCut(m.externalId, 60, escCode)}\`${m.domain ? ` · ${escCut(m.domain, 80)}` : ""}`,
        },
        accessory: {
          type: "button" as const,
          action_id: `${ACTIONS.showAccount}_${m.id}`,
          text: { type: "plain_text" as const, text: "Show" },
          value: encodeAccountValue(m.id),
        },
      })),
    ],
  };
}

/** A note that named no one account: nothing was stored; the accounts it might mean. */
export function notNotedMessage(
  query: string,
  matches: readonly AccountMatch[],
  count: { total: number; atLeast: boolean },
): SlackMessage {
  const choices = choicesMessage(query, matches, count);
  const lead = `Nothing was noted: name one account exactly, by its id, whole name or domain (\`${COMMAND} note <id> <text>\`).`;
  return {
    text: `${lead} ${choices.text}`,
    blocks: [{ type: "section", text: { type: "mrkdwn", text: lead } }, ...choices.blocks],
  };
}

export function noMatchMessage(query: string): SlackMessage {
  return noticeMessage(
    `No account matches *${escCut(query, 100)}*. Try part of its name, its domain or its id; \`/css help\` lists what else I do.`,
  );
}
