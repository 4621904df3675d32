// Slack for a workspace, outside a request (jobs): its bot token (the environment's in single-
// workspace mode, the sealed installation's in OAuth mode) through the one gateway.
import type { SlackConfig } from "../config/slack.ts";
import type { PrismaClient, Workspace } from "../generated/prisma/client.ts";
import type { SecretBox } from "../security/secret-box.ts";
import type { SlackConnection } from "./connection.ts";
import type { SlackGateway, WorkspaceSlack } from "./gateway.ts";
import { createInstallationStore } from "./installation-store.ts";

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
