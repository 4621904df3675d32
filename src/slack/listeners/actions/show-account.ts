// "Show" beside one of several matching accounts: replaces the list with that account's card.
import type { App, BlockButtonAction } from "@slack/bolt";
import { loadAccountCard } from "../../../services/account-card.ts";
import { accountCardMessage } from "../../blocks/account-card.ts";
import { noticeMessage } from "../../blocks/replies.ts";
import { replyOrExplain, workspaceOf, type SlackDeps } from "../../context.ts";
import { ACTIONS, decodeAccountValue } from "../../ids.ts";

export function registerShowAccount(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(
    new RegExp(`^${ACTIONS.showAccount}_\\d+$`),
    async ({ ack, action, respond, context, body, client }) => {
      await ack();
      const message = await replyOrExplain(deps, "action show account", async () => {
        const workspace = workspaceOf(context);
        const accountId = decodeAccountValue(action.value);
        const card = accountId === null ? null : await loadAccountCard(deps, workspace.id, accountId);
        if (!card) return noticeMessage("That account no longer exists.");
        return accountCardMessage(card, { revenue: true, today: deps.today(workspace) });
      });
      if (body.container?.type === "view") {
        // From the App Home: the card opens in a modal (private, like an ephemeral reply).
        await client.views.open({
          trigger_id: body.trigger_id,
          view: {
            type: "modal",
            title: { type: "plain_text", text: "Account" },
            close: { type: "plain_text", text: "Close" },
            blocks: message.blocks.filter((b) => b.type !== "actions"),
          },
        });
        return;
      }
      await respond({
        response_type: "ephemeral",
        replace_original: true,
        text: message.text,
        blocks: message.blocks,
      });
    },
  );
}
