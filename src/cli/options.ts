// Parsers for option values, so a bad value fails with a message that names the option.
import { parseDay, parsePeriod, todayUtc, type Day, type Period } from "../domain/dates.ts";
import { UsageError } from "./errors.ts";

export function asOfOption(value: string | undefined, now = new Date()): Day {
  if (value === undefined) return todayUtc(now);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || parseDay(value) === null) {
    throw new UsageError(`--as-of must be a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
  }
  return parseDay(value)!;
}

export function periodOption(value: string): Period {
  const period = parsePeriod(value);
  if (!period) throw new UsageError(`--period must be a month YYYY-MM, got ${JSON.stringify(value)}`);
  return period;
}

export function numberOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** --folds and --seed of backtest and calibrate. */
export function foldOptions(opts: { folds: string; seed: string }): { folds: number; seed: number } {
  const folds = numberOption("--folds", opts.folds, 2, 100);
  const seed = numberOption("--seed", opts.seed, 0, 2 ** 31 - 1);
  if (!Number.isInteger(folds) || !Number.isInteger(seed))
    throw new UsageError("--folds and --seed must be whole numbers");
  return { folds, seed };
}

/** An option's key as typed: `asOf` -> `--as-of`. */
export const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
