// Hostile values at every door of the running bot: the ingest API, `css-bot import` and
// `connectors add`. Each must be refused with an answer that names where the problem is (the
// record and field, or the file's line), and nothing may be written: the tables' row counts are
// compared before and after. One good record travels beside each bad one, so "nothing written"
// means the batch or file was refused whole, not that the bad record was dropped.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { runCli } from "../../test/support/cli.ts";
import { tempDir } from "../../test/support/files.ts";
import type { Cleanup } from "../support/lifecycle.ts";
import { startBot } from "./bot.ts";
import type { ChaosFigure } from "./figure.ts";

const TABLES = ["accounts", "metric_observations", "survey_responses", "connector_configs"] as const;
const MIB = 1024 * 1024;

interface ApiCase {
  name: string;
  path: "accounts" | "metrics" | "responses";
  /** The raw body: hostile bytes must reach the server as they are. */
  body: Buffer;
  /** The bad record's field the answer must name (errors[] of index 1), or else what its message says. */
  field?: string;
  names?: RegExp;
}

const goodMetric = { account_id: "CHAOS-1", metric: "logins", value: 3, observed_at: "2026-11-30" };
const goodAccount = { account_id: "CHAOS-1", name: "Chaos One" };
const json = (records: unknown[]) => Buffer.from(JSON.stringify(records));
const metrics = (bad: Record<string, unknown>) =>
  json([goodMetric, { ...goodMetric, observed_at: "2026-11-29", ...bad }]);

const API_CASES: ApiCase[] = [
  { name: "value 1e308", path: "metrics", body: metrics({ value: 1e308 }), field: "value" },
  { name: "value -1e16", path: "metrics", body: metrics({ value: -1e16 }), field: "value" },
  { name: 'value "Infinity"', path: "metrics", body: metrics({ value: "Infinity" }), field: "value" },
  { name: 'value "NaN"', path: "metrics", body: metrics({ value: "NaN" }), field: "value" },
  {
    name: "NUL in an id",
    path: "metrics",
    body: metrics({ account_id: "CHAOS\u00002" }),
    field: "account_id",
  },
  {
    name: "terminal escape in a metric name",
    path: "metrics",
    body: metrics({ metric: "\u001b[31mlogins" }),
    field: "metric",
  },
  {
    name: "30 February",
    path: "metrics",
    body: metrics({ observed_at: "2026-02-30" }),
    field: "observed_at",
  },
  {
    name: "year 99999",
    path: "metrics",
    body: metrics({ observed_at: "99999-01-01" }),
    field: "observed_at",
  },
  {
    name: "NUL in a name",
    path: "accounts",
    body: json([goodAccount, { ...goodAccount, account_id: "CHAOS-2", name: "Evil\u0000Corp" }]),
    field: "name",
  },
  {
    name: "MRR 1e308",
    path: "accounts",
    body: json([goodAccount, { ...goodAccount, account_id: "CHAOS-2", mrr: 1e308 }]),
    field: "mrr",
  },
  {
    name: "a 2 MiB name",
    path: "accounts",
    body: json([goodAccount, { ...goodAccount, account_id: "CHAOS-2", name: "x".repeat(2 * MIB) }]),
    names: /record|\[1\]/,
  },
  {
    name: "__proto__ as a record",
    path: "accounts",
    body: Buffer.from(`[${JSON.stringify(goodAccount)},{"__proto__":{"admin":true},"account_id":"CHAOS-2"}]`),
    field: "__proto__",
  },
  {
    name: "Latin-1 bytes",
    path: "accounts",
    body: Buffer.concat([
      Buffer.from(`[${JSON.stringify(goodAccount)},{"account_id":"CHAOS-2","name":"Caf`),
      Buffer.from([0xe9]),
      Buffer.from('"}]'),
    ]),
    names: /UTF-8|byte/,
  },
  { name: "not JSON", path: "metrics", body: Buffer.from(`[${JSON.stringify(goodMetric)},{`), names: /JSON/ },
  {
    name: "nested 100,000 deep",
    path: "metrics",
    body: Buffer.from(`[${JSON.stringify(goodMetric)},${"[".repeat(100_000)}${"]".repeat(100_000)}]`),
    names: /\[1\]|record/,
  },
  {
    name: "NPS answer 11",
    path: "responses",
    body: json([
      { account_id: "CHAOS-1", survey: "nps", score: 9, responded_at: "2026-11-30T10:00:00Z" },
      { account_id: "CHAOS-1", survey: "nps", score: 11, responded_at: "2026-11-30T10:00:00Z" },
    ]),
    field: "score",
  },
];

interface FileCase {
  name: string;
  kind: "accounts" | "metrics";
  bytes: Buffer;
  names: RegExp;
}

