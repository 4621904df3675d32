// The "Snooze..." modal of an at-risk case: how long (7, 14 or 30 days) and why. The case and the
// version the clicked message showed ride in private_metadata.
import type { types } from "@slack/bolt";
import { SNOOZE_BLOCKS, VIEWS } from "../ids.ts";
import { escCut } from "./text.ts";

export const SNOOZE_DAYS = [7, 14, 30] as const;

export function snoozeModal(accountName: string, caseValue: string): types.ModalView {
  return {
    type: "modal",
    callback_id: VIEWS.snooze,
    private_metadata: caseValue,
    title: { type: "plain_text", text: "Snooze the case" },
    submit: { type: "plain_text", text: "Snooze" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: `No new alert for *${escCut(accountName, 150)}* until the snooze ends, unless its score falls 10 more points.`,
        },
      },
      {
        type: "input",
        block_id: SNOOZE_BLOCKS.days,
        label: { type: "plain_text", text: "For" },
        element: {
          type: "static_select",
          action_id: SNOOZE_BLOCKS.days,
          initial_option: { text: { type: "plain_text", text: "7 days" }, value: "7" },
          options: SNOOZE_DAYS.map((d) => ({
            text: { type: "plain_text", text: `${d} days` },
            value: String(d),
          })),
        },
      },
      {
        type: "input",
        block_id: SNOOZE_BLOCKS.reason,
        label: { type: "plain_text", text: "Why" },
        element: {
          type: "plain_text_input",
          action_id: SNOOZE_BLOCKS.reason,
          max_length: 500,
          placeholder: { type: "plain_text", text: "e.g. renewal call booked, seasonal dip" },
        },
      },
    ],
  };
}
