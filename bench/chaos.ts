// npm run bench -- chaos [--only forged,hostile,slow-slack,kills,outage,flood] [--repeat R] [--accounts N] [--kills K]
//                        [--outage-seconds S]
//
// The reliability suite: the promises docs/operations.md makes ("Failure modes"), each put to its fault on
// the real processes, with one figure per promise (BENCHMARKS.md keeps them):
//   forged   forged and stale Slack requests (10 kinds × command, button, event × R) -> 401, nothing done
//   hostile  hostile values at the API, `import` and `connectors add` -> refused whole, naming the place
//   kills    a worker SIGKILLed mid-shard, K times -> the run finishes with results identical to a clean run
//   outage   the database unreachable for S seconds mid-run -> waited out, identical results
//   slow-slack  Slack answering past the client's timeout while 40 threads and a digest are posted
//            -> each posted once
//   flood    /css timed while 32 clients flood the ingest API (the ingest-flood benchmark's phases)
// Each section makes what it needs (scratch databases, queue prefixes, processes, the fake Slack)
// and removes it at the end. A promise broken is printed as FAIL and the benchmark fails.
import { BenchUsageError, parseFlags, wholeNumber } from "./support/args.ts";
import { runWithCleanups, type Cleanup } from "./support/lifecycle.ts";
import type { ChaosFigure } from "./chaos/figure.ts";
import { cssUnderFlood } from "./chaos/flood.ts";
import { forgedRequests } from "./chaos/forged.ts";
import { hostileInputs } from "./chaos/hostile.ts";
import { runsUnderFaults } from "./chaos/runs.ts";
import { slowSlack } from "./chaos/slow-slack.ts";

const SECTIONS = ["forged", "hostile", "slow-slack", "kills", "outage", "flood"] as const;
type Section = (typeof SECTIONS)[number];

const log = (text: string) => process.stderr.write(`${text}\n`);

export async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, ["only", "repeat", "accounts", "kills", "outage-seconds"]);
  const only = (flags.only?.split(",") ?? [...SECTIONS]).map((s) => s.trim());
  const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new BenchUsageError(
      `--only: unknown section ${unknown.join(", ")}; sections: ${SECTIONS.join(", ")}`,
    );
  }
  const want = (s: Section) => only.includes(s);
  const repeat = wholeNumber("repeat", flags.repeat, 5);
  const accounts = wholeNumber("accounts", flags.accounts, 2000, 100);
  const kills = wholeNumber("kills", flags.kills, 4);
  const outageSeconds = wholeNumber("outage-seconds", flags["outage-seconds"], 150);

  const figures: ChaosFigure[] = [];
  const section = async (name: Section, run: (cleanups: Cleanup[]) => Promise<ChaosFigure[]>) => {
    if (!want(name)) return;
    log(`== ${name}`);
    const t0 = performance.now();
    await runWithCleanups(log, async (cleanups) => void figures.push(...(await run(cleanups))));
    log(`   ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  };
  await section("forged", (cleanups) => forgedRequests(repeat, cleanups));
  await section("hostile", (cleanups) => hostileInputs(cleanups));
  await section("slow-slack", (cleanups) => slowSlack(cleanups));
  await section("flood", (cleanups) => cssUnderFlood(cleanups));
  if (want("kills") || want("outage")) {
    log(`== ${["kills", "outage"].filter((s) => want(s as Section)).join(", ")}`);
    await runWithCleanups(log, async (cleanups) => {
      figures.push(
        ...(await runsUnderFaults(
          { accounts, kills: want("kills") ? kills : 0, outageSeconds: want("outage") ? outageSeconds : 0 },
          cleanups,
          log,
        )),
      );
    });
  }

  process.stdout.write("\n| promise | figure | | detail |\n|---|--:|---|---|\n");
  for (const f of figures) {
    process.stdout.write(`| ${f.name} | ${f.figure} | ${f.ok ? "ok" : "FAIL"} | ${f.detail} |\n`);
  }
  const broken = figures.filter((f) => !f.ok).length;
  if (broken > 0) throw new Error(`${broken} of ${figures.length} promises broken (FAIL above)`);
}