const csv = (text: string) => Buffer.from(text);
const FILE_CASES: FileCase[] = [
  {
    name: "CSV: NUL in a name",
    kind: "accounts",
    bytes: csv("account_id,name\nF-1,Good\nF-2,Evil\u0000Corp\n"),
    names: /\.csv:3\b/,
  },
  {
    name: "CSV: Latin-1",
    kind: "accounts",
    bytes: Buffer.concat([csv("account_id,name\nF-1,Good\nF-2,Caf"), Buffer.from([0xe9]), csv("\n")]),
    names: /\.csv:3\b/,
  },
  {
    name: "CSV: value 1e308",
    kind: "metrics",
    bytes: csv("account_id,metric,value,observed_at\nF-1,logins,1,2026-11-30\nF-1,logins,1e308,2026-11-29\n"),
    names: /\.csv:3\b/,
  },
  {
    name: "CSV: a 2 MiB field",
    kind: "accounts",
    bytes: csv(`account_id,name\nF-1,Good\nF-2,${"x".repeat(2 * MIB)}\n`),
    names: /\.csv:3\b/,
  },
  {
    name: "CSV: unterminated quote",
    kind: "accounts",
    bytes: csv('account_id,name\nF-1,Good\nF-2,"Open\n'),
    names: /\.csv:3\b/,
  },
];

/** Whether the API's answer names the bad record's field (index 1), or says what `names` expects. */
function namesThePlace(text: string, c: ApiCase): boolean {
  if (c.names) return c.names.test(text);
  try {
    const body = JSON.parse(text) as { errors?: { index: number; field: string | null }[] };
    return (body.errors ?? []).some((e) => e.index === 1 && e.field === c.field);
  } catch {
    return false;
  }
}

export async function hostileInputs(cleanups: Cleanup[]): Promise<ChaosFigure[]> {
  const { origin, env, scratch } = await startBot(cleanups);
  const created = await runCli(["apikey", "create", "--name", "chaos", "--json"], env);
  if (created.code !== 0) throw new Error(`apikey create: ${created.stderr}`);
  const { key } = JSON.parse(created.stdout) as { key: string };
  const db = new pg.Client({ connectionString: scratch.config.databaseUrl });
  await db.connect();
  cleanups.push(() => db.end());
  const counts = async () => {
    const each: number[] = [];
    for (const t of TABLES)
      each.push(Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]!.n));
    return each.join(",");
  };

  const failures: string[] = [];
  let refused = 0;
  const before = await counts();
  for (const c of API_CASES) {
    const res = await fetch(`${origin}/api/v1/${c.path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: c.body,
    });
    const text = await res.text();
    if (res.status >= 400 && res.status < 500 && namesThePlace(text, c)) refused++;
    else failures.push(`API ${c.name}: ${res.status} ${text.slice(0, 300)}`);
  }
  const dir = tempDir("css-chaos-");
  const files = await Promise.all(
    FILE_CASES.map(async (c, i) => {
      const file = join(dir, `hostile-${i}.csv`);
      await writeFile(file, c.bytes);
      return file;
    }),
  );
  for (const [i, c] of FILE_CASES.entries()) {
    const out = await runCli(["import", c.kind, files[i]!], env);
    if (out.code !== 0 && c.names.test(out.stderr)) refused++;
    else failures.push(`import ${c.name}: exit ${out.code} ${out.stderr.slice(0, 300)}`);
  }
  const connector = await runCli(
    [
      "connectors",
      "add",
      "billing",
      "--kind",
      "stripe",
      "--settings",
      '{"base_url":"http://exa mple:99999"}',
    ],
    { ...env, CSS_CONNECTOR_SECRET: '{"api_key":"sk_test_x"}' },
  );
  if (connector.code !== 0 && /base_url/.test(connector.stderr)) refused++;
  else failures.push(`connectors add: exit ${connector.code} ${connector.stderr.slice(0, 300)}`);
  const after = await counts();
  // --skip-invalid imports the good rows and must still name each bad one by its line.
  let named = 0;
  for (const [i, c] of FILE_CASES.entries()) {
    const out = await runCli(["import", c.kind, files[i]!, "--skip-invalid"], env);
    if (c.names.test(out.stderr) || c.names.test(out.stdout)) named++;
    else failures.push(`import --skip-invalid ${c.name}: exit ${out.code} ${out.stderr.slice(0, 300)}`);
  }
  const total = API_CASES.length + FILE_CASES.length + 1;
  for (const f of failures) process.stderr.write(`  not refused as expected: ${f}\n`);
  return [
    {
      name: "hostile inputs refused whole, naming the place",
      figure: `${refused}/${total}`,
      detail:
        `${API_CASES.length} API bodies, ${FILE_CASES.length} CSV files, 1 connector URL; rows in ` +
        `accounts, observations, responses, connectors ${before} before, ${after} after; ` +
        `with --skip-invalid the bad line named ${named}/${FILE_CASES.length}` +
        (failures.length > 0 ? `; NOT REFUSED: ${failures.slice(0, 4).join(" | ")}` : ""),
      ok: refused === total && before === after && named === FILE_CASES.length,
    },
  ];
}
