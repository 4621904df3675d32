// An account's timeline in Slack: a line per entry (the card's last three, the Timeline button's
// last twenty), and the note modal and thread reply of a case's Log note button. Pure.
import type { types } from "@slack/bolt";
import type { TimelineEntry } from "../../services/timeline.ts";
import { MAX_NOTE } from "../../services/note-text.ts";
import { NOTE_BLOCKS, VIEWS } from "../ids.ts";
import type { SlackMessage } from "./account-card.ts";
import { esc, escCut, mentionUser, truncate } from "./text.ts";

/** An entry's text in a list: long notes and comments are cut (the CLI prints them whole). */
const ENTRY_TEXT = 200;
/** Slack's limit on a section's or a context element's text. */
const BLOCK_TEXT = 3000;

const KIND_EMOJI: Record<TimelineEntry["kind"], string> = {
  band_change: ":chart_with_downwards_trend:",
  case_opened: ":warning:",
  case_assigned: ":bust_in_silhouette:",
  case_snoozed: ":zzz:",
  case_snooze_ended: ":alarm_clock:",
  case_resolved: ":white_check_mark:",
  case_recovered: ":large_green_circle:",
  case_escalated: ":alarm_clock:",
  task_done: ":ballot_box_with_check:",
  play_fired: ":zap:",
  survey_comment: ":speech_balloon:",
  note: ":memo:",
};

/** "2026-06-03 :memo: Called them · <@U1>": the date (UTC), the entry, who. */
export function timelineLine(entry: TimelineEntry): string {
  // Line breaks of a note would break the list: one line per entry.
  const text = escCut(entry.text.replace(/\s*\n\s*/g, " "), ENTRY_TEXT);
  const owner =
    entry.kind === "case_assigned" && typeof entry.details.owner === "string"
      ? ` to ${mentionUser(entry.details.owner)}`
      : "";
  // The bot's own entries go unsigned; a person's say who (a name from a file is escaped).
  const by = entry.actor && entry.actor !== "css-bot" ? ` · ${mentionUser(entry.actor)}` : "";
  return `${entry.at.slice(0, 10)} ${KIND_EMOJI[entry.kind]} ${text}${owner}${by}`;
}

/** The card's context block of the latest entries; null when the account has none. */
export function latestEntriesBlock(entries: readonly TimelineEntry[]): types.ContextBlock | null {
  if (entries.length === 0) return null;
  const text = `*Latest* (newest first)\n${entries.map(timelineLine).join("\n")}`;
  return { type: "context", elements: [{ type: "mrkdwn", text: truncate(text, BLOCK_TEXT) }] };
}

/** The Timeline button's answer: the account's newest entries, a section per few lines. */
export function timelineMessage(accountName: string, entries: readonly TimelineEntry[]): SlackMessage {
  const name = escCut(accountName, 140);
  const blocks: types.KnownBlock[] = [
    { type: "section", text: { type: "mrkdwn", text: `*Timeline of ${name}* (newest first)` } },
  ];
  if (entries.length === 0) {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: "_Nothing has happened yet._" } });
  }
  // Sections of up to 10 lines: 20 long entries would pass one section's 3,000 characters.
  for (let i = 0; i < entries.length; i += 10) {
    const lines = entries
      .slice(i, i + 10)
      .map(timelineLine)
      .join("\n");
    blocks.push({ type: "section", text: { type: "mrkdwn", text: truncate(lines, BLOCK_TEXT) } });
  }
  blocks.push({
    type: "context",
    elements: [
      { type: "mrkdwn", text: "`/css note <account> <text>` adds a note; `css-bot timeline` prints it all." },
    ],
  });
  return { text: esc(`Timeline of ${accountName}`), blocks };
}

/** The Log note modal of a case: one multiline input; the case rides in private_metadata. */
export function noteModal(accountName: string, caseValue: string): types.ModalView {
  return {
    type: "modal",
    callback_id: VIEWS.logNote,
    private_metadata: caseValue,
    title: { type: "plain_text", text: "Log a note" },
    submit: { type: "plain_text", text: "Save" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: `On *${escCut(accountName, 150)}*'s timeline, and in the case's thread for everyone to see.`,
        },
      },
      {
        type: "input",
        block_id: NOTE_BLOCKS.text,
        label: { type: "plain_text", text: "Note" },
        element: {
          type: "plain_text_input",
          action_id: NOTE_BLOCKS.text,
          multiline: true,
          max_length: MAX_NOTE,
          placeholder: { type: "plain_text", text: "e.g. called their CTO, renewal call booked for Friday" },
        },
      },
    ],
  };
}

/** The thread reply of a note logged from a case: "<@U1> noted: ...", the text as typed. */
export function noteReply(userId: string, text: string): SlackMessage {
  const who = `${mentionUser(userId)} noted: `;
  // Escaping can make 2,000 characters many more: the block is cut to its limit, the fallback not.
  const shown = escCut(text, BLOCK_TEXT - who.length);
  return {
    text: `${who}${esc(text)}`,
    blocks: [{ type: "section", text: { type: "mrkdwn", text: `${who}${shown}` } }],
  };
}
