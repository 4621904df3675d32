// The parent message of an at-risk case, and the replies in its thread. Pure: view model in, message
// out. The buttons carry the case id and version, so a click on an outdated message cannot undo a
// newer change.
import type { types } from "@slack/bolt";
import { formatDay, type Day } from "../../domain/dates.ts";
import type { Driver } from "../../domain/scoring/explain.ts";
import { scoreMove } from "../../domain/scoring/score-move.ts";
import { ACTIONS, encodeCaseValue, encodeTaskValue } from "../ids.ts";
import { formatMrr, formatScore, TONE_EMOJI, type SlackMessage } from "./account-card.ts";
import { esc, escCut, mentionUser } from "./text.ts";

export interface CaseView {
  caseId: bigint;
  version: number;
  status: "open" | "snoozed" | "resolved";
  account: {
    name: string;
    externalId: string;
    ownerSlackUserId: string | null;
    owner: string | null;
    mrr: number | null;
    renewalDate: Day | null;
  };
  score: number | null;
  /** The score before it fell into risk. */
  fromScore: number | null;
  drivers: Driver[];
  caseOwner: string | null;
  dueDate: Day | null;
  snoozedUntil: Day | null;
  recovered: boolean;
  resolvedBy: string | null;
  /** The play's checklist, ticked with the Done buttons. */
  tasks: { text: string; doneBy: string | null }[];
  /** A case a play opened on another trigger than entering risk (a sharp drop...): why it is open. */
  opener: { label: string; summary: string } | null;
}

export function driverText(drivers: readonly Driver[], limit = 3): string {
  const shown = drivers.filter((d) => Math.abs(d.delta) >= 0.5 || d.change !== "moved").slice(0, limit);
  if (shown.length === 0) return "no single component stands out";
  return shown
    .map((d) => {
      const r = Math.round(d.delta);
      const pts = `${r > 0 ? "+" : r < 0 ? "−" : "±"}${Math.abs(r)}`;
      const note =
        d.change === "appeared" ? " (new data)" : d.change === "disappeared" ? " (no data now)" : "";
      return `${esc(d.key)} ${pts}${note}`;
    })
    .join(", ");
}

/** "61 (−13 from 74)"; "82.0 (+0.4 from 81.6)" when whole numbers would look alike. */
function change(from: number | null, to: number | null): string {
  if (from === null || to === null) return formatScore(to);
  const m = scoreMove(from, to);
  return `${m.to} (${m.delta} from ${m.from})`;
}

function caseState(v: CaseView): string {
  if (v.status === "resolved")
    return `:white_check_mark: Resolved by ${mentionUser(v.resolvedBy, "css-bot")}`;
  if (v.recovered) return ":large_green_circle: Recovered: out of risk for now";
  if (v.status === "snoozed" && v.snoozedUntil !== null)
    return `:zzz: Snoozed until ${formatDay(v.snoozedUntil)}`;
  if (v.caseOwner) {
    return `:bust_in_silhouette: ${mentionUser(v.caseOwner)} owns the save${v.dueDate !== null ? `, due ${formatDay(v.dueDate)}` : ""}`;
  }
  return ":warning: *Nobody owns this yet*";
}

