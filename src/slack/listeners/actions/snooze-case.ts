// "Snooze..." on a case: opens the modal (within the click's trigger window), then applies the
// snooze when the modal is submitted, if the case is still as the clicked message showed it.
import type { App, BlockButtonAction } from "@slack/bolt";
import { z } from "zod";
import { loadAccountCard } from "../../../services/account-card.ts";
import { snoozeCase } from "../../../services/at-risk-cases.ts";
import { refusalOfClick } from "../../../services/case-permission.ts";
import { noticeMessage } from "../../blocks/replies.ts";
import { SNOOZE_DAYS, snoozeModal } from "../../blocks/snooze-modal.ts";
import { replyOrExplain, workspaceOf, type SlackDeps } from "../../context.ts";
import { ACTIONS, decodeCaseValue, SNOOZE_BLOCKS, VIEWS } from "../../ids.ts";

const submission = z.object({
  days: z.coerce.number().refine((d) => (SNOOZE_DAYS as readonly number[]).includes(d), "7, 14 or 30 days"),
  reason: z.string().trim().min(1, "say why").max(500),
});

export function registerSnoozeCase(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(ACTIONS.snooze, async ({ ack, action, body, client, context, respond }) => {
    await ack();
    const ref = decodeCaseValue(action.value);
    const workspace = workspaceOf(context);
    const followUp =
      ref && (await deps.prisma.followUp.findFirst({ where: { id: ref.caseId, workspaceId: workspace.id } }));
    const card = followUp && (await loadAccountCard(deps, workspace.id, followUp.accountId));
    if (!ref || !followUp || !card || followUp.status === "resolved") {
      await respond({
        response_type: "ephemeral",
        replace_original: false,
        text: "This case is closed or no longer exists.",
      });
      return;
    }
    const refused = await refusalOfClick(deps.prisma, client, {
      workspace,
      caseId: ref.caseId,
      userId: body.user.id,
      action: "snooze",
    });
    if (refused) {
      await respond({
        response_type: "ephemeral",
        replace_original: false,
        text: `You cannot snooze here: ${refused}.`,
      });
      return;
    }
    await client.views.open({
      trigger_id: body.trigger_id,
      view: snoozeModal(card.account.name, action.value!),
    });
  });

  app.view(VIEWS.snooze, async ({ ack, view, body, context, client }) => {
    const values = view.state.values;
    const parsed = submission.safeParse({
      days: values[SNOOZE_BLOCKS.days]?.[SNOOZE_BLOCKS.days]?.selected_option?.value,
      reason: values[SNOOZE_BLOCKS.reason]?.[SNOOZE_BLOCKS.reason]?.value ?? "",
    });
    if (!parsed.success) {
      const errors: Record<string, string> = {};
      for (const issue of parsed.error.issues) {
        errors[issue.path[0] === "days" ? SNOOZE_BLOCKS.days : SNOOZE_BLOCKS.reason] = issue.message;
      }
      await ack({ response_action: "errors", errors });
      return;
    }
    await ack();
    // Done: the thread and the parent message say so. Anything else is told to the user privately.
    let done = false;
    const message = await replyOrExplain(deps, "view snooze", async () => {
      const workspace = workspaceOf(context);
      const ref = decodeCaseValue(view.private_metadata);
      if (!ref) throw new Error("snooze modal without a case");
      // Checked again: the modal's submission is a request of its own.
      const refused = await refusalOfClick(deps.prisma, client, {
        workspace,
        caseId: ref.caseId,
        userId: body.user.id,
        action: "snooze",
      });
      if (refused) return noticeMessage(`You cannot snooze here: ${refused}.`);
      const outcome = await snoozeCase(
        deps.prisma,
        workspace.id,
        ref,
        parsed.data,
        body.user.id,
        deps.slackFor(context),
        deps.today(workspace),
      );
      done = outcome.kind === "done";
      if (outcome.kind === "missing" || outcome.kind === "closed") {
        return noticeMessage("This case is closed or no longer exists: nothing was snoozed.");
      }
      return outcome.message;
    });
    if (!done) await deps.slackFor(context).sendDm(body.user.id, message);
  });
}
