// Stratified k-fold split: every fold gets its share of churned and of retained accounts, in an
// order fixed by a seed, so a run can be repeated exactly.
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { skipN } from "pure-rand/utils/skipN";

/** Fold of each sample (0..k-1). Churned and retained samples are dealt round-robin after a shuffle. */
export function stratifiedFolds(churned: readonly boolean[], k: number, seed: number): number[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`folds must be a whole number >= 2, got ${k}`);
  const rng = xoroshiro128plus(seed);
  skipN(rng, 16); // xoroshiro128+ stays close to a small seed for its first draws
  const fold = new Array<number>(churned.length).fill(0);
  let next = 0;
  for (const group of [true, false]) {
    const members = churned.flatMap((c, i) => (c === group ? [i] : []));
    // Fisher-Yates.
    for (let i = members.length - 1; i > 0; i--) {
      const j = uniformInt(rng, 0, i);
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    // Continue the round-robin across groups so the folds' sizes differ by at most one.
    for (const m of members) fold[m] = next++ % k;
  }
  return fold;
}

/** The indices of fold `f` (held out) and of the others (training). */
export function splitFold(folds: readonly number[], f: number): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  folds.forEach((g, i) => (g === f ? test : train).push(i));
  return { train, test };
}
