// Calendar days as integers (days since 1970-01-01, UTC). Windows and periods are whole days, so
// integer arithmetic keeps them exact and fast; timestamps are reduced to their UTC date.

export type Day = number;

const MS_PER_DAY = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Parses `YYYY-MM-DD` or a full ISO timestamp (reduced to its UTC date); null when it is neither. */
export function parseDay(text: string): Day | null {
  const s = text.trim();
  const m = ISO_DATE.exec(s);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const ms = Date.UTC(y, mo - 1, d);
    const back = new Date(ms);
    // Reject 2026-02-30 and the like, which Date.UTC would roll over silently.
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
    return Math.floor(ms / MS_PER_DAY);
  }
  if (ISO_TIMESTAMP.test(s)) {
    // Its calendar date must exist: Date.parse rolls 2026-11-31T10:00Z over into December.
    if (parseDay(s.slice(0, 10)) === null) return null;
    // A timestamp without a zone is read as UTC, never as the machine's local time.
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(s) ? s : `${s}Z`;
    const ms = Date.parse(zoned.replace(" ", "T"));
    return Number.isNaN(ms) ? null : Math.floor(ms / MS_PER_DAY);
  }
  return null;
}

/** Parses an ISO date or timestamp to the exact instant (dates are midnight UTC); null if invalid. */
export function parseInstant(text: string): Date | null {
  const day = parseDay(text);
  if (day === null) return null;
  const s = text.trim();
  if (ISO_DATE.test(s)) return dayToDate(day);
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(s) ? s : `${s}Z`;
  return new Date(Date.parse(zoned.replace(" ", "T")));
}

export function formatDay(day: Day): string {
  // Bulk writes format the same few days thousands of times: remembered (a bounded cache).
  let text = formatted.get(day);
  if (text === undefined) {
    text = new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
    if (formatted.size >= 50_000) formatted.clear();
    formatted.set(day, text);
  }
  return text;
}
const formatted = new Map<Day, string>();

export function dayToDate(day: Day): Date {
  return new Date(day * MS_PER_DAY);
}

export function dateToDay(date: Date): Day {
  return Math.floor(date.getTime() / MS_PER_DAY);
}

export function todayUtc(now: Date = new Date()): Day {
  return dateToDay(now);
}

/** True when `day` lies in the window of `windowDays` days ending on `asOf`, inclusive: asOf - N < day <= asOf. */
export function inWindow(day: Day, asOf: Day, windowDays: number): boolean {
  return day <= asOf && day > asOf - windowDays;
}

/** A calendar month `YYYY-MM` as its first and last day. */
export interface Period {
  first: Day;
  last: Day;
  label: string;
}

export function parsePeriod(text: string): Period | null {
  const m = /^(\d{4})-(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  if (mo < 1 || mo > 12) return null;
  const first = Math.floor(Date.UTC(y, mo - 1, 1) / MS_PER_DAY);
  const last = Math.floor(Date.UTC(y, mo, 1) / MS_PER_DAY) - 1;
  return { first, last, label: text.trim() };
}
