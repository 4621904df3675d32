// The guards against noise between a play firing and people hearing of it: the cooldown per play
// and account, the daily cap (the rest told in one summary), quiet hours in the workspace's time
// zone, and one message per account and destination when several plays fire in one run.
import type { Day } from "../dates.ts";
import { localDay } from "../schedule/slots.ts";

// ---- Cooldown ----

/**
 * Whether a play may fire for an account on `day`, after its last fire on `lastFireDay`: with a
 * cooldown of 7, a fire on day d keeps the play silent on d+1..d+6 (and d itself) and allows d+7.
 * 0 allows every fire. A last fire after `day` (a replay of older days) blocks too.
 */
export function cooldownAllows(lastFireDay: Day | null, day: Day, cooldownDays: number): boolean {
  if (lastFireDay === null || cooldownDays === 0) return true;
  return day - lastFireDay >= cooldownDays;
}

// ---- Daily cap ----

/** The first fires that fit under the day's cap (after `alreadyToday`), and the rest, in order. */
export function capFires<T>(
  fires: T[],
  alreadyToday: number,
  maxPerDay: number | undefined,
): { fire: T[]; capped: T[] } {
  if (maxPerDay === undefined) return { fire: [...fires], capped: [] };
  const room = Math.max(0, maxPerDay - alreadyToday);
  return { fire: fires.slice(0, room), capped: fires.slice(room) };
}

const NAMES_SHOWN = 8;

/** The one message that tells of the fires the cap held back (plain text; the Slack layer escapes). */
export function capSummary(playLabel: string, capped: { name: string }[], maxPerDay: number): string {
  const n = capped.length;
  const shown = capped.slice(0, NAMES_SHOWN).map((c) => c.name);
  const rest = n - shown.length;
  const names = rest > 0 ? `${shown.join(", ")} and ${rest} more` : shown.join(", ");
  return `${n} more ${n === 1 ? "account" : "accounts"} fired ${playLabel} today (the limit is ${maxPerDay} a day): ${names}`;
}

// ---- Merging ----

export type Destination =
  { kind: "channel"; channel: string } | { kind: "dm"; user: string } | { kind: "case"; caseId: string };

export interface PlannedMessage {
  destination: Destination;
  accountId: number | null;
  playKey: string;
  playLabel: string;
  /** The filled template (mrkdwn, its values escaped). */
  text: string;
}

export interface MergedMessage {
  destination: Destination;
  accountId: number | null;
  /** The plays whose messages it carries, in the order given. */
  plays: { key: string; label: string }[];
  text: string;
}

/**
 * One message per destination and account: several plays firing for an account in one run are
 * one message, each play's text under its label (a lone message is sent as written). Messages
 * without an account (a connector's failure) are never merged. Order: by each group's first message.
 */
export function mergeByAccount(messages: PlannedMessage[]): MergedMessage[] {
  const groups = new Map<string, PlannedMessage[]>();
  messages.forEach((m, i) => {
    const key = m.accountId === null ? `none:${i}` : `${destinationKey(m.destination)}|${m.accountId}`;
    const group = groups.get(key);
    if (group) group.push(m);
    else groups.set(key, [m]);
  });
  return [...groups.values()].map((group) => {
    const first = group[0]!;
    return {
      destination: first.destination,
      accountId: first.accountId,
      plays: group.map((m) => ({ key: m.playKey, label: m.playLabel })),
      // The label is the admin's text, like the template around the values: written as is.
      text: group.length === 1 ? first.text : group.map((m) => `*${m.playLabel}*\n${m.text}`).join("\n\n"),
    };
  });
}

function destinationKey(d: Destination): string {
  switch (d.kind) {
    case "channel":
      return `channel:${d.channel}`;
    case "dm":
      return `dm:${d.user}`;
    case "case":
      return `case:${d.caseId}`;
  }
}

// ---- Quiet hours ----

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

/**
 * When quiet hours end, if `now` is inside them: the first instant after `now` at which the
 * workspace's clock (`timeZone`, IANA) reads `quiet.to`; null outside them or without quiet hours.
 * `from` is inside, `to` is not; a window over midnight (19:00-08:00) ends the next morning when
 * it began the evening before. Computed from the zone's own clock, so a daylight-saving change in
 * the night moves the end's UTC instant, not its local time; a `to` the change skips (02:30 on a
 * spring-forward night) ends at the first minute after the skip.
 */
export function quietUntil(now: Date, timeZone: string, quiet?: { from: string; to: string }): Date | null {
  if (!quiet) return null;
  const from = minutesOf(quiet.from);
  const to = minutesOf(quiet.to);
  const wall = wallClock(now.getTime(), timeZone);
  const m = Math.floor((wall % MS_PER_DAY) / MS_PER_MINUTE);
  const inside = from < to ? m >= from && m < to : m >= from || m < to;
  if (!inside) return null;
  const endDay = localDay(now, timeZone) + (from > to && m >= from ? 1 : 0);
  return firstInstantAt(endDay * MS_PER_DAY + to * MS_PER_MINUTE, timeZone, now.getTime());
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h! * 60 + m!;
}

/** The first minute after `after` at which the zone's clock reads `wallTarget` (or, in a skipped hour, has passed it). */
function firstInstantAt(wallTarget: number, timeZone: string, after: number): Date {
  // The zone's offsets a day either side: a change in between is the only way they differ.
  const offsets = new Set([
    offsetAt(wallTarget - MS_PER_DAY, timeZone),
    offsetAt(wallTarget + MS_PER_DAY, timeZone),
  ]);
  const candidates = [...offsets].map((o) => wallTarget - o);
  // Both, in a repeated hour: the first after `now` (the second when `now` is in the repeat).
  const exact = candidates.filter((t) => t > after && wallClock(t, timeZone) === wallTarget);
  if (exact.length > 0) return new Date(Math.min(...exact));
  // A skipped hour: the first minute whose clock reads past the target (where the clock jumps).
  let lo = Math.floor(after / MS_PER_MINUTE);
  let hi = Math.ceil(Math.max(...candidates) / MS_PER_MINUTE);
  while (wallClock(hi * MS_PER_MINUTE, timeZone) < wallTarget) hi += 60;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallClock(mid * MS_PER_MINUTE, timeZone) >= wallTarget) hi = mid;
    else lo = mid;
  }
  return new Date(hi * MS_PER_MINUTE);
}

/** The zone's clock at instant `t`, as milliseconds of a UTC date reading the same (to the minute). */
function wallClock(t: number, timeZone: string): number {
  const parts = clockFormat(timeZone).formatToParts(new Date(t));
  const n = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"));
}

function offsetAt(t: number, timeZone: string): number {
  return wallClock(t, timeZone) - Math.floor(t / MS_PER_MINUTE) * MS_PER_MINUTE;
}

// One formatter per zone: making one loads the zone's rules (as in schedule/slots.ts).
const clockFormats = new Map<string, Intl.DateTimeFormat>();
function clockFormat(timeZone: string): Intl.DateTimeFormat {
  let format = clockFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    });
    clockFormats.set(timeZone, format);
  }
  return format;
}
