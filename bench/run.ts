// `npm run bench -- <name> [flags]` runs the benchmark `bench/<name>.ts` (its exported `main`).
// A benchmark is added by writing its file and one line in BENCHMARKS below.
import { BenchTargetMissed, BenchUsageError } from "./support/args.ts";

export interface Benchmark {
  main(args: string[]): Promise<void>;
}

// Loaded on demand, so one benchmark's imports never slow down or break another.
const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  backtest: () => import("./backtest.ts"),
  calibrate: () => import("./calibrate.ts"),
  "big-field": () => import("./big-field.ts"),
  chaos: () => import("./chaos.ts"),
  crm: () => import("./crm.ts"),
  "ingest-flood": () => import("./ingest-flood.ts"),
  import: () => import("./import.ts"),
  ingest: () => import("./ingest.ts"),
  plays: () => import("./plays.ts"),
  recompute: () => import("./recompute.ts"),
  slack: () => import("./slack.ts"),
};

async function run(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const load = name === undefined ? undefined : BENCHMARKS[name];
  if (!load) {
    const known = Object.keys(BENCHMARKS).sort().join(", ");
    process.stderr.write(
      `${name === undefined ? "no benchmark named" : `unknown benchmark ${JSON.stringify(name)}`}; ` +
        `available: ${known}\nusage: npm run bench -- <name> [flags]\n`,
    );
    return 2;
  }
  try {
    await (await load()).main(args);
    return 0;
  } catch (error) {
    if (error instanceof BenchUsageError) {
      process.stderr.write(`${name}: ${error.message}\n`);
      return 2;
    }
    if (error instanceof BenchTargetMissed) {
      process.stderr.write(`${name}: target missed: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await run(process.argv.slice(2));
