// Posts a workspace's digest for one local day to its digest channel: exactly once per channel and
// day, whatever the retries, restarts and workers. The digest's row (unique per workspace, channel
// and day) is claimed before posting; each message's ts is stored as soon as Slack accepts it, so a
// retry continues after the last message posted instead of starting over; and a message whose answer
// was lost (a timeout) is looked for by its metadata before it is sent again (slack/post-once.ts).
import { readSettings } from "../config/workspace-settings.ts";
import { dayToDate, formatDay, type Day } from "../domain/dates.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { digestMessages } from "../slack/blocks/digest.ts";
import type { WorkspaceSlack } from "../slack/gateway.ts";
import { digestMetadata, postOnce, type PostAttempt } from "../slack/post-once.ts";
import { SlackPermanentError } from "../slack/slack-errors.ts";
import { silentLogger, type Logger } from "../log.ts";
import { bandMixChart } from "./band-mix-chart.ts";
import { buildDigest, changeCount } from "./build-digest.ts";

/** What the digest needs of Slack: messages (and finding one), the token's scopes, the chart's upload. */
export type DigestSlack = Pick<WorkspaceSlack, "postMessage" | "findPosted" | "scopes" | "uploadFile">;

/** What became of the band-mix chart: posted, or why not. */
export type ChartOutcome = "posted" | "no-changes" | "no-scope" | "no-data" | "refused";

export type DigestOutcome =
  | { status: "posted"; messages: number; changes: number; chart: ChartOutcome }
  | { status: "already-posted" | "in-progress" | "no-channel" | "no-slack" };

/** How long a claim holds: a worker killed mid-digest leaves it to another after this. */
const CLAIM_MS = 5 * 60_000;

export async function postDigest(
  prisma: PrismaClient,
  workspaceId: number,
  localDate: Day,
  slack: DigestSlack | null,
  log: Logger = silentLogger,
): Promise<DigestOutcome> {
  const workspace = await prisma.workspace.findUniqueOrThrow({ where: { id: workspaceId } });
  const channel = readSettings(workspace.settings).digest_channel;
  if (!channel) return { status: "no-channel" };
  if (!slack) return { status: "no-slack" };
  const day = dayToDate(localDate);
  // INSERT ... ON CONFLICT, not Prisma's upsert (a read then a write): two workers at once must
  // both end up with the one row.
  await prisma.$executeRawUnsafe(
    `INSERT INTO digests (workspace_id, channel_id, local_date) VALUES ($1, $2, $3::date)
     ON CONFLICT (workspace_id, channel_id, local_date) DO NOTHING`,
    workspaceId,
    channel,
    formatDay(localDate),
  );
  const row = await prisma.digest.findUniqueOrThrow({
    where: { workspaceId_channelId_localDate: { workspaceId, channelId: channel, localDate: day } },
  });
  if (row.status === "posted") return { status: "already-posted" };
  const claimed = await prisma.digest.updateMany({
    where: {
      id: row.id,
      OR: [
        { status: { in: ["pending", "failed"] } },
        { status: "posting", postedAt: { lt: new Date(Date.now() - CLAIM_MS) } },
      ],
    },
    data: { status: "posting", postedAt: new Date(), error: null },
  });
  if (claimed.count === 0) return { status: "in-progress" };
  try {
    const view = await buildDigest(prisma, workspaceId, localDate, channel);
    const messages = digestMessages(view);
    const current = await prisma.digest.findUniqueOrThrow({ where: { id: row.id } });
    const sent = [...current.messageTs];
    // Only the next part can have been tried without an answer.
    let attemptAt = current.attemptAt;
    for (let i = sent.length; i < messages.length; i++) {
      const m = messages[i]!;
      const attempt: PostAttempt = {
        at: attemptAt,
        begin: (at) => prisma.digest.update({ where: { id: row.id }, data: { attemptAt: at } }),
        forget: () => prisma.digest.update({ where: { id: row.id }, data: { attemptAt: null } }),
      };
      const message = { channel, text: m.text, blocks: m.blocks };
      const posted = await postOnce(slack, message, digestMetadata(row.id, i), attempt);
      sent.push(posted.ts);
      attemptAt = null;
      await prisma.digest.update({ where: { id: row.id }, data: { messageTs: sent, attemptAt: null } });
    }
    // Last, so that a failure to upload it never holds the text back; a transient one retries the
    // job, which finds the messages posted and tries the chart again.
    // A day without band changes gets its one line and no chart (the portfolio is not repeated).
    const chart =
      changeCount(view) === 0
        ? "no-changes"
        : await postChart(prisma, workspaceId, localDate, channel, slack, log);
    // Every change the digest settles (one array parameter: a digest may settle thousands).
    await prisma.$transaction([
      prisma.$executeRawUnsafe(
        `UPDATE band_changes SET digested_at = now()
         WHERE workspace_id = $1 AND digested_at IS NULL
           AND (id = ANY($2::bigint[]) OR as_of < $3::date)`,
        workspaceId,
        view.settles.ids.map(String),
        view.settles.before === null ? null : formatDay(view.settles.before),
      ),
      prisma.digest.update({ where: { id: row.id }, data: { status: "posted", postedAt: new Date() } }),
    ]);
    return { status: "posted", messages: messages.length, changes: changeCount(view), chart };
  } catch (error) {
    await prisma.digest.update({
      where: { id: row.id },
      data: { status: "failed", error: (error as Error).message.slice(0, 2000) },
    });
    throw error;
  }
}

/**
 * Uploads the band-mix chart to the digest's channel when the app may (files:write). Slack refusing
 * it for good (a permanent error, recorded by the gateway for admins) leaves the digest as posted.
 */
async function postChart(
  prisma: PrismaClient,
  workspaceId: number,
  localDate: Day,
  channel: string,
  slack: DigestSlack,
  log: Logger,
): Promise<ChartOutcome> {
  const scopes = await slack.scopes();
  if (scopes !== null && !scopes.includes("files:write")) return "no-scope";
  const chart = await bandMixChart(prisma, workspaceId, localDate);
  if (chart.input.counts.size === 0) return "no-data";
  try {
    await slack.uploadFile({
      channel,
      filename: `band-mix-${formatDay(localDate)}.png`,
      title: `Band mix, last ${chart.input.days.length} days`,
      bytes: chart.png,
      initialComment: chart.summary,
      altText: chart.summary,
    });
    return "posted";
  } catch (error) {
    if (!(error instanceof SlackPermanentError)) throw error;
    log.warn("digest chart refused by Slack; the digest itself was posted", { error: error.message });
    return "refused";
  }
}
