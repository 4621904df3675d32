// npm run bench -- crm [--part sync|write-back|both] [--accounts N] [--keep]
//
// Records per second and peak RSS of the CRM connector both ways, at N accounts (default 100,000):
// Sync part:
// 1. The Salesforce fake (test/fakes/salesforce-api.ts) on loopback, in this process, seeded with N
//    live Accounts (name, website, owner among 500 users, ARR, renewal date, tier), its daily API
//    allowance raised so that it never stops the sync.
// 2. A scratch database with the "bench" workspace and a Salesforce connector mapping ARR, renewal
//    date and tier (its secret sealed with a random key, as `connectors add` stores it).
// 3. One first sync by the real sync runner in a child process (ingest-sync-child.ts): its peak RSS
//    is the sync's. Checks: it read and wrote N records, rejected none, and the database holds N
//    accounts with their Salesforce ids and owners.
// Write-back part, once for HubSpot and once for Salesforce:
// 1. The vendor's fake with N companies / accounts (Salesforce: with css-bot's custom fields).
// 2. A scratch database with N accounts known by those record ids, each with a score snapshot, and
//    the values last written to each record differing from the snapshot's, so all N are changed.
// 3. One run of the real write-back service in a child process (crm-write-back-child.ts), with the
//    pause between batch calls off (paceMs 0): the figure is css-bot's own throughput, not the
//    vendor's rate limit (at the writers' paces a run cannot pass 100 records per 110 ms = 909/s to
//    HubSpot, 200 per 50 ms = 4,000/s to Salesforce). Checks: N changed and written, none missing,
//    the fake holds the new values, the write log records N.
// Baseline, for each part: the same vendor calls (the sync's queries followed through
// nextRecordsUrl, the write-back's batch calls with the same bodies) replayed by a bare fetch loop
// in this process, against the same fake: what the fake and HTTP alone cost.
// Everything it made (databases, fakes) is removed at the end, failure or not; --keep keeps the
// databases.
import { randomBytes } from "node:crypto";
import os from "node:os";
import { table } from "../src/cli/output/format.ts";
import { HUBSPOT_PROPERTIES } from "../src/connectors/write-back/hubspot.ts";
import { SALESFORCE_FIELDS } from "../src/connectors/write-back/salesforce.ts";
import { activeModelForScoring } from "../src/db/repositories/models.ts";
import { SecretBox } from "../src/security/secret-box.ts";
import { addConnector } from "../src/services/connectors.ts";
import { startFakeHubSpot, type FakeHubSpot } from "../test/fakes/hubspot-api.ts";
import { startFakeSalesforce, type FakeSalesforce } from "../test/fakes/salesforce-api.ts";
import type { LoggedRequest } from "../test/fakes/vendor-http.ts";
import type { WriteBackChildReport } from "./crm-write-back-child.ts";
import type { SyncChildReport } from "./ingest-sync-child.ts";
import { oneOf, parseFlags, wholeNumber } from "./support/args.ts";
import { benchWorkspace, loadAverage } from "./support/bench-workspace.ts";
import { runChild } from "./support/child-process.ts";
import type { ConnectorChildReport } from "./support/connector-child.ts";
import { runWithCleanups, type Cleanup } from "./support/lifecycle.ts";

const HUBSPOT_TOKEN = "pat-na1-fake";
const USERS = 500;
/** Three components, so top drivers is a real text (the same for every account; the score differs). */
const COMPONENTS = JSON.stringify([
  { key: "usage", raw: 0.4, score: 40, weight: 0.5, points: 20 },
  { key: "support", raw: 3, score: 70, weight: 0.3, points: 21 },
  { key: "nps", raw: 40, score: 90, weight: 0.2, points: 18 },
]);

interface Settings {
  accounts: number;
  keep: boolean;
}

/** A part's figures: its child's report (wall time, peak RSS) with the vendor calls and the baseline. */
interface Row extends Omit<ConnectorChildReport<unknown>, "result"> {
  part: string;
  records: number;
  calls: number;
  baselineMs: number;
}

