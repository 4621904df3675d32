// What is stored sealed with CSS_ENCRYPTION_KEY, workspace by workspace: without the key none of it
// can be opened (the track webhook answers 503, a connector's sync fails, an OAuth install cannot
// post, plays' webhook calls wait). The processes warn at start when the key is missing and something needs it; `css-bot
// doctor` asks the same question.
import type { PrismaClient } from "../generated/prisma/client.ts";

export interface SealedSecret {
  /** The workspace's slug. */
  workspace: string;
  kind: "track-secret" | "webhook-secret" | "connector" | "slack-installation";
  /** What it is, for a person: "the track signing secret", `connector "billing" (stripe)`. */
  what: string;
}

/** Every secret stored sealed, by workspace (deleted workspaces left out). Reads no secret. */
export async function findSealedSecrets(prisma: PrismaClient): Promise<SealedSecret[]> {
  const live = { deletedAt: null };
  const [tracked, signing, connectors, installations] = await Promise.all([
    prisma.workspace.findMany({ where: { ...live, trackSecret: { not: null } }, select: { slug: true } }),
    prisma.workspace.findMany({ where: { ...live, webhookSecret: { not: null } }, select: { slug: true } }),
    prisma.connectorConfig.findMany({
      where: { encryptedSecret: { not: null }, workspace: live },
      select: { name: true, kind: true, workspace: { select: { slug: true } } },
      orderBy: { name: "asc" },
    }),
    prisma.slackInstallation.findMany({
      where: { workspace: live },
      select: { workspace: { select: { slug: true, slackTeamId: true } } },
    }),
  ]);
  const found: SealedSecret[] = [
    ...tracked.map((w) => ({
      workspace: w.slug,
      kind: "track-secret" as const,
      what: "the track signing secret",
    })),
    ...signing.map((w) => ({
      workspace: w.slug,
      kind: "webhook-secret" as const,
      what: "the webhook signing secret",
    })),
    ...connectors.map((c) => ({
      workspace: c.workspace.slug,
      kind: "connector" as const,
      what: `connector "${c.name}" (${c.kind}) credentials`,
    })),
    ...installations.map(({ workspace: w }) => ({
      workspace: w.slug,
      kind: "slack-installation" as const,
      what: `the Slack installation${w.slackTeamId ? ` of team ${w.slackTeamId}` : ""}`,
    })),
  ];
  // By workspace; within one, the kinds in the order above (the sort is stable).
  return found.sort((a, b) => a.workspace.localeCompare(b.workspace));
}

/** The start-up warning when the key is missing and something needs it; null when all is well. */
export function missingKeyWarning(secrets: SealedSecret[]): string | null {
  if (secrets.length === 0) return null;
  const listed = secrets.map((s) => `${s.workspace}: ${s.what}`);
  return (
    `CSS_ENCRYPTION_KEY is not set, but ${secrets.length} stored secret${secrets.length === 1 ? " needs" : "s need"} it ` +
    `(${listed.join("; ")}): the track webhook answers 503, syncs and OAuth installs that need them fail, and plays' webhook calls wait. ` +
    "Set CSS_ENCRYPTION_KEY to the key they were stored with"
  );
}
