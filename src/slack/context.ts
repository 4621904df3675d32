// What every listener gets besides Bolt's arguments: the services' dependencies, and the workspace
// of the Slack team the request came from (resolved once per request by a middleware in app.ts).
// Every query a listener makes is scoped by that workspace's id.
import { randomUUID } from "node:crypto";
import type { Context } from "@slack/bolt";
import type { WorkspaceSettings } from "../config/workspace-settings.ts";
import type { Day } from "../domain/dates.ts";
import type { SqlClient } from "../db/handle.ts";
import { KnownError } from "../errors.ts";
import type { PrismaClient, Workspace } from "../generated/prisma/client.ts";
import type { Logger } from "../log.ts";
import type { CaseSlack } from "../services/at-risk-cases.ts";
import type { SlackMessage } from "./blocks/account-card.ts";
import { noticeMessage } from "./blocks/replies.ts";

export interface SlackDeps {
  prisma: PrismaClient;
  /** The driver itself, for the hot reads of a lookup (see db/handle.ts). */
  sql: SqlClient;
  log: Logger;
  /** Slack for the request's workspace (its bot token), through the gateway. */
  slackFor(context: Context): CaseSlack;
  /** Called after settings were saved from Slack: moves the workspace's schedules. */
  onSettingsChanged?(workspaceId: number, settings: WorkspaceSettings): Promise<void>;
  /** Today's date where the workspace is (renewals "in 12 days"). */
  today(workspace: Workspace): Day;
}

export class WorkspaceNotConnectedError extends KnownError {
  readonly code = "WORKSPACE_NOT_CONNECTED";
  constructor() {
    super("This Slack workspace is not connected to css-bot yet: ask your admin to install it.");
  }
}

export function workspaceOf(context: Context): Workspace {
  const workspace = context.cssWorkspace as Workspace | undefined;
  if (!workspace) throw new WorkspaceNotConnectedError();
  return workspace;
}

/** When the request arrived (performance.now()), as the first middleware saw it. */
export function arrivalOf(context: Context): number {
  return typeof context.arrivedAt === "number" ? context.arrivedAt : performance.now();
}

/**
 * Runs `work` and turns its failure into a message for the user: a known error says what to do; an
 * unknown one is logged with an id the user can quote, and says only that.
 */
export async function replyOrExplain(
  deps: SlackDeps,
  where: string,
  work: () => Promise<SlackMessage>,
): Promise<SlackMessage> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof KnownError) return noticeMessage(error.message);
    const id = randomUUID().slice(0, 8);
    deps.log.error("slack listener failed", { where, error_id: id, error: (error as Error).message });
    return noticeMessage(`Something went wrong on our side (error ${id}). Please try again in a minute.`);
  }
}
