// Bands, and the hysteresis that keeps accounts hovering at a boundary from flapping.
import { INSUFFICIENT_DATA, type Band } from "../model/schema.ts";

/** The highest band whose min the score reaches. `bands` ordered from the highest min down. */
export function bandFor(bands: readonly Band[], score: number): string {
  for (const b of bands) if (score >= b.min) return b.key;
  // Unreachable for a valid model (the lowest band has min 0 and scores are >= 0).
  return bands[bands.length - 1]!.key;
}

/**
 * The band after hysteresis: an account leaves its current band only when its score passes the
 * band's boundary by at least `hysteresis` points (below min - h, or at or above the next min + h).
 * Without a usable previous band (first score, insufficient data, a band the model no longer has),
 * the plain band applies.
 */
export function bandWithHysteresis(
  bands: readonly Band[],
  score: number | null,
  previousBand: string | null,
  hysteresis: number,
): string {
  if (score === null) return INSUFFICIENT_DATA;
  const plain = bandFor(bands, score);
  const index = bands.findIndex((b) => b.key === previousBand);
  if (index < 0 || plain === previousBand) return plain;
  const current = bands[index]!;
  const upper = index > 0 ? bands[index - 1]!.min : Infinity;
  const fellOut = score <= current.min - hysteresis;
  const roseOut = score >= upper + hysteresis;
  return fellOut || roseOut ? plain : current.key;
}

/** Position of a band from the bottom (0 = lowest); -1 for insufficient_data or an unknown band. */
export function bandRank(bands: readonly Band[], key: string | null): number {
  const i = bands.findIndex((b) => b.key === key);
  return i < 0 ? -1 : bands.length - 1 - i;
}

/** A band's name as people read it: its label, or its key in words. */
export function bandName(band: Band): string {
  return band.label ?? band.key.replaceAll("_", " ");
}

/**
 * "Healthy 85+ · Caution 72+ · At risk below 72": what a score must reach for each band, so a card
 * at 82 in a segment whose healthy band starts at 85 does not look like an error. `bands` ordered
 * from the highest min down.
 */
export function describeBands(bands: readonly Band[]): string {
  return bands
    .map((b, i) => {
      const above = bands[i - 1];
      return b.min === 0 && above ? `${bandName(b)} below ${above.min}` : `${bandName(b)} ${b.min}+`;
    })
    .join(" · ");
}
