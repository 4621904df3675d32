// "Share in channel" on a private card: posts the card without revenue figures in the channel where
// the command was typed, through the interaction's response URL (so the bot need not be a member).
import type { App, BlockButtonAction } from "@slack/bolt";
import { loadAccountCard } from "../../../services/account-card.ts";
import { accountCardMessage } from "../../blocks/account-card.ts";
import { noticeMessage } from "../../blocks/replies.ts";
import { replyOrExplain, workspaceOf, type SlackDeps } from "../../context.ts";
import { ACTIONS, decodeAccountValue } from "../../ids.ts";

export function registerShareCard(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTIONS.shareCard, async ({ ack, action, body, respond, context }) => {
    await ack();
    let shared = false;
    const message = await replyOrExplain(deps, "action share card", async () => {
      const workspace = workspaceOf(context);
      const accountId = decodeAccountValue(action.value);
      const card = accountId === null ? null : await loadAccountCard(deps, workspace.id, accountId);
      if (!card) return noticeMessage("That account no longer exists: nothing was shared.");
      shared = true;
      return accountCardMessage(card, {
        revenue: false,
        today: deps.today(workspace),
        sharedBy: body.user.id,
      });
    });
    await respond(
      shared
        ? { response_type: "in_channel", replace_original: false, text: message.text, blocks: message.blocks }
        : { response_type: "ephemeral", replace_original: false, text: message.text, blocks: message.blocks },
    );
  });
}
