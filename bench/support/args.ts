// Flag parsing shared by the benchmarks: node's parseArgs, with errors that exit 2.
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A bad flag or value: the dispatcher prints it and exits 2. */
export class BenchUsageError extends Error {
  override name = "BenchUsageError";
}

/** A benchmark that ran and missed its target: the dispatcher prints it and exits 1. */
export class BenchTargetMissed extends Error {
  override name = "BenchTargetMissed";
}

/**
 * Parses `--name value` flags (all strings) and `--switch` flags (true when given); unknown flags and
 * positionals are usage errors.
 */
export function parseFlags<const N extends string, const S extends string = never>(
  args: string[],
  names: readonly N[],
  switches: readonly S[] = [],
): Partial<Record<N, string>> & Partial<Record<S, boolean>> {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const n of names) options[n] = { type: "string" };
  for (const n of switches) options[n] = { type: "boolean" };
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values as Partial<
      Record<N, string>
    > &
      Partial<Record<S, boolean>>;
  } catch (error) {
    const all = [...names.map((n) => `--${n}`), ...switches.map((n) => `--${n}`)];
    throw new BenchUsageError(`${(error as Error).message} (flags: ${all.join(", ")})`);
  }
}

/** `1000000`, `1_000_000` or `1e6`: a whole number ≥ `min`. */
export function wholeNumber(flag: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const value = Number(text.replaceAll("_", ""));
  if (!Number.isSafeInteger(value) || value < min) {
    throw new BenchUsageError(`--${flag} must be a whole number ≥ ${min} (got ${JSON.stringify(text)})`);
  }
  return value;
}

export function oneOf<const T extends string>(
  flag: string,
  text: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (text === undefined) return fallback;
  if (!(choices as readonly string[]).includes(text)) {
    throw new BenchUsageError(`--${flag} must be one of ${choices.join(", ")} (got ${JSON.stringify(text)})`);
  }
  return text as T;
}
