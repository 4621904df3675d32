// "Timeline" on an account card: the account's last entries, privately, below the card.
import type { App, BlockButtonAction } from "@slack/bolt";
import { readTimeline } from "../../../services/timeline.ts";
import { noticeMessage } from "../../blocks/replies.ts";
import { timelineMessage } from "../../blocks/timeline.ts";
import { replyOrExplain, workspaceOf, type SlackDeps } from "../../context.ts";
import { ACTIONS, decodeAccountValue } from "../../ids.ts";

/** How many entries the button shows; `css-bot timeline --limit` reads further back. */
export const TIMELINE_BUTTON_ENTRIES = 20;

export function registerShowTimeline(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTIONS.showTimeline, async ({ ack, action, respond, context }) => {
    await ack();
    const message = await replyOrExplain(deps, "action show timeline", async () => {
      const workspace = workspaceOf(context);
      const accountId = decodeAccountValue(action.value);
      const account =
        accountId === null
          ? null
          : await deps.prisma.account.findFirst({ where: { id: accountId, workspaceId: workspace.id } });
      if (!account) return noticeMessage("That account no longer exists.");
      const entries = await readTimeline(deps.prisma, workspace.id, account.id, {
        limit: TIMELINE_BUTTON_ENTRIES,
      });
      return timelineMessage(account.name, entries);
    });
    // Below the card, which stays: the timeline is read beside it.
    await respond({
      response_type: "ephemeral",
      replace_original: false,
      text: message.text,
      blocks: message.blocks,
    });
  });
}
