// `/css ...`: acks within Slack's 3 seconds with the reply itself when it is ready in time (one
// message, no "working on it"), else acks at once and sends the reply to the response URL.
import type { App, RespondArguments } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import type { Workspace } from "../../../generated/prisma/client.ts";
import { atRiskAccounts, movers, myAccounts } from "../../../services/account-lists.ts";
import { lookupAccount } from "../../../services/lookup-account.ts";
import { unwatchAccount, watchAccount } from "../../../services/account-watches.ts";
import { addNote, findNoteAccount } from "../../../services/account-notes.ts";
import { listPlays } from "../../../services/plays/list-plays.ts";
import { listRenewals } from "../../../services/renewals.ts";
import { esc, unescSlack } from "../../blocks/text.ts";
import { accountCardMessage, type SlackMessage } from "../../blocks/account-card.ts";
import { accountListMessage, moversMessage } from "../../blocks/account-list.ts";
import { playsMessage } from "../../blocks/plays.ts";
import { renewalsMessage } from "../../blocks/renewals.ts";
import {
  choicesMessage,
  helpMessage,
  noMatchMessage,
  noticeMessage,
  notNotedMessage,
} from "../../blocks/replies.ts";
import { arrivalOf, replyOrExplain, workspaceOf, type SlackDeps } from "../../context.ts";
import { COMMAND } from "../../ids.ts";
import { isAdmin, openSettings } from "../views/settings.ts";
import { parseCssCommand, type CssCommand } from "../../parse-command.ts";

/** Beyond this the reply goes to the response URL instead of the ack. */
const ACK_BUDGET_MS = 2000;

export function registerCssCommand(app: App, deps: SlackDeps): void {
  app.command(COMMAND, async ({ command, ack, respond, context, client }) => {
    // Slack escapes &, < and > in the text: an account named "AT&T" and a note are read as typed.
    const parsed = parseCssCommand(unescSlack(command.text ?? ""));
    if (parsed.kind === "settings") {
      // A modal needs the trigger within 3 s: ack at once, then check the user and open it.
      await ack();
      const refusal = await replyOrExplain(deps, "command /css settings", async () => {
        const text = await openSettings(deps, command, client, workspaceOf(context));
        return noticeMessage(text ?? "");
      });
      if (refusal.text) await respond(ephemeral(refusal));
      return;
    }
    const reply = replyOrExplain(deps, "command /css", async () => {
      const workspace = workspaceOf(context);
      return answer(deps, workspace, parsed, command.user_id, client);
    });
    // The budget counts from the request's arrival, so time spent waiting before this listener ran
    // (a busy database pool) is not forgotten.
    const left = ACK_BUDGET_MS - (performance.now() - arrivalOf(context));
    const timer = new Promise<null>((resolve) => setTimeout(resolve, Math.max(0, left), null).unref());
    const early = await Promise.race([reply, timer]);
    if (early) {
      // Too late for the ack after all (Bolt already answered Slack): the response URL still works.
      if (!(await acked(ack, ephemeral(early), deps))) await respond(ephemeral(early));
      return;
    }
    await acked(ack, ephemeral(noticeMessage("Looking it up…")), deps);
    await respond({ ...ephemeral(await reply), replace_original: true });
  });
}

/** Acks; false when the request was already answered (Bolt gives up on a listener after 3 s). */
async function acked(
  ack: (message: RespondArguments) => Promise<void>,
  message: RespondArguments,
  deps: SlackDeps,
): Promise<boolean> {
  try {
    await ack(message);
    return true;
  } catch (error) {
    deps.log.warn("slack ack came too late; replying through the response URL", {
      error: (error as Error).message,
    });
    return false;
  }
}

function ephemeral(message: SlackMessage): RespondArguments {
  return { response_type: "ephemeral", text: message.text, blocks: message.blocks };
}

async function answer(
  deps: SlackDeps,
  workspace: Workspace,
  command: CssCommand,
  userId: string,
  client: WebClient,
): Promise<SlackMessage> {
  const today = deps.today(workspace);
  switch (command.kind) {
    case "help":
      return helpMessage();
    case "invalid":
      return noticeMessage(command.message);
    case "lookup": {
      const result = await lookupAccount(deps, workspace.id, command.query);
      if (result.kind === "none") return noMatchMessage(result.query);
      if (result.kind === "choices") return choicesMessage(result.query, result.matches, result);
      return accountCardMessage(result.card, { revenue: true, today });
    }
    case "at-risk": {
      const list = await atRiskAccounts(deps.prisma, workspace.id, command.segment);
      const where = command.segment ? ` in ${command.segment}` : "";
      // The title is escaped by the builder; the empty reply is mrkdwn (an emoji), so escaped here.
      return accountListMessage(`At risk${where}`, list, today, `No account is at risk${esc(where)}. :tada:`);
    }
    case "mine": {
      const list = await myAccounts(deps.prisma, workspace.id, userId);
      return accountListMessage(
        "Your accounts",
        list,
        today,
        "You own no account yet (owners come from the account data, matched to Slack users by email).",
      );
    }
    case "movers":
      return moversMessage(await movers(deps.prisma, workspace.id), today);
    case "renewals":
      // MRR and expected losses in money: like every reply here, ephemeral (see docs/slack.md).
      return renewalsMessage(await listRenewals(deps.prisma, workspace.id, today, command.days));
    case "watch": {
      const w = await watchAccount(deps, workspace.id, command.query, userId);
      return noticeMessage(
        w.already
          ? `You already watch *${esc(w.name)}*.`
          : `Watching *${esc(w.name)}*: I will send you a direct message when it changes band.`,
      );
    }
    case "unwatch": {
      const w = await unwatchAccount(deps, workspace.id, command.query, userId);
      return noticeMessage(
        w.was ? `Stopped watching *${esc(w.name)}*.` : `You were not watching *${esc(w.name)}*.`,
      );
    }
    case "note": {
      // Stored only when the query names one account exactly; otherwise the choices, and nothing.
      const target = await findNoteAccount(deps.sql, workspace.id, command.query);
      if (target.kind === "none") return noMatchMessage(target.query);
      if (target.kind === "choices") return notNotedMessage(target.query, target.matches, target);
      await addNote(deps.prisma, workspace.id, {
        accountId: target.account.id,
        author: userId,
        text: command.text,
      });
      return noticeMessage(`Noted on *${esc(target.account.name)}*.`);
    }
    case "plays": {
      // The preview names the accounts plays would fire for: the same admins as /css settings. When
      // Slack cannot say who is one, everyone still gets the list, without the preview.
      const preview = await isAdmin(client, userId).catch((e: unknown) => {
        deps.log.warn("users.info failed: /css plays answered without the preview", {
          error: (e as Error).message,
        });
        return null;
      });
      const view = await listPlays(deps, workspace.id, { today, preview: preview === true });
      return playsMessage({ ...view, previewUnavailable: preview === null });
    }
    default:
      return noticeMessage(`\`${COMMAND} ${command.kind}\` is not available yet.`);
  }
}
