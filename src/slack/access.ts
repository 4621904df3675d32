// Slack for a workspace, outside a request (jobs): its bot token (the environment's in single-
// workspace mode, the sealed installation's in OAuth mode) through the one gateway.
import type { SlackConfig } from "../config/slack.ts";
import type { PrismaClient, Workspace } from "../generated/prisma/client.ts";
import { silentLogger } from "../log.ts";
import { SecretBoxError, type SecretBox } from "../security/secret-box.ts";
import type { SlackConnection } from "./connection.ts";
import { SlackGateway, type WorkspaceSlack } from "./gateway.ts";
import { createInstallationStore, InstallationError } from "./installation-store.ts";

export interface SlackAccess {
  /** Null when the workspace is not connected to Slack (a local workspace, or not installed). */
  forWorkspace(workspace: Workspace): Promise<WorkspaceSlack | null>;
}

export function createSlackAccess(o: {
  config: SlackConfig;
  gateway: SlackGateway;
  prisma: PrismaClient;
  box: SecretBox | null;
  /** Single-workspace mode: the start-up check, which binds the css workspace to the token's team. */
  connection?: SlackConnection | null;
}): SlackAccess {
  const store = o.config.mode === "oauth" && o.box ? createInstallationStore(o.prisma, o.box) : null;
  return {
    async forWorkspace(workspace) {
      // A job may have read its workspace just before the start-up check bound it.
      const teamId = workspace.slackTeamId ?? boundTeam(o.connection, workspace);
      if (!teamId) return null;
      if (o.config.mode === "single") return o.gateway.forToken(o.config.botToken!, teamId);
      if (!store) return null;
      const installation = await store.fetchInstallation({
        teamId,
        isEnterpriseInstall: false,
        enterpriseId: undefined,
      });
      const token = installation.bot?.token;
      return token ? o.gateway.forToken(token, teamId) : null;
    },
  };
}

function boundTeam(connection: SlackConnection | null | undefined, workspace: Workspace): string | null {
  const bound = connection?.boundWorkspace();
  return bound?.id === workspace.id ? bound.slackTeamId : null;
}

/** A workspace's Slack for a one-off command (`doctor`, `settings set`), or why there is none. */
export type CommandSlack =
  | { state: "off" }
  /** `severe`: something is broken (a token that cannot be read), not merely not installed. */
  | { state: "unavailable"; message: string; fix: string; severe: boolean }
  | { state: "ready"; slack: WorkspaceSlack; mode: SlackConfig["mode"] };

/**
 * Unlike a job's, in one-workspace mode the token serves before Slack's first request has connected
 * the workspace to its team, so that a command can check the channels while an admin sets them up.
 * Calls are not paced (no Redis): a command makes a handful.
 */
export async function slackForCommand(o: {
  config: SlackConfig | null;
  prisma: PrismaClient;
  box: SecretBox | null;
  workspace: Workspace;
}): Promise<CommandSlack> {
  const { config, workspace } = o;
  if (!config) return { state: "off" };
  const gateway = new SlackGateway({
    apiUrl: config.apiUrl,
    timeoutMs: config.timeoutMs,
    redis: null,
    keyPrefix: "",
    log: silentLogger,
  });
  if (config.mode === "single") {
    const slack = gateway.forToken(config.botToken!, workspace.slackTeamId ?? "unconnected");
    return { state: "ready", slack, mode: "single" };
  }
  const install = "install the app in the Slack workspace from https://<host>/slack/install";
  if (!workspace.slackTeamId) {
    return {
      state: "unavailable",
      message: `workspace "${workspace.slug}" is not installed in any Slack team (OAuth installs create the workspaces slack-<team id>)`,
      fix: `${install}, or name the installed one with --workspace slack-<team id>`,
      severe: false,
    };
  }
  try {
    const slack = await createSlackAccess({ config, gateway, prisma: o.prisma, box: o.box }).forWorkspace(
      workspace,
    );
    if (slack) return { state: "ready", slack, mode: "oauth" };
    const message = "the stored installation has no bot token";
    return { state: "unavailable", message, fix: install, severe: true };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof SecretBoxError) {
      const fix = "set CSS_ENCRYPTION_KEY to the key the installation was stored with";
      return { state: "unavailable", message, fix, severe: true };
    }
    return { state: "unavailable", message, fix: install, severe: !(error instanceof InstallationError) };
  }
}