export function caseParentMessage(v: CaseView): SlackMessage {
  const name = escCut(v.account.name, 140);
  const emoji = v.status === "resolved" || v.recovered ? TONE_EMOJI.good : TONE_EMOJI.bad;
  const headline = v.opener
    ? `${TONE_EMOJI.bad} *${name}*: ${esc(v.opener.label)}, ${esc(v.opener.summary)} · now ${formatScore(v.score)}`
    : v.recovered
      ? `${emoji} ~*${name}* became at risk~ · now ${formatScore(v.score)}`
      : `${emoji} *${name}* is at risk: *${change(v.fromScore, v.score)}*`;
  const facts = [
    `*Account owner*: ${mentionUser(v.account.ownerSlackUserId ?? v.account.owner, "_none_")}`,
    `*MRR*: ${v.account.mrr === null ? "_unknown_" : formatMrr(v.account.mrr)}`,
    `*Renewal*: ${v.account.renewalDate === null ? "_unknown_" : formatDay(v.account.renewalDate)}`,
  ];
  const blocks: types.KnownBlock[] = [
    { type: "section", text: { type: "mrkdwn", text: headline } },
    { type: "section", text: { type: "mrkdwn", text: `*Drivers*: ${driverText(v.drivers)}` } },
    { type: "context", elements: [{ type: "mrkdwn", text: facts.join(" · ") }] },
    { type: "section", text: { type: "mrkdwn", text: caseState(v) } },
    ...taskBlocks(v),
  ];
  if (v.status !== "resolved") {
    const value = encodeCaseValue(v.caseId, v.version);
    blocks.push({
      type: "actions",
      elements: [
        {
          type: "button",
          action_id: ACTIONS.assignToMe,
          text: { type: "plain_text", text: "Assign to me" },
          style: "primary",
          value,
        },
        {
          type: "users_select",
          action_id: ACTIONS.assignUser,
          placeholder: { type: "plain_text", text: "Assign…" },
        },
        { type: "button", action_id: ACTIONS.snooze, text: { type: "plain_text", text: "Snooze…" }, value },
        { type: "button", action_id: ACTIONS.resolve, text: { type: "plain_text", text: "Resolve" }, value },
        { type: "button", action_id: ACTIONS.logNote, text: { type: "plain_text", text: "Log note" }, value },
      ],
    });
    // The users_select cannot carry a value of its own: the block id carries the case.
    (blocks.at(-1) as types.ActionsBlock).block_id = `case:${value}`;
  }
  const fallback = v.recovered
    ? `${v.account.name} recovered (${formatScore(v.score)})`
    : `${v.account.name} is at risk: ${formatScore(v.score)}`;
  return { text: esc(fallback), blocks };
}

/** The checklist: one line per task, with a Done button while the case is open and the task is not. */
function taskBlocks(v: CaseView): types.KnownBlock[] {
  return v.tasks.map((task, index): types.KnownBlock => {
    const text = task.doneBy
      ? `:white_check_mark: ~${escCut(task.text, 150)}~ · ${mentionUser(task.doneBy)}`
      : `:white_large_square: ${escCut(task.text, 150)}`;
    const open = v.status !== "resolved" && task.doneBy === null;
    return {
      type: "section",
      text: { type: "mrkdwn", text },
      ...(open
        ? {
            accessory: {
              type: "button",
              action_id: ACTIONS.taskDone,
              text: { type: "plain_text", text: "Done" },
              value: encodeTaskValue(v.caseId, v.version, index),
            },
          }
        : {}),
    };
  });
}

/**
 * The reply when a case's snooze ends and no band change says so: where the account stands now, and
 * its move since it was snoozed ("55 (−5 from 60)").
 */
export function snoozeEndedReply(v: {
  band: string | null;
  /** Whether `band` is one of the risk bands. */
  atRisk: boolean;
  snoozedScore: number | null;
  score: number | null;
  until: Day;
}): SlackMessage {
  const band = v.band === null ? "unscored" : esc(v.band.replaceAll("_", " "));
  const since = `${change(v.snoozedScore, v.score)} since it was snoozed`;
  return caseReply(
    v.atRisk
      ? `:alarm_clock: The snooze ended on ${formatDay(v.until)}: still ${band}, ${since}. The case is open again.`
      : `:alarm_clock: The snooze ended on ${formatDay(v.until)}: now ${band}, ${since}. Resolve the case when the save is done.`,
  );
}

/** A reply in the case's thread. */
export function caseReply(text: string): SlackMessage {
  return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}

export function movedReply(
  kind: "recovered" | "back" | "fell" | "changed",
  v: CaseView,
  band: string,
  reopenPoints = 10,
): SlackMessage {
  const what = {
    recovered: ":large_green_circle: Recovered",
    back: ":red_circle: Back at risk",
    fell: `:red_circle: Fell a further ${reopenPoints} points while snoozed: the snooze is over`,
    changed: `Now ${esc(band.replaceAll("_", " "))}`,
  }[kind];
  return caseReply(`${what}: ${change(v.fromScore, v.score)}. Drivers: ${driverText(v.drivers)}`);
}