export async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, ["part", "accounts"], ["keep"]);
  const part = oneOf("part", flags.part, ["sync", "write-back", "both"], "both");
  const settings: Settings = {
    accounts: wholeNumber("accounts", flags.accounts, 100_000),
    keep: flags.keep === true,
  };
  log(
    `machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.versions.node}`,
  );
  const rows: Row[] = [];
  const problems: string[] = [];
  if (part !== "write-back")
    await runWithCleanups(log, async (cleanups) => {
      rows.push(await runSalesforceSync(settings, cleanups, problems));
    });
  if (part !== "sync") {
    await runWithCleanups(log, async (cleanups) => {
      rows.push(await runHubSpotWriteBack(settings, cleanups, problems));
    });
    await runWithCleanups(log, async (cleanups) => {
      rows.push(await runSalesforceWriteBack(settings, cleanups, problems));
    });
  }
  const perSecond = (records: number, ms: number) =>
    Math.round(records / (ms / 1000)).toLocaleString("en-US");
  process.stdout.write(
    table(
      [
        "part",
        "records",
        "vendor calls",
        "wall s",
        "records/s",
        "peak RSS MiB",
        "RSS before MiB",
        "baseline s",
        "baseline records/s",
      ],
      rows.map((r) => [
        r.part,
        r.records.toLocaleString("en-US"),
        r.calls.toLocaleString("en-US"),
        (r.wallMs / 1000).toFixed(1),
        perSecond(r.records, r.wallMs),
        r.peakRssMiB.toFixed(0),
        r.startRssMiB.toFixed(0),
        (r.baselineMs / 1000).toFixed(1),
        perSecond(r.records, r.baselineMs),
      ]),
    ) + "\n",
  );
  process.stdout.write(
    "baseline: the same vendor calls replayed by a bare fetch loop against the same fake (the fake and HTTP alone)\n",
  );
  if (problems.length > 0) throw new Error(`the benchmark failed:\n${problems.join("\n")}`);
}

async function runSalesforceSync(s: Settings, cleanups: Cleanup[], problems: string[]): Promise<Row> {
  const sf = await startFakeSalesforce({ dailyLimit: 1_000_000_000 });
  cleanups.push(() => sf.close());
  sf.addField("ARR__c", "currency");
  sf.addField("Renewal_Date__c", "date");
  sf.addField("Tier__c", "picklist");
  const owners = Array.from({ length: USERS }, (_, i) => sf.addUser({ email: `rep${i + 1}@vendor.example` }));
  log(`seeding the Salesforce fake with ${s.accounts} accounts`);
  for (let i = 1; i <= s.accounts; i++) {
    sf.addAccount(
      {
        Name: `Account ${i}`,
        Website: `https://www.account${i}.example`,
        ARR__c: 1_200 * (1 + (i % 100)),
        Renewal_Date__c: `2025-${String(1 + (i % 12)).padStart(2, "0")}-15`,
        Tier__c: ["smb", "mid", "enterprise"][i % 3]!,
      },
      // Spread over the seconds before the fake's now, as an org's accounts are (SystemModstamp order).
      { ownerId: owners[i % USERS]!, at: sf.clock.now() - (s.accounts - i) * 1000 },
    );
  }
  // Empty: a first sync creates every account.
  const { scratch, db, workspace } = await benchWorkspace({ ...s, accounts: 0 }, cleanups, log);
  const key = randomBytes(32);
  const { connector } = await addConnector(db.prisma, new SecretBox(key), workspace.id, {
    name: "crm",
    kind: "salesforce",
    settings: {
      base_url: sf.baseUrl,
      revenue_field: "ARR__c",
      renewal_date_field: "Renewal_Date__c",
      segment_field: "Tier__c",
    },
    secret: salesforceSecret(sf),
    actor: "bench",
  });
  log(`first sync of ${s.accounts} Salesforce accounts (load average before: ${loadAverage()})`);
  sf.requests.length = 0;
  const run = await withKey(key, () =>
    runChild<SyncChildReport>(new URL("./ingest-sync-child.ts", import.meta.url), [
      scratch.config.databaseUrl!,
      String(workspace.id),
      String(connector.id),
    ]),
  );
  log(`  done (load average after: ${loadAverage()}): ${run.result.pages} pages`);
  const calls = sf.requests.length;
  const queries = sf.requests.filter((r) => r.method === "GET" && typeof r.query.q === "string");

  const [counted] = await db.prisma.$queryRawUnsafe<{ accounts: number; ids: number; owners: number }[]>(
    `SELECT count(*)::int AS accounts,
            (SELECT count(*)::int FROM account_source_ids WHERE workspace_id = $1 AND source = 'salesforce') AS ids,
            count(*) FILTER (WHERE owner LIKE 'rep%@vendor.example')::int AS owners
       FROM accounts WHERE workspace_id = $1`,
    workspace.id,
  );
  if (run.result.read !== s.accounts)
    problems.push(`the sync read ${run.result.read} records, not ${s.accounts}`);
  if (run.result.rejected !== 0) problems.push(`the sync rejected ${run.result.rejected} records`);
  if (counted?.accounts !== s.accounts || counted.ids !== s.accounts || counted.owners !== s.accounts)
    problems.push(`after the sync: ${JSON.stringify(counted)}, expected ${s.accounts} of each`);

  log(`baseline: replaying the sync's ${queries.length} queries with a bare fetch loop`);
  const baselineMs = await replay(sf.baseUrl, await salesforceToken(sf), queries);
  return { part: "first sync (Salesforce → css-bot)", records: s.accounts, calls, ...run, baselineMs };
}

