// Writes import files of any size, streamed a chunk at a time so that generating a million rows
// takes no more memory than a thousand. The data looks like a daily export, one day after another,
// and every row becomes one stored record: (account, metric, day) never repeats.
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DEMO_METRICS } from "../../src/demo/generate-portfolio.ts";
import { Random } from "../../src/demo/random.ts";
import { formatDay, parseDay } from "../../src/domain/dates.ts";
import { SURVEY_RANGES } from "../../src/domain/kpi/surveys.ts";
import { SURVEYS } from "../../src/domain/records.ts";

const METRICS = Object.values(DEMO_METRICS);
const SEGMENTS = ["enterprise", "mid-market", "smb"] as const;
/** The last day the metrics cover; fixed, so two runs write the same files. */
const LAST_DAY = parseDay("2026-11-22") as number;
const LINES_PER_CHUNK = 1000;

export const accountId = (n: number) => `acc-${String(n).padStart(7, "0")}`;

/** `account_id,name,segment,mrr,seats` for `accounts` accounts. */
export async function writeAccountsCsv(file: string, accounts: number, seed = 1): Promise<void> {
  const random = Random.fromSeed(seed);
  await writeLines(file, "account_id,name,segment,mrr,seats", accounts, (i) => {
    const seats = random.int(5, 500);
    return `${accountId(i + 1)},Customer ${i + 1},${random.pick(SEGMENTS)},${(seats * random.between(20, 60)).toFixed(2)},${seats}`;
  });
}

/**
 * `account_id,metric,value,observed_at`: `rows` rows over `accounts` accounts, the days running
 * up to LAST_DAY (as many as the rows need). The same seed writes the same rows, so a smaller
 * file is the start of a larger one.
 */
export async function writeMetricsCsv(file: string, rows: number, accounts: number, seed = 2): Promise<void> {
  const random = Random.fromSeed(seed);
  const perDay = accounts * METRICS.length;
  const firstDay = LAST_DAY - Math.ceil(rows / perDay) + 1;
  let date = "";
  await writeLines(file, "account_id,metric,value,observed_at", rows, (i) => {
    const day = firstDay + Math.floor(i / perDay);
    if (i % perDay === 0) date = formatDay(day);
    const account = Math.floor(i / METRICS.length) % accounts;
    const metric = METRICS[i % METRICS.length] as string;
    return `${accountId(account + 1)},${metric},${metricValue(metric, random)},${date}`;
  });
}

/**
 * `account_id,survey,score,responded_at,respondent`, with no `response_id` (as many survey tools
 * export them): `rows` responses, every account answering one survey a day, day after day.
 */
export async function writeResponsesCsv(
  file: string,
  rows: number,
  accounts: number,
  seed = 3,
): Promise<void> {
  const random = Random.fromSeed(seed);
  const firstDay = LAST_DAY - Math.ceil(rows / accounts) + 1;
  await writeLines(file, "account_id,survey,score,responded_at,respondent", rows, (i) => {
    const account = (i % accounts) + 1;
    const survey = random.pick(SURVEYS);
    const [min, max] = SURVEY_RANGES[survey];
    const time = `${String(random.int(0, 23)).padStart(2, "0")}:${String(random.int(0, 59)).padStart(2, "0")}:00Z`;
    const at = `${formatDay(firstDay + Math.floor(i / accounts))}T${time}`;
    return `${accountId(account)},${survey},${random.int(min, max)},${at},user${random.int(1, 50)}@customer${account}.example`;
  });
}

function metricValue(metric: string, random: Random): string {
  switch (metric) {
    case DEMO_METRICS.weeklyActiveRatio:
      return random.float().toFixed(3);
    case DEMO_METRICS.mrr:
      return random.between(100, 20_000).toFixed(2);
    case DEMO_METRICS.openTickets:
    case DEMO_METRICS.failedPayments:
      return String(random.poisson(1));
    default:
      return String(random.int(1, 500));
  }
}

async function writeLines(file: string, header: string, count: number, line: (i: number) => string) {
  function* chunks(): Generator<string> {
    yield `${header}\n`;
    for (let start = 0; start < count; start += LINES_PER_CHUNK) {
      let chunk = "";
      for (let i = start; i < Math.min(count, start + LINES_PER_CHUNK); i++) chunk += `${line(i)}\n`;
      yield chunk;
    }
  }
  // pipeline waits on the file's backpressure, so chunks are only made as fast as they are written.
  await pipeline(Readable.from(chunks()), createWriteStream(file));
}
