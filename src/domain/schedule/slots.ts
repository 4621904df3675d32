// What a scheduled fire means: its slot (the key that makes it run once) and the as-of date it
// scores, in the workspace's own time zone. Pure, so daylight-saving edges are unit-tested.
import { parseDay, type Day } from "../dates.ts";

/**
 * The slot key of a fire: its instant in UTC to the minute, `20261025T0100Z`. Unique per fire even
 * when a local hour repeats (the autumn daylight-saving change), deterministic for replicas and
 * retries, and free of `:` (BullMQ job ids must not contain it).
 */
export function slotKey(fireAt: Date): string {
  return fireAt.toISOString().slice(0, 16).replace(/[-:]/g, "") + "Z";
}

/** The calendar date in `timeZone` at the instant `at`: the as-of date of a run fired then. */
export function localDay(at: Date, timeZone: string): Day {
  return parseDay(dayFormat(timeZone).format(at))!;
}

// Making a formatter costs far more than using one (it loads the zone's rules): one per zone.
const dayFormats = new Map<string, Intl.DateTimeFormat>();
function dayFormat(timeZone: string): Intl.DateTimeFormat {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    dayFormats.set(timeZone, format);
  }
  return format;
}

/** True when `timeZone` is an IANA zone this runtime knows (e.g. Europe/Paris). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}
