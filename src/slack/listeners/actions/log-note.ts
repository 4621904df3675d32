// "Log note" on a case's parent message: opens the note modal within the click's trigger window.
// Anyone who sees the thread may note (no case permission: a note changes nothing of the case);
// the submission is handled by views/log-note.ts.
import type { App, BlockButtonAction } from "@slack/bolt";
import { noteModal } from "../../blocks/timeline.ts";
import { workspaceOf, type SlackDeps } from "../../context.ts";
import { ACTIONS, decodeCaseValue } from "../../ids.ts";

export function registerLogNote(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTIONS.logNote, async ({ ack, action, body, client, context, respond }) => {
    await ack();
    const ref = decodeCaseValue(action.value);
    const workspace = workspaceOf(context);
    const followUp =
      ref && (await deps.prisma.followUp.findFirst({ where: { id: ref.caseId, workspaceId: workspace.id } }));
    const account =
      followUp &&
      (await deps.prisma.account.findFirst({ where: { id: followUp.accountId, workspaceId: workspace.id } }));
    if (!followUp || !account) {
      await respond({
        response_type: "ephemeral",
        replace_original: false,
        text: "This case no longer exists: nothing can be noted on it.",
      });
      return;
    }
    await client.views.open({ trigger_id: body.trigger_id, view: noteModal(account.name, action.value!) });
  });
}