async function runHubSpotWriteBack(s: Settings, cleanups: Cleanup[], problems: string[]): Promise<Row> {
  const hubspot = await startFakeHubSpot({ tokens: [HUBSPOT_TOKEN] });
  cleanups.push(() => hubspot.close());
  log(`seeding the HubSpot fake with ${s.accounts} companies`);
  const ids = Array.from(
    { length: s.accounts },
    (_, i) => hubspot.addCompany({ name: `Company ${i + 1}` }).id,
  );
  const row = await measureWriteBack(s, cleanups, problems, {
    part: "write-back (css-bot → HubSpot)",
    kind: "hubspot",
    settings: { base_url: hubspot.baseUrl },
    secret: { access_token: HUBSPOT_TOKEN },
    ids,
    fake: hubspot,
    isWrite: (r) => r.method === "POST" && r.path.endsWith("/batch/update"),
    token: () => Promise.resolve(HUBSPOT_TOKEN),
    stored: (id) =>
      hubspot.companyView(id, [HUBSPOT_PROPERTIES.score.name]).properties[HUBSPOT_PROPERTIES.score.name],
  });
  return row;
}

async function runSalesforceWriteBack(s: Settings, cleanups: Cleanup[], problems: string[]): Promise<Row> {
  const sf = await startFakeSalesforce({ dailyLimit: 1_000_000_000 });
  cleanups.push(() => sf.close());
  for (const spec of Object.values(SALESFORCE_FIELDS))
    sf.addField(spec.name, spec.types[0] as "double" | "string" | "url");
  log(`seeding the Salesforce fake with ${s.accounts} accounts`);
  const ids = Array.from({ length: s.accounts }, (_, i) => sf.addAccount({ Name: `Account ${i + 1}` }));
  return measureWriteBack(s, cleanups, problems, {
    part: "write-back (css-bot → Salesforce)",
    kind: "salesforce",
    settings: { base_url: sf.baseUrl },
    secret: salesforceSecret(sf),
    ids,
    fake: sf,
    isWrite: (r) => r.method === "PATCH" && r.path.endsWith("/composite/sobjects"),
    token: () => salesforceToken(sf),
    stored: (id) => sf.accountField(id, SALESFORCE_FIELDS.score.name),
  });
}

interface WriteBackTarget {
  part: string;
  kind: "hubspot" | "salesforce";
  settings: object;
  secret: object;
  /** The CRM's record ids, one per account. */
  ids: string[];
  fake: FakeHubSpot | FakeSalesforce;
  isWrite(request: LoggedRequest): boolean;
  token(): Promise<string>;
  /** The score the fake holds for a record. */
  stored(id: string): unknown;
}

