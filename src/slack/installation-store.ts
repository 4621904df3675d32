// Bolt's installation store for multi-workspace installs, in PostgreSQL. The installation (bot token
// included) is stored sealed with AES-256-GCM, bound to its team id; it never reaches a log.
// Installing the app into a team creates that team's workspace, or reconnects the one it had.
import type { Installation, InstallationQuery, InstallationStore } from "@slack/bolt";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { KnownError } from "../errors.ts";
import type { SecretBox } from "../security/secret-box.ts";

export class InstallationError extends KnownError {
  readonly code = "SLACK_INSTALLATION";
}

/** What a team's sealed installation is bound to (SecretBox's associated data). */
export const installationContext = (teamId: string) => `slack-installation:${teamId}`;

/** The slug of a workspace created by an install: stable, and valid for the CLI's --workspace. */
export function slugForTeam(teamId: string): string {
  return `slack-${teamId.toLowerCase()}`;
}

export function createInstallationStore(prisma: PrismaClient, box: SecretBox): InstallationStore {
  return {
    async storeInstallation(installation) {
      const teamId = installation.team?.id;
      if (installation.isEnterpriseInstall || !teamId) {
        throw new InstallationError(
          "org-wide (Enterprise Grid) installs are not supported: install per workspace",
        );
      }
      const sealed = box.seal(JSON.stringify(installation), installationContext(teamId));
      await prisma.$transaction(async (tx) => {
        const workspace =
          (await tx.workspace.findFirst({ where: { slackTeamId: teamId } })) ??
          (await tx.workspace.upsert({
            where: { slug: slugForTeam(teamId) },
            update: { slackTeamId: teamId },
            create: {
              slug: slugForTeam(teamId),
              name: installation.team?.name ?? teamId,
              slackTeamId: teamId,
            },
          }));
        if (workspace.deletedAt) {
          await tx.workspace.update({ where: { id: workspace.id }, data: { deletedAt: null } });
        }
        const data = {
          enterpriseId: installation.enterprise?.id ?? null,
          botUserId: installation.bot?.userId ?? null,
          scopes: installation.bot?.scopes ?? [],
          encryptedInstall: Uint8Array.from(sealed),
        };
        await tx.slackInstallation.upsert({
          where: { workspaceId: workspace.id },
          update: data,
          create: { workspaceId: workspace.id, ...data },
        });
        await tx.auditLogEntry.create({
          data: {
            workspaceId: workspace.id,
            actor: installation.user.id,
            action: "slack.install",
            details: { scopes: data.scopes },
          },
        });
      });
    },

    async fetchInstallation(query: InstallationQuery<boolean>) {
      const teamId = query.teamId;
      if (!teamId) throw new InstallationError("org-wide (Enterprise Grid) installs are not supported");
      const row = await prisma.slackInstallation.findFirst({
        where: { workspace: { slackTeamId: teamId, deletedAt: null } },
      });
      if (!row) throw new InstallationError(`css-bot is not installed in Slack team ${teamId}`);
      return JSON.parse(box.open(row.encryptedInstall, installationContext(teamId))) as Installation<
        "v2",
        false
      >;
    },

    async deleteInstallation(query: InstallationQuery<boolean>) {
      if (!query.teamId) return;
      await prisma.slackInstallation.deleteMany({ where: { workspace: { slackTeamId: query.teamId } } });
    },
  };
}
