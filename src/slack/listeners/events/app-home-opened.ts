// The App Home tab: published each time the user opens it (and after they act on it).
import type { App, Context } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
import { loadHome } from "../../../services/home.ts";
import { homeView } from "../../blocks/home.ts";
import { workspaceOf, type SlackDeps } from "../../context.ts";

export async function publishHome(deps: SlackDeps, context: Context, client: WebClient, userId: string) {
  const workspace = workspaceOf(context);
  const today = deps.today(workspace);
  const view = homeView(await loadHome(deps.prisma, workspace.id, userId, today), today);
  await client.views.publish({ user_id: userId, view });
}

export function registerAppHomeOpened(app: App, deps: SlackDeps): void {
  app.event("app_home_opened", async ({ event, context, client }) => {
    if (event.tab !== "home") return;
    try {
      await publishHome(deps, context, client, event.user);
    } catch (error) {
      deps.log.warn("app home not published", { error: (error as Error).message });
    }
  });
}
