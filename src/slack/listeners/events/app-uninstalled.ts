// The app was removed from a workspace (or its tokens revoked): forget the sealed installation so no
// job keeps calling Slack with a dead token. The workspace's data stays until an admin deletes it.
import type { App } from "@slack/bolt";
import type { SlackDeps } from "../../context.ts";

export function registerAppUninstalled(app: App, deps: SlackDeps): void {
  const forget = async (teamId: string | undefined, why: string) => {
    if (!teamId) return;
    const removed = await deps.prisma.slackInstallation.deleteMany({
      where: { workspace: { slackTeamId: teamId } },
    });
    deps.log.info("slack installation removed", { team: teamId, why, removed: removed.count });
  };
  app.event("app_uninstalled", async ({ context }) => forget(context.teamId, "app_uninstalled"));
  app.event("tokens_revoked", async ({ event, context }) => {
    if ((event.tokens.bot ?? []).length > 0) await forget(context.teamId, "tokens_revoked");
  });
}
