// Tells a workspace's admins that a connector needs them: its credentials were refused (the sync
// stops), or its CRM refused a write-back field (write-back stops). Once per failure, in the
// workspace's alert channel when Slack is configured, and always in the audit log.
import { readSettings } from "../config/workspace-settings.ts";
import { audit } from "../db/repositories/audit-log.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../log.ts";
import type { SlackAccess } from "../slack/access.ts";
import { esc } from "../slack/blocks/text.ts";

type AlertDeps = { prisma: PrismaClient; slack?: SlackAccess | null; log: Logger };
type AlertedConnector = { id: number; workspaceId: number; name: string; kind: string };

export async function reportAuthFailure(
  deps: AlertDeps,
  connector: AlertedConnector,
  title: string,
  error: string,
): Promise<void> {
  await alertAdmins(
    deps,
    connector,
    "connector.auth_failed",
    authFailureText(connector, title, error),
    error,
  );
}

/** Write-back stopped for this connector because the CRM refused a field. */
export async function reportWriteBackRefused(
  deps: AlertDeps,
  connector: AlertedConnector,
  title: string,
  error: string,
): Promise<void> {
  await alertAdmins(
    deps,
    connector,
    "connector.write_back_refused",
    writeBackRefusedText(connector, title, error),
    error,
  );
}

async function alertAdmins(
  deps: AlertDeps,
  connector: AlertedConnector,
  action: string,
  text: string,
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
        await client.postMessage({ channel, text });
        told = channel;
      }
    } catch (e) {
      // The failure is recorded either way; a Slack outage must not hide it or retry the job.
      slackError = (e as Error).message;
      log.warn("could not tell Slack of a connector's failure", {
        connector: connector.id,
        action,
        error: slackError,
      });
    }
  }
  await audit(prisma, connector.workspaceId, {
    actor: "css-bot",
    action,
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
    // The vendor's words, shown as text: never a mention or a link in the alert channel.
    `${esc(error)}\n` +
    `Scores keep using the data synced so far. Update the credentials with ` +
    `\`css-bot connectors add ${connector.name} --kind ${connector.kind} --secret-file <file>\`.`
  );
}

export function writeBackRefusedText(connector: { name: string }, title: string, error: string): string {
  return (
    `:warning: Scores are no longer written to ${title} by the connector "${connector.name}": ${title} refused a field.\n` +
    // The vendor's words, shown as text: never a mention or a link in the alert channel.
    `${esc(error)}\n` +
    `Fix the field or the app's scopes (docs/connectors.md, "Write-back"), then turn write-back on again with ` +
    `\`css-bot connectors write-back ${connector.name} on\`.`
  );
}
