// npm run bench -- calibrate [--accounts N] [--folds K] [--seed N]
//
// How long `css-bot calibrate` takes on a large portfolio: writes a synthetic one (accounts,
// metrics, outcomes and a hand-set model, described in BENCHMARKS.md "Calibration time"), then
// runs the real command on it in a child process, end to end (start, reading and scoring the files,
// the k folds and the final fit, writing the model), with the default --fit all. Fails when it
// takes longer than the target.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Random } from "../src/demo/random.ts";
import { BenchTargetMissed, parseFlags, wholeNumber } from "./support/args.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const TARGET_SECONDS = 30;
const AS_OF = "2026-01-01";
const OBSERVED = "2025-12-31";

/** What a person might write before seeing outcomes: straight lines over the plausible ranges. */
const MODEL = `name: synthetic-calibration
bands:
  - { key: healthy, min: 80 }
  - { key: caution, min: 70 }
  - { key: at_risk, min: 0 }
components:
  - key: usage
    input: { metric: usage_hours, agg: last, window_days: 30 }
    scale: { min: 0, max: 100 }
    weight: 25
  - key: logins
    input: { metric: logins, agg: last, window_days: 30 }
    scale: { min: 0, max: 60 }
    weight: 15
  - key: tenure
    input: { metric: tenure_months, agg: last, window_days: 30 }
    scale: { min: 0, max: 36 }
    weight: 15
  - key: tickets
    input: { metric: open_tickets, agg: last, window_days: 30 }
    scale: { min: 10, max: 0 }
    weight: 15
  - key: nps
    input: { metric: nps_answer, agg: last, window_days: 30 }
    scale: { min: 0, max: 10 }
    weight: 20
  - key: integration
    input: { metric: has_integration, agg: last, window_days: 30 }
    scale: { min: 0, max: 1 }
    weight: 10
`;

export async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, ["accounts", "folds", "seed"]);
  const accounts = wholeNumber("accounts", flags.accounts, 100_000, 100);
  const folds = wholeNumber("folds", flags.folds, 5, 2);
  const seed = wholeNumber("seed", flags.seed, 1, 0);
  const dir = await mkdtemp(join(tmpdir(), "css-bot-bench-calibrate-"));
  try {
    const files = await writePortfolio(dir, accounts, seed);
    const out = join(dir, "calibrated.yaml");
    const started = performance.now();
    const stdout = await runCalibrate([
      ...["--model", files.model, "--accounts", files.accounts, "--metrics", files.metrics],
      ...["--outcomes", files.outcomes, "--as-of", AS_OF, "--out", out, "--folds", String(folds), "--json"],
    ]);
    const seconds = (performance.now() - started) / 1000;
    const r = JSON.parse(stdout) as { churned: number; before: { auc: number }; after: { auc: number } };
    const model = await readFile(out, "utf8");
    process.stdout.write(
      `${accounts} accounts (${r.churned} churned), ${folds}-fold, --fit all: ${seconds.toFixed(1)} s ` +
        `(target ${TARGET_SECONDS} s); held-out AUC ${r.before.auc.toFixed(3)} -> ${r.after.auc.toFixed(3)}; ` +
        `model file ${model.split("\n").length} lines\n`,
    );
    if (seconds > TARGET_SECONDS)
      throw new BenchTargetMissed(`calibrate took ${seconds.toFixed(1)} s, over ${TARGET_SECONDS} s`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Each account: usage hours log-normal (median 20), logins about as many as the hours, tenure 0-72
 * months, open tickets Poisson(1.5) (missing for 1 in 20), an NPS answer 0-10, an integration for
 * 4 in 10. Churn is drawn with a log-odds that falls with the log of usage, is high in the first
 * six months, rises with tickets, is higher for detractors and lower for promoters and with an
 * integration, plus noise: monotone but not straight, as real signals are.
 */
async function writePortfolio(dir: string, count: number, seed: number) {
  const random = Random.fromSeed(seed);
  const accounts = ["account_id,name"];
  const metrics = ["account_id,metric,value,observed_at"];
  const outcomes = ["account_id,churned"];
  for (let i = 1; i <= count; i++) {
    const id = `syn-${String(i).padStart(7, "0")}`;
    const usage = Math.round(Math.exp(random.normal(3, 1)) * 10) / 10;
    const logins = Math.max(0, Math.round(usage * random.between(0.5, 1.5)));
    const tenure = random.int(0, 72);
    const tickets = random.chance(0.05) ? null : random.poisson(1.5);
    const nps = random.int(0, 10);
    const integration = random.chance(0.4) ? 1 : 0;
    const logOdds =
      -0.4 -
      1.1 * Math.log1p(usage / 10) +
      (tenure < 6 ? 0.9 : 0) -
      0.015 * Math.min(tenure, 36) +
      0.3 * (tickets ?? 1.5) +
      (nps <= 6 ? 0.7 : nps >= 9 ? -0.5 : 0) -
      0.6 * integration +
      random.normal(0, 0.5);
    const churned = random.chance(1 / (1 + Math.exp(-logOdds)));
    accounts.push(`${id},Customer ${i}`);
    const values = {
      usage_hours: usage,
      logins,
      tenure_months: tenure,
      open_tickets: tickets,
      nps_answer: nps,
    };
    for (const [metric, value] of Object.entries({ ...values, has_integration: integration }))
      if (value !== null) metrics.push(`${id},${metric},${value},${OBSERVED}`);
    outcomes.push(`${id},${churned ? 1 : 0}`);
  }
  const files = {
    model: join(dir, "model.yaml"),
    accounts: join(dir, "accounts.csv"),
    metrics: join(dir, "metrics.csv"),
    outcomes: join(dir, "outcomes.csv"),
  };
  await writeFile(files.model, MODEL);
  await writeFile(files.accounts, `${accounts.join("\n")}\n`);
  await writeFile(files.metrics, `${metrics.join("\n")}\n`);
  await writeFile(files.outcomes, `${outcomes.join("\n")}\n`);
  return files;
}

/** `css-bot calibrate ...` as a user runs it; its stdout. */
function runCalibrate(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/css-bot.js"), "calibrate", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`css-bot calibrate exited with code ${code}`)),
    );
  });
}
