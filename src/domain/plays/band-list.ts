// A play's band list as it applies to one account: `lowest` stands for the lowest band of the
// account's segment (segments may define their own bands), so one play serves every segment.
import { LOWEST_BAND } from "./schema.ts";

/** True when `band` is one of `list`, with `lowest` read as `lowestBand`. A missing band is in no list. */
export function inBandList(band: string | null, list: readonly string[], lowestBand: string): boolean {
  if (band === null) return false;
  for (const b of list) if (b === band || (b === LOWEST_BAND && band === lowestBand)) return true;
  return false;
}

/** The list with `lowest` replaced by the account's lowest band, for people to read. */
export function resolveBandList(list: readonly string[], lowestBand: string): string[] {
  // Each of a play's band fires holds one (lists are a band or two: no Set), in the list's order.
  const out: string[] = [];
  for (const b of list) {
    const band = b === LOWEST_BAND ? lowestBand : b;
    if (!out.includes(band)) out.push(band);
  }
  return out;
}
