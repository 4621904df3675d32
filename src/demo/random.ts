// The few random draws the demo generator needs, over pure-rand's xoroshiro128+ (its recommended PRNG).
// pure-rand's generators change in place: `Random` owns one, and `fork()` hands out an independent stream
// (a jump of 2^64 steps) so one account's series never shifts another's when the draws change.
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { JumpableRandomGenerator } from "pure-rand/types/JumpableRandomGenerator";
import { skipN } from "pure-rand/utils/skipN";

// xoroshiro128+ seeded with a 32-bit number returns the seed itself first and stays close to it for a
// few draws; skipping them keeps seeds 42 and 43 from starting alike.
const WARM_UP_DRAWS = 16;

export class Random {
  private constructor(private readonly rng: JumpableRandomGenerator) {}

  static fromSeed(seed: number): Random {
    const rng = xoroshiro128plus(seed);
    skipN(rng, WARM_UP_DRAWS);
    return new Random(rng);
  }

  /** An independent stream; this one jumps ahead so the next fork differs. */
  fork(): Random {
    const child = this.rng.clone();
    this.rng.jump();
    return new Random(child);
  }

  /** Uniform in [0, 1). */
  float(): number {
    return uniformFloat64(this.rng);
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** Uniform integer in [min, max], both included. */
  int(min: number, max: number): number {
    return uniformInt(this.rng, min, max);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  /** Standard normal (Box-Muller). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.float(); // (0, 1], so the log is finite
    const v = this.float();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Poisson count (Knuth's method; the demo's rates are small). */
  poisson(rate: number): number {
    const limit = Math.exp(-rate);
    let count = 0;
    for (let p = this.float(); p > limit; p *= this.float()) count++;
    return count;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.int(0, items.length - 1)] as T;
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}
