// connector_failed plays: a sync that fails (the first failure of a streak) fires them for the
// connector, once a day at most; the next notification pass delivers them (deliver-fires.ts).
import { readSettings } from "../../config/workspace-settings.ts";
import { activePlaybook } from "../../db/repositories/playbooks.ts";
import { formatDay } from "../../domain/dates.ts";
import type { FailedConnector } from "../../domain/plays/facts.ts";
import { quietUntil } from "../../domain/plays/guards.ts";
import { connectorFailedHit } from "../../domain/plays/triggers.ts";
import { localDay } from "../../domain/schedule/slots.ts";
import type { PrismaClient } from "../../generated/prisma/client.ts";

/** Records the fires of the plays a failed connector triggers; returns how many were recorded. */
export async function fireConnectorPlays(
  prisma: PrismaClient,
  workspaceId: number,
  connector: FailedConnector,
  now: Date = new Date(),
): Promise<number> {
  const workspace = await prisma.workspace.findUnique({ where: { id: workspaceId } });
  if (!workspace) return 0;
  const settings = readSettings(workspace.settings);
  const { playbook } = await activePlaybook(prisma, workspaceId);
  const day = formatDay(localDay(now, settings.timezone));
  const held = quietUntil(now, settings.timezone, playbook.quiet_hours);
  let recorded = 0;
  for (const play of playbook.plays) {
    if (!("connector_failed" in play.trigger)) continue;
    const hit = connectorFailedHit(play.trigger, connector);
    if (!hit) continue;
    const status = play.respect_quiet_hours && held ? "held" : "planned";
    recorded += await prisma.$executeRawUnsafe(
      `INSERT INTO play_fires (workspace_id, play_key, subject, local_date, trigger, status, held_until)
       VALUES ($1, $2, $3, $4::date, $5::jsonb, $6, $7)
       ON CONFLICT (workspace_id, play_key, subject, local_date) DO NOTHING`,
      workspaceId,
      play.key,
      `connector:${connector.id}`,
      day,
      JSON.stringify({ kind: hit.kind, summary: hit.summary, ...hit.facts }),
      status,
      status === "held" ? held : null,
    );
  }
  return recorded;
}
