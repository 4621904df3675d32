// The Log note modal, submitted: the note is stored on the case's account with the case, and told
// in the case's thread for everyone following it. A refusal of the text is shown in the modal.
import type { App } from "@slack/bolt";
import { addNote } from "../../../services/account-notes.ts";
import { cleanNoteText } from "../../../services/note-text.ts";
import { noticeMessage } from "../../blocks/replies.ts";
import { noteReply } from "../../blocks/timeline.ts";
import { esc } from "../../blocks/text.ts";
import { replyOrExplain, workspaceOf, type SlackDeps } from "../../context.ts";
import { decodeCaseValue, NOTE_BLOCKS, VIEWS } from "../../ids.ts";

export function registerLogNoteView(app: App, deps: SlackDeps): void {
  app.view(VIEWS.logNote, async ({ ack, view, body, context }) => {
    const clean = cleanNoteText(view.state.values[NOTE_BLOCKS.text]?.[NOTE_BLOCKS.text]?.value ?? "");
    if ("problem" in clean) {
      await ack({ response_action: "errors", errors: { [NOTE_BLOCKS.text]: clean.problem } });
      return;
    }
    await ack();
    const slack = deps.slackFor(context);
    // Told in the thread when it worked; anything else (the case gone, an error) privately.
    let posted = false;
    const message = await replyOrExplain(deps, "view log note", async () => {
      const workspace = workspaceOf(context);
      const ref = decodeCaseValue(view.private_metadata);
      if (!ref) throw new Error("note modal without a case");
      const followUp = await deps.prisma.followUp.findFirst({
        where: { id: ref.caseId, workspaceId: workspace.id },
      });
      if (!followUp) return noticeMessage("This case no longer exists: nothing was noted.");
      await addNote(deps.prisma, workspace.id, {
        accountId: followUp.accountId,
        author: body.user.id,
        text: clean.text,
        caseId: followUp.id,
      });
      if (followUp.channelId && followUp.threadTs) {
        await slack.postMessage({
          channel: followUp.channelId,
          thread_ts: followUp.threadTs,
          ...noteReply(body.user.id, clean.text),
        });
        posted = true;
      }
      const account = await deps.prisma.account.findFirst({
        where: { id: followUp.accountId, workspaceId: workspace.id },
      });
      return noticeMessage(`Noted on *${esc(account?.name ?? "the account")}*.`);
    });
    if (!posted) await slack.sendDm(body.user.id, message);
  });
}
