// Tells a workspace's admins that a connector's credentials were refused: once per failure streak,
// in the workspace's alert channel when Slack is configured, and always in the audit log.
import { readSettings } from "../config/workspace-settings.ts";
import { audit } from "../db/repositories/audit-log.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../log.ts";
import type { SlackAccess } from "../slack/access.ts";

export async function reportAuthFailure(
  deps: { prisma: PrismaClient; slack?: SlackAccess | null; log: Logger },
  connector: { id: number; workspaceId: number; name: string; kind: string },
  title: string,
  error: string,
): Promise<void> {
  const { prisma, log } = deps;
  const workspace = await prisma.workspace.findUnique({ where: { id: connector.workspaceId } });
  const channel = workspace ? readSettings(workspace.settings).alert_channel : null;
  let told: string | null = null;
  let slackError: string | null = null;
  if (workspace && channel && deps.slack) {
    try {
      const client = await deps.slack.forWorkspace(workspace);
      if (client) {
        await client.postMessage({ channel, text: authFailureText(connector, title, error) });
        told = channel;
      }
    } catch (e) {
      // The failure is recorded either way; a Slack outage must not hide it or retry the sync.
      slackError = (e as Error).message;
      log.warn("could not tell Slack of a connector's auth failure", {
        connector: connector.id,
        error: slackError,
      });
    }
  }
  await audit(prisma, connector.workspaceId, {
    actor: "css-bot",
    action: "connector.auth_failed",
    target: connector.name,
    details: { kind: connector.kind, error, slack_channel: told, slack_error: slackError },
  });
}

/** The Slack message (plain text, so it needs no blocks and reads the same in notifications). */
export function authFailureText(
  connector: { name: string; kind: string },
  title: string,
  error: string,
): string {
  return (
    `:warning: The ${title} connector "${connector.name}" can no longer sync: its credentials were refused.\n` +
    `${error}\n` +
    `Scores keep using the data synced so far. Update the credentials with ` +
    `\`css-bot connectors add ${connector.name} --kind ${connector.kind} --secret-file <file>\`.`
  );
}
