// Pacing of Slack Web API calls, shared through Redis by every worker process, so that together they
// stay under Slack's limits instead of each discovering them through HTTP 429. BullMQ's open-source
// edition limits a whole queue, not a key such as a channel, hence this small limiter of our own.
// Each key holds the time its next call may start; a call reserves the first free slot atomically.
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import { SlackRateLimitedError } from "./slack-errors.ts";

// https://docs.slack.dev/apis/web-api/rate-limits: limits apply per method, per workspace, per app.
// Spacing calls evenly gives up the bursts Slack tolerates, in exchange for never being refused.
const TIER_2 = 60_000 / 20;
const TIER_3 = 60_000 / 50;
const TIER_4 = 60_000 / 100;

/**
 * chat.postMessage's "special" limit: about one message per second per channel (short bursts
 * tolerated, not guaranteed). Paced per channel rather than per method.
 */
export const CHANNEL_POST_INTERVAL_MS = 1000;

/** Per workspace, from the tier on each method's page under docs.slack.dev/reference/methods. */
export const METHOD_INTERVAL_MS: Record<string, number> = {
  "auth.test": TIER_4, // "special"; Tier 4 is a floor far above what the bot needs
  "chat.getPermalink": TIER_4, // "special", with no published figure
  "chat.postEphemeral": TIER_4, // not a channel post: it reaches one user and has a tier of its own
  "chat.update": TIER_3,
  // Tier 3 for internal and Marketplace apps; an app distributed outside the Marketplace gets far
  // less (docs.slack.dev/reference/methods/conversations.history): these are read only to find a
  // post whose answer was lost.
  "conversations.history": TIER_3,
  "conversations.info": TIER_3,
  "conversations.open": TIER_3,
  "conversations.replies": TIER_3,
  "files.completeUploadExternal": TIER_4,
  "files.getUploadURLExternal": TIER_4,
  "users.info": TIER_4,
  "users.list": TIER_2,
  "users.lookupByEmail": TIER_3,
  "usergroups.list": TIER_2,
  "views.publish": TIER_4,
};

export interface PaceSlot {
  key: string;
  intervalMs: number;
}

// KEYS: the keys one call needs; ARGV[1]: the longest acceptable wait in ms; ARGV[1 + i]: the interval of
// KEYS[i]. Redis's own clock, so the machines' clocks need not agree. All keys get the same slot (the
// latest of their next free times) or, when that is too far off, none is touched and -wait comes back.
const RESERVE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slot = now
for i = 1, #KEYS do
  local nextFree = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  if nextFree > slot then slot = nextFree end
end
local wait = slot - now
if wait > tonumber(ARGV[1]) then return -wait end
for i = 1, #KEYS do
  local interval = tonumber(ARGV[i + 1])
  redis.call('SET', KEYS[i], slot + interval, 'PX', wait + interval)
end
return wait
`;
const COMMAND = "cssBotSlackPaceReserve";

interface PaceCommands {
  [COMMAND](numKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
}

export class SlackPacer {
  constructor(
    private readonly redis: Redis,
    /** Key prefix, e.g. "css-bot:slack-pace". */
    private readonly prefix: string,
  ) {
    // EVALSHA with a fallback to EVAL: the script travels once per connection, not once per call.
    redis.defineCommand(COMMAND, { lua: RESERVE_SCRIPT });
  }

  /**
   * Waits for the key's next slot; when the wait would exceed maxWaitMs, reserves nothing and throws
   * SlackRateLimitedError(method, wait) so the caller's job can be delayed by the queue instead of sleeping.
   */
  async acquire(key: string, intervalMs: number, method: string, maxWaitMs: number): Promise<void> {
    await this.acquireAll([{ key, intervalMs }], method, maxWaitMs);
  }

  /** As acquire, for a call that counts against several keys (a channel and a method): all or none. */
  async acquireAll(slots: PaceSlot[], method: string, maxWaitMs: number): Promise<void> {
    if (slots.length === 0) return;
    const keys = slots.map((s) => `${this.prefix}:${s.key}`);
    const intervals = slots.map((s) => Math.max(1, Math.ceil(s.intervalMs)));
    const reserve = (this.redis as unknown as PaceCommands)[COMMAND].bind(this.redis);
    const wait = await reserve(keys.length, ...keys, Math.max(0, Math.floor(maxWaitMs)), ...intervals);
    if (wait < 0) throw new SlackRateLimitedError(method, -wait);
    if (wait > 0) await sleep(wait);
  }
}
