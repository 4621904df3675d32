// Exactly once toward Slack when its answers come too late: the running bot (`css-bot start`,
// SLACK_TIMEOUT_MS 3 s) posts the at-risk threads of 40 accounts and a digest while the fake Slack
// stores every post at once but answers only after 4.5 s, for 15 s. Every post of that time fails
// in the bot's eyes although it arrived; the retries must find them instead of posting again.
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { digestTick } from "../../src/jobs/definitions/digest-tick.ts";
import { enqueue } from "../../src/jobs/enqueue.ts";
import { openQueues } from "../../src/jobs/queues.ts";
import { settingsChanged } from "../../src/jobs/settings-changed.ts";
import { updateSettings } from "../../src/services/workspace-settings.ts";
import { workspaceToday } from "../../src/slack/workspace-today.ts";
import { waitFor } from "../../src/sandbox/wait-for.ts";
import { importPortfolio } from "../../test/support/portfolio.ts";
import type { Cleanup } from "../support/lifecycle.ts";
import { benchRedisUrl } from "../support/queue-keys.ts";
import { startBot } from "./bot.ts";
import type { ChaosFigure } from "./figure.ts";

const CASES = 40;
const TIMEOUT_MS = 3000;
const SLOW_MS = 4500;
const SLOW_FOR_MS = 15_000;

export async function slowSlack(cleanups: Cleanup[]): Promise<ChaosFigure[]> {
  const { fake, env, scratch } = await startBot(cleanups, { SLACK_TIMEOUT_MS: String(TIMEOUT_MS) });
  fake.addChannel({ id: "C0ALERTS", name: "cs-alerts" });
  fake.addChannel({ id: "C0DIGEST", name: "cs-digest" });
  const db = await scratch.open();
  cleanups.push(() => db.close());
  const queues = openQueues(benchRedisUrl, env.CSS_QUEUE_PREFIX!);
  cleanups.push(() => queues.close());
  const workspace = await ensureWorkspace(db.prisma, "local");
  await importPortfolio(db.prisma, workspace.id, { accounts: CASES });
  await db.prisma.$executeRawUnsafe(
    `UPDATE accounts SET status = 'active', current_band = 'at_risk', current_score = 30 WHERE workspace_id = $1`,
    workspace.id,
  );
  const settings = await updateSettings(
    db.prisma,
    workspace.id,
    { alert_channel: "C0ALERTS", digest_channel: "C0DIGEST", case_threads_per_day: 100 },
    "chaos",
  );
  const callsBefore = fake.calls.length;
  fake.setSlowAfterCommit(SLOW_MS);
  const fast = setTimeout(() => fake.setSlowAfterCommit(0), SLOW_FOR_MS);
  cleanups.push(() => Promise.resolve(clearTimeout(fast)));
  await settingsChanged(queues, workspace.id, settings);
  const today = workspaceToday(await db.prisma.workspace.findUniqueOrThrow({ where: { id: workspace.id } }));
  await enqueue(
    queues,
    digestTick,
    { workspaceId: workspace.id, localDate: today },
    `digest-chaos-${Date.now()}`,
  );
  await waitFor(
    async () => {
      const threads = await db.prisma.followUp.count({
        where: { workspaceId: workspace.id, threadTs: { not: null } },
      });
      const digest = await db.prisma.digest.count({ where: { workspaceId: workspace.id, status: "posted" } });
      return threads === CASES && digest === 1 ? true : undefined;
    },
    300_000,
    `${CASES} threads and the digest`,
  );
  const parents = fake
    .messages("C0ALERTS")
    .filter(
      (m) =>
        m.metadata?.event_type === "css_case" &&
        JSON.stringify(m.metadata.event_payload).includes(`"part":"thread"`),
    );
  const perCase = new Map<string, number>();
  for (const m of parents) {
    const id = String((m.metadata!.event_payload as Record<string, unknown>).case_id);
    perCase.set(id, (perCase.get(id) ?? 0) + 1);
  }
  const once = [...perCase.values()].filter((n) => n === 1).length;
  const digests = fake
    .messages("C0DIGEST")
    .filter(
      (m) =>
        m.metadata?.event_type === "css_digest" &&
        JSON.stringify(m.metadata.event_payload).includes('"part":0'),
    );
  const posts = fake.calls.slice(callsBefore).filter((c) => c.method === "chat.postMessage").length;
  const looks = fake.calls
    .slice(callsBefore)
    .filter((c) => c.method === "conversations.history" || c.method === "conversations.replies").length;
  return [
    {
      name: "posted exactly once under slow Slack",
      figure: `${once}/${CASES} threads, ${digests.length}/1 digest`,
      detail:
        `Slack answering in ${SLOW_MS / 1000} s (client timeout ${TIMEOUT_MS / 1000} s) for ${SLOW_FOR_MS / 1000} s: ` +
        `${posts} chat.postMessage calls, ${looks} look-ups before a retry; ${parents.length} thread parents in the channel`,
      ok: once === CASES && parents.length === CASES && digests.length === 1,
    },
  ];
}
