// css-bot doctor: every check in order, each a small function of its own file. It reports and
// changes nothing: the database is opened without migrating, Slack is only read.
import type { SlackConfig } from "../../config/slack.ts";
import { readSettings } from "../../config/workspace-settings.ts";
import { isUserGroupId } from "../../domain/cases/who-may-act.ts";
import type { Database } from "../../db/client.ts";
import { settingEverChanged } from "../../db/repositories/audit-log.ts";
import { listConnectors } from "../../db/repositories/connectors.ts";
import { findActiveModel } from "../../db/repositories/models.ts";
import { activePlaybook } from "../../db/repositories/playbooks.ts";
import { DEFAULT_MODEL } from "../../domain/model/default-model.ts";
import { findWorkspace, findWorkspaceByTeam } from "../../db/repositories/workspaces.ts";
import type { PrismaClient, Workspace } from "../../generated/prisma/client.ts";
import type { SecretBox } from "../../security/secret-box.ts";
import type { CommandSlack } from "../../slack/access.ts";
import { ALERT_CHANNEL, checkChannel, DIGEST_CHANNEL } from "./channels.ts";
import { fail, ok, report, type Check, type DoctorReport } from "./check.ts";
import { checkChurnProbability } from "./churn-probability.ts";
import { checkConnector, checkWriteBack } from "./connectors.ts";
import { checkDatabase, checkMigrations } from "./database.ts";
import { checkEncryptionKey } from "./encryption.ts";
import { checkPlaybook } from "./playbook.ts";
import { checkRedisServer } from "./redis.ts";
import { checkSettingsTimeZone } from "./settings.ts";
import { checkSlackScopes, checkSlackTeam, checkSlackToken } from "./slack.ts";

export interface DoctorDeps {
  /** Opens the database without migrating it. */
  openDatabase: () => Promise<Database>;
  /** Where the database is, for the message: its masked URL, or the embedded database's directory. */
  databaseWhere: string;
  workspaceSlug: string;
  /** CSS_WORKSPACE: the workspace one-workspace mode connects to Slack. */
  defaultWorkspace: string;
  redisUrl: string;
  slack: SlackConfig | null;
  box: SecretBox | null;
  slackFor: (prisma: PrismaClient, workspace: Workspace) => Promise<CommandSlack>;
  now: Date;
}

export async function runDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const database = await checkDatabase(deps.openDatabase, deps.databaseWhere);
  const checks = [database.check];
  const db = database.db;
  try {
    // The workspace's checks read tables a pending migration may not have made yet.
    const migrations = db ? await checkMigrations(db) : null;
    if (migrations) checks.push(migrations.check);
    checks.push(...(await checkRedisServer(deps.redisUrl)));
    if (db && migrations?.current) checks.push(...(await workspaceChecks(db.prisma, deps)));
  } finally {
    await db?.close();
  }
  return report(checks);
}

async function workspaceChecks(prisma: PrismaClient, deps: DoctorDeps): Promise<Check[]> {
  const workspace = await findWorkspace(prisma, deps.workspaceSlug);
  if (!workspace) return [await missingWorkspace(prisma, deps.workspaceSlug)];
  const checks = [ok("workspace", `"${workspace.slug}"`)];
  const access = await deps.slackFor(prisma, workspace);
  const token = await checkSlackToken(access);
  checks.push(token.check);
  if (token.slack && token.teamId) {
    const usesUserGroup = isUserGroupId(readSettings(workspace.settings).case_actors);
    checks.push(await checkSlackScopes(token.slack, usesUserGroup));
    if (deps.slack?.mode === "single") {
      const connected = await findWorkspaceByTeam(prisma, token.teamId);
      checks.push(
        checkSlackTeam({
          workspace,
          teamId: token.teamId,
          connected,
          defaultWorkspace: deps.defaultWorkspace,
        }),
      );
    }
  }
  const why =
    access.state === "off"
      ? "Slack is not configured"
      : access.state === "unavailable"
        ? "the workspace has no Slack token to use"
        : "Slack did not accept the token, or did not answer";
  const settings = readSettings(workspace.settings);
  checks.push(await checkChannel(DIGEST_CHANNEL, settings.digest_channel, token.slack, why));
  checks.push(await checkChannel(ALERT_CHANNEL, settings.alert_channel, token.slack, why));
  const timezoneChosen = await settingEverChanged(prisma, workspace.id, "timezone");
  checks.push(checkSettingsTimeZone(workspace.settings, timezoneChosen));
  const connectors = await prisma.connectorConfig.findMany({
    where: { workspaceId: workspace.id },
    select: { id: true, name: true, encryptedSecret: true },
  });
  const install = await prisma.slackInstallation.findUnique({
    where: { workspaceId: workspace.id },
    select: { encryptedInstall: true },
  });
  checks.push(
    checkEncryptionKey(deps.box, {
      workspaceId: workspace.id,
      oauth: deps.slack?.mode === "oauth",
      installation:
        install && workspace.slackTeamId
          ? { teamId: workspace.slackTeamId, sealed: install.encryptedInstall }
          : null,
      trackSecret: workspace.trackSecret,
      webhookSecret: workspace.webhookSecret,
      connectors,
    }),
  );
  const active = await findActiveModel(prisma, workspace.id);
  const model = active?.model ?? DEFAULT_MODEL;
  checks.push(checkPlaybook(await activePlaybook(prisma, workspace.id), model, settings));
  checks.push(checkChurnProbability({ model, version: active?.version ?? null }));
  for (const connector of await listConnectors(prisma, workspace.id)) {
    checks.push(checkConnector(connector, settings.timezone, deps.now));
    const writeBack = checkWriteBack(connector);
    if (writeBack) checks.push(writeBack);
  }
  return checks;
}

async function missingWorkspace(prisma: PrismaClient, slug: string): Promise<Check> {
  const others = await prisma.workspace.findMany({
    where: { deletedAt: null },
    select: { slug: true },
    orderBy: { slug: "asc" },
    take: 10,
  });
  const known = others.length
    ? ` (there are: ${others.map((w) => w.slug).join(", ")})`
    : " (there are none yet)";
  const create = `npx css-bot --workspace ${slug} import accounts FILE (creates it)`;
  return fail(
    "workspace",
    `no workspace "${slug}"${known}`,
    others.length ? `npx css-bot --workspace <one of them> doctor, or ${create}` : create,
  );
}
