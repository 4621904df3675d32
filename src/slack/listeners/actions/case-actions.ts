// The buttons of an at-risk case's parent message: Assign to me, Assign… (a users select),
// Resolve, and each task's Done. Each acks, applies the change if the case is still as the message showed it, and tells
// the clicker privately what happened; the parent message itself is updated by the service.
import type { App, BlockButtonAction, BlockUsersSelectAction, Context, RespondFn } from "@slack/bolt";
import { assignCase, resolveCase, tickTask, type CaseOutcome } from "../../../services/at-risk-cases.ts";
import { refusalOfClick } from "../../../services/case-permission.ts";
import type { WebClient } from "@slack/web-api";
import { noticeMessage } from "../../blocks/replies.ts";
import { publishHome } from "../events/app-home-opened.ts";
import { replyOrExplain, workspaceOf, type SlackDeps } from "../../context.ts";
import { ACTIONS, decodeCaseValue, decodeTaskValue, encodeCaseValue } from "../../ids.ts";

export function registerCaseActions(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(
    ACTIONS.assignToMe,
    async ({ ack, action, body, context, respond, client }) => {
      await ack();
      await act(deps, { context, respond, client, body }, "assign to me", action.value, (ws, ref, slack) =>
        assignCase(deps.prisma, ws.id, ref, body.user.id, body.user.id, slack, deps.today(ws)),
      );
    },
  );

  app.action<BlockUsersSelectAction>(
    ACTIONS.assignUser,
    async ({ ack, action, body, context, respond, client }) => {
      await ack();
      // A select carries no value of its own: the case rides in its block id ("case:{...}").
      const value = action.block_id.startsWith("case:") ? action.block_id.slice(5) : undefined;
      await act(deps, { context, respond, client, body }, "assign user", value, (ws, ref, slack) =>
        assignCase(deps.prisma, ws.id, ref, action.selected_user, body.user.id, slack, deps.today(ws)),
      );
    },
  );

  app.action<BlockButtonAction>(ACTIONS.taskDone, async ({ ack, action, body, context, respond, client }) => {
    await ack();
    const task = decodeTaskValue(action.value);
    const value = task ? encodeCaseValue(task.caseId, task.version) : undefined;
    await act(deps, { context, respond, client, body }, "tick a task", value, (ws, ref, slack) =>
      tickTask(deps.prisma, ws.id, { ...ref, task: task!.task }, body.user.id, slack),
    );
  });

  app.action<BlockButtonAction>(ACTIONS.resolve, async ({ ack, action, body, context, respond, client }) => {
    await ack();
    await act(deps, { context, respond, client, body }, "resolve", action.value, (ws, ref, slack) =>
      resolveCase(deps.prisma, ws.id, ref, body.user.id, slack),
    );
  });
}

async function act(
  deps: SlackDeps,
  request: {
    context: Context;
    respond: RespondFn;
    client: WebClient;
    body: { user: { id: string }; response_url?: string };
  },
  where: string,
  value: string | undefined,
  run: (
    workspace: ReturnType<typeof workspaceOf>,
    ref: { caseId: bigint; version: number },
    slack: ReturnType<SlackDeps["slackFor"]>,
  ) => Promise<CaseOutcome>,
): Promise<void> {
  const { context, respond, client, body } = request;
  const message = await replyOrExplain(deps, `case action ${where}`, async () => {
    const workspace = workspaceOf(context);
    const ref = decodeCaseValue(value);
    if (!ref)
      return noticeMessage("This button is from an older version of css-bot: use `/css <account>` instead.");
    const refused = await refusalOfClick(deps.prisma, client, {
      workspace,
      caseId: ref.caseId,
      userId: body.user.id,
      action: where,
    });
    if (refused) return noticeMessage(`You cannot ${where} here: ${refused}.`);
    const outcome = await run(workspace, ref, deps.slackFor(context));
    if (outcome.kind === "missing")
      return noticeMessage("This case no longer exists (the account was removed).");
    if (outcome.kind === "closed") return noticeMessage("This case is already resolved.");
    return outcome.message;
  });
  // From the App Home there is no response URL: the tab is published again instead.
  if (!body.response_url) {
    await publishHome(deps, context, client, body.user.id);
    return;
  }
  await respond({
    response_type: "ephemeral",
    replace_original: false,
    text: message.text,
    blocks: message.blocks,
  });
}
