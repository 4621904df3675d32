// `plays test`: what a playbook would have done over past days, from the fires its triggers and
// conditions find in the stored history. The guards apply as they do live (cooldown per play and
// account, the daily cap, highest MRR first, one message per account and destination), so the
// messages a day are the ones people would have received. Against known churn, each play's precision
// (the share of the accounts it fired for that churned within N days of its first fire) and the
// median lead time (days from that fire to the churn) say whether it warns, and how early.
import { formatDay, type Day } from "../dates.ts";
import { capFires, cooldownAllows } from "./guards.ts";
import { actionKind, type Playbook } from "./schema.ts";

/** A trigger that held (conditions included) for an account, or a connector, on a day. */
export interface ReplayHit {
  playKey: string;
  /** An account id, or null for a connector's fire. */
  accountId: number | null;
  /** "account:<id>" or "connector:<id>". */
  subject: string;
  day: Day;
}

export interface ReplayAccount {
  id: number;
  mrr: number | null;
  /** The owner matched to Slack (a dm_owner action reaches someone). */
  ownerSlackUserId: string | null;
  /** When it churned, if it did. */
  churnedOn: Day | null;
}

export interface ReplayOptions {
  from: Day;
  to: Day;
  /** A fire "warned" when its account churned within this many days after it. */
  churnWithinDays: number;
  /** Whether churn outcomes are known at all (some account churned): else precision is null. */
  churnKnown: boolean;
}

/** The public JSON of `css-bot plays test --json` (docs/playbooks.md). */
export interface PlaysTestReport {
  from: string;
  to: string;
  plays: {
    key: string;
    fires: number;
    per_day: Record<string, number>;
    accounts: number;
    precision: number | null;
    median_lead_days: number | null;
  }[];
  messages_per_day: Record<string, number>;
}

/** What the text output adds: who would have been told, each day. */
export interface ReplayDetail {
  report: PlaysTestReport;
  /** Per day: distinct people DMed. */
  peoplePerDay: Record<string, number>;
  /** Per play: fires the cooldown held back, and fires over the daily cap. */
  held: Record<string, { cooled: number; capped: number }>;
}

export function replayPlaybook(
  playbook: Playbook,
  hits: readonly ReplayHit[],
  accounts: ReadonlyMap<number, ReplayAccount>,
  o: ReplayOptions,
): ReplayDetail {
  const days: Day[] = [];
  for (let d = o.from; d <= o.to; d++) days.push(d);
  const zero = () => Object.fromEntries(days.map((d) => [formatDay(d), 0])) as Record<string, number>;
  const messages = zero();
  const people = zero();
  const byPlayDay = new Map<string, ReplayHit[]>();
  for (const h of hits) {
    if (h.day < o.from || h.day > o.to) continue;
    const k = `${h.playKey}\u0000${h.day}`;
    const list = byPlayDay.get(k) ?? [];
    list.push(h);
    byPlayDay.set(k, list);
  }
  const mrr = (h: ReplayHit) => (h.accountId === null ? -1 : (accounts.get(h.accountId)?.mrr ?? -1));
  const lastFire = new Map<string, Day>();
  const fired = new Map<string, ReplayHit[]>(playbook.plays.map((p) => [p.key, []]));
  const held: ReplayDetail["held"] = Object.fromEntries(
    playbook.plays.map((p) => [p.key, { cooled: 0, capped: 0 }]),
  );
  for (const day of days) {
    const sent = new Set<string>();
    const dmed = new Set<string>();
    for (const play of playbook.plays) {
      const today = [...(byPlayDay.get(`${play.key}\u0000${day}`) ?? [])].sort(
        (a, b) => mrr(b) - mrr(a) || (a.accountId ?? 0) - (b.accountId ?? 0),
      );
      // The live run's guards (guards.ts), so the replay holds back what a run would have.
      const allowed = today.filter((h) => {
        const last = lastFire.get(`${play.key}\u0000${h.subject}`) ?? null;
        const ok = cooldownAllows(last, day, play.cooldown_days);
        if (!ok) held[play.key]!.cooled++;
        return ok;
      });
      const { fire, capped } = capFires(allowed, 0, play.max_per_day);
      if (capped.length > 0) {
        held[play.key]!.capped += capped.length;
        sent.add(`summary|${play.key}`);
      }
      for (const h of fire) {
        lastFire.set(`${play.key}\u0000${h.subject}`, day);
        fired.get(play.key)!.push(h);
        const account = h.accountId === null ? null : accounts.get(h.accountId);
        for (const action of play.actions) {
          const kind = actionKind(action);
          const who = h.subject;
          if ("post" in action) sent.add(`channel:${action.post.channel}|${who}`);
          else if (kind === "dm_owner" && account?.ownerSlackUserId) {
            sent.add(`dm:${account.ownerSlackUserId}|${who}`);
            dmed.add(account.ownerSlackUserId);
          } else if (kind === "reply_in_case" || kind === "open_case") sent.add(`case|${who}`);
        }
      }
    }
    messages[formatDay(day)] = sent.size;
    people[formatDay(day)] = dmed.size;
  }
  const plays = playbook.plays.map((play) => {
    const list = fired.get(play.key)!;
    const perDay = zero();
    for (const h of list) perDay[formatDay(h.day)]!++;
    const first = new Map<number, Day>();
    for (const h of list) if (h.accountId !== null && !first.has(h.accountId)) first.set(h.accountId, h.day);
    const leads: number[] = [];
    for (const [id, day] of first) {
      const churned = accounts.get(id)?.churnedOn ?? null;
      if (churned !== null && churned > day && churned - day <= o.churnWithinDays) leads.push(churned - day);
    }
    return {
      key: play.key,
      fires: list.length,
      per_day: perDay,
      accounts: new Set(list.map((h) => h.subject)).size,
      precision: o.churnKnown && first.size > 0 ? round(leads.length / first.size, 3) : null,
      median_lead_days: o.churnKnown && leads.length > 0 ? median(leads) : null,
    };
  });
  return {
    report: { from: formatDay(o.from), to: formatDay(o.to), plays, messages_per_day: messages },
    peoplePerDay: people,
    held,
  };
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