async function measureWriteBack(
  s: Settings,
  cleanups: Cleanup[],
  problems: string[],
  t: WriteBackTarget,
): Promise<Row> {
  const { scratch, db, workspace } = await benchWorkspace(s, cleanups, log);
  const key = randomBytes(32);
  const { connector } = await addConnector(db.prisma, new SecretBox(key), workspace.id, {
    name: "crm",
    kind: t.kind,
    settings: t.settings,
    secret: t.secret,
    actor: "bench",
    writeBack: true,
  });
  const model = await activeModelForScoring(db.prisma, workspace.id);
  log(`scoring ${s.accounts} accounts known by ${t.kind} record ids, each last written with another score`);
  // Account i (ids in generate order) is record ids[i - 1], scored 1 + i % 99 ("0" was written last).
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO account_source_ids (workspace_id, source, source_id, account_id)
     SELECT $1, $2, r.id, a.id
       FROM unnest($3::text[]) WITH ORDINALITY AS r(id, n)
       JOIN accounts a ON a.workspace_id = $1 AND a.external_id = 'acc-' || lpad(r.n::text, 7, '0')`,
    workspace.id,
    t.kind,
    t.ids,
  );
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO score_snapshots (workspace_id, account_id, as_of, model_id, score, band, coverage, components, churn_probability)
     SELECT a.workspace_id, a.id, date '2026-12-07', $2, 1 + a.id % 99,
            CASE WHEN 1 + a.id % 99 >= 70 THEN 'healthy' ELSE 'at_risk' END, 1, $3::json, (a.id % 1000) / 1000.0
       FROM accounts a WHERE a.workspace_id = $1`,
    workspace.id,
    model.id,
    COMPONENTS,
  );
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO crm_written_values (connector_id, record_id, account_id, "values", written_at)
     SELECT $1, asi.source_id, asi.account_id,
            jsonb_build_object('score', '0', 'band', 'at_risk', 'churn_probability', '',
                               'top_drivers', '', 'card_link', ''), now() - interval '1 day'
       FROM account_source_ids asi WHERE asi.workspace_id = $2`,
    connector.id,
    workspace.id,
  );
  await db.prisma.$executeRawUnsafe(`ANALYZE`);

  log(`write-back of ${s.accounts} changed scores to ${t.kind} (load average before: ${loadAverage()})`);
  t.fake.requests.length = 0;
  const run = await withKey(key, () =>
    runChild<WriteBackChildReport>(new URL("./crm-write-back-child.ts", import.meta.url), [
      scratch.config.databaseUrl!,
      String(workspace.id),
      String(connector.id),
    ]),
  );
  log(`  done (load average after: ${loadAverage()})`);
  const calls = t.fake.requests.length;
  const writes = t.fake.requests.filter((r) => t.isWrite(r));
  const result = run.result;
  if (result.status !== "succeeded") problems.push(`${t.kind} write-back: ${JSON.stringify(result)}`);
  else if (result.changed !== s.accounts || result.written !== s.accounts || result.notFound !== 0)
    problems.push(
      `${t.kind} write-back: ${JSON.stringify(result)}, expected ${s.accounts} changed and written`,
    );
  // The first and last accounts' scores, as the fake holds them (account ids start at 1 here).
  const [first] = await db.prisma.$queryRawUnsafe<{ id: number }[]>(
    `SELECT min(id)::int AS id FROM accounts WHERE workspace_id = $1`,
    workspace.id,
  );
  for (const i of [0, s.accounts - 1]) {
    const expected = String(1 + ((first!.id + i) % 99));
    const stored = t.stored(t.ids[i]!);
    if (String(stored) !== expected)
      problems.push(`${t.kind} record ${t.ids[i]} holds score ${String(stored)}, expected ${expected}`);
  }
  const [logged] = await db.prisma.$queryRawUnsafe<{ unchanged: number }[]>(
    `SELECT count(*)::int AS unchanged FROM crm_written_values WHERE connector_id = $1 AND "values"->>'score' = '0'`,
    connector.id,
  );
  if (logged?.unchanged !== 0)
    problems.push(`${t.kind}: ${logged?.unchanged} records' written values not updated`);

  log(`baseline: replaying the write-back's ${writes.length} batch calls with a bare fetch loop`);
  const baselineMs = await replay(t.fake.baseUrl, await t.token(), writes);
  return { part: t.part, records: s.accounts, calls, ...run, baselineMs };
}

/**
 * Sends the requests again, one at a time, with a bearer token, following each answer's
 * nextRecordsUrl (Salesforce's query paging); returns the wall time in ms.
 */
async function replay(baseUrl: string, token: string, requests: readonly LoggedRequest[]): Promise<number> {
  const headers = {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    "sforce-query-options": "batchSize=2000",
  };
  const started = performance.now();
  for (const r of requests) {
    const query = new URLSearchParams(r.query as Record<string, string>).toString();
    let url: string | undefined = `${baseUrl}${r.path}${query ? `?${query}` : ""}`;
    const body = r.body === undefined ? undefined : JSON.stringify(r.body);
    while (url) {
      const response = await fetch(url, { method: r.method, headers, body });
      const answer = (await response.json()) as { nextRecordsUrl?: string };
      if (!response.ok) throw new Error(`baseline: ${r.method} ${r.path} answered ${response.status}`);
      url = answer.nextRecordsUrl === undefined ? undefined : `${baseUrl}${answer.nextRecordsUrl}`;
    }
  }
  return performance.now() - started;
}

function salesforceSecret(sf: FakeSalesforce) {
  return { client_id: sf.clientId, client_secret: sf.clientSecret, refresh_token: "5Aep861-fake-refresh" };
}

async function salesforceToken(sf: FakeSalesforce): Promise<string> {
  const response = await fetch(`${sf.baseUrl}/services/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", ...salesforceSecret(sf) }).toString(),
  });
  const answer = (await response.json()) as { access_token?: string };
  if (!answer.access_token)
    throw new Error(`baseline: the Salesforce fake gave no token (${response.status})`);
  return answer.access_token;
}

/** The connector's sealing key, in the environment the child reads it from, for the child's run. */
async function withKey<T>(key: Buffer, run: () => Promise<T>): Promise<T> {
  process.env.CSS_ENCRYPTION_KEY = key.toString("hex");
  try {
    return await run();
  } finally {
    delete process.env.CSS_ENCRYPTION_KEY;
  }
}

const log = (text: string) => process.stderr.write(`${text}\n`);
