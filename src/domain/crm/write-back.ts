// What write-back sends a CRM for one account: the values of css-bot's fields (score, band, churn
// probability, top drivers, card link) as the plain strings CRM APIs take, and which records need a
// write: those whose values differ from the ones last written, so a replay sends nothing.
import type { ComponentResult } from "../scoring/score.ts";

/** css-bot's fields, by their logical name (each CRM names its own: HubSpot `css_score`...). */
export const WRITE_BACK_FIELDS = ["score", "band", "churn_probability", "top_drivers", "card_link"] as const;
export type WriteBackField = (typeof WRITE_BACK_FIELDS)[number];
/** "" clears a field (no churn map, no score, no card), which CRMs take as "no value". */
export type WriteBackValues = Record<WriteBackField, string>;

export interface ScoredAccount {
  score: number | null;
  band: string;
  churnProbability: number | null;
  components: readonly Pick<ComponentResult, "key" | "score" | "weight" | "points">[];
  /** A link to the account's card (its case thread in Slack), or null when it has none. */
  cardLink: string | null;
}

/** How many drivers the text names, and its length at most (a CRM text field shown in a list). */
export const TOP_DRIVERS = 3;
export const MAX_DRIVERS_TEXT = 250;

export function writeBackValues(account: ScoredAccount): WriteBackValues {
  return {
    score: account.score === null ? "" : String(Math.round(account.score)),
    band: plain(account.band, 40),
    // A probability as a number the CRM can sort and report on, to the precision it is worth.
    churn_probability:
      account.churnProbability === null || account.score === null
        ? ""
        : String(Math.round(account.churnProbability * 1000) / 1000),
    top_drivers: account.score === null ? "" : topDriversText(account.components),
    card_link: account.cardLink ?? "",
  };
}

/**
 * "usage 35/100, tickets 52/100": the components that cost the score the most points (weight x
 * (100 - component score)), worst first; those costing under half a point are not drivers.
 */
export function topDriversText(components: ScoredAccount["components"], limit = TOP_DRIVERS): string {
  const drivers = components
    .filter((c) => c.score !== null && c.weight > 0)
    .map((c) => ({ key: c.key, score: c.score!, lost: c.weight * (100 - c.score!) }))
    .filter((c) => c.lost >= 0.5)
    .sort((a, b) => b.lost - a.lost || a.key.localeCompare(b.key))
    .slice(0, limit)
    .map((c) => `${plain(c.key, 60)} ${Math.round(c.score)}/100`);
  return plain(drivers.join(", "), MAX_DRIVERS_TEXT);
}

// eslint-disable-next-line no-control-regex -- replacing control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Text a CRM shows as it is: control characters (line breaks included) become spaces, runs of
 * spaces one, and it is cut to `max` characters with an ellipsis. No markup is added or escaped:
 * CRM text fields are plain text.
 */
export function plain(text: string, max: number): string {
  const clean = text.replace(CONTROLS, " ").replace(/\s+/g, " ").trim();
  const chars = [...clean];
  return chars.length <= max
    ? clean
    : `${chars
        .slice(0, max - 1)
        .join("")
        .trimEnd()}…`;
}

export interface RecordValues {
  /** The record's id in the CRM. */
  recordId: string;
  accountId: number;
  values: WriteBackValues;
}

/**
 * The records whose values differ from those last written (by record id), in the given order. A
 * record never written is changed; a stored value set missing a field (an older version's) is too.
 */
export function changedRecords(
  wanted: readonly RecordValues[],
  lastWritten: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
): RecordValues[] {
  return wanted.filter((r) => {
    const last = lastWritten.get(r.recordId);
    return !last || WRITE_BACK_FIELDS.some((f) => last[f] !== r.values[f]);
  });
}

/** Consecutive slices of at most `size` items (a CRM's batch limit). */
export function batchesOf<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`batch size must be a positive integer: ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
