// The SQL connector end to end: a warehouse database made by the test, the sync runner, the real
// css-bot database. Incremental reads with the cursor, pages, refusals (writes, timeouts), bad rows,
// unknown accounts, credential failures and a sync cut short that resumes without duplicates.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConnectorAuthError, ConnectorConfigError } from "../../src/connectors/contract.ts";
import { isPermanent, runSync, type SyncDeps } from "../../src/connectors/sync-runner.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { SecretBox } from "../../src/security/secret-box.ts";
import { addConnector } from "../../src/services/connectors.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { createSourceDatabase, type SourceDatabase } from "../support/source-database.ts";
import { recordingSlack } from "../support/recording-slack.ts";

const SOURCE_SCHEMA = `
  CREATE TABLE customers (id text PRIMARY KEY, name text, domain text, plan text, updated_at timestamptz NOT NULL);
  CREATE TABLE usage (account_id text, metric text, value text, observed_at date);
  CREATE TABLE answers (account_id text, survey text, score int, responded_at timestamptz, response_id text);
  CREATE FUNCTION sneaky() RETURNS int LANGUAGE sql AS
    $$ INSERT INTO usage VALUES ('x', 'm', '1', '2026-01-01') RETURNING 1 $$;
`;

const ACCOUNTS_QUERY = `SELECT id AS account_id, name, domain, plan AS segment, updated_at FROM customers
  WHERE $1::timestamptz IS NULL OR updated_at >= $1::timestamptz`;
const METRICS_QUERY = `SELECT account_id, metric, value, observed_at FROM usage
  WHERE $1::date IS NULL OR observed_at >= $1::date -- re-reads the last day: harmless, writes are upserts`;
const RESPONSES_QUERY = `SELECT account_id, survey, score, responded_at, response_id FROM answers
  WHERE $1::timestamptz IS NULL OR responded_at >= $1::timestamptz;`;

let db: TestDatabase;
let source: SourceDatabase;
let workspaceId: number;
const box = new SecretBox(randomBytes(32));

beforeEach(async () => {
  [db, source] = await Promise.all([createTestDatabase("postgres"), createSourceDatabase(SOURCE_SCHEMA)]);
  workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
});
afterEach(async () => {
  await Promise.all([db.close(), source.close()]);
});

async function addSql(settings: Record<string, unknown>, url = source.url): Promise<number> {
  const { connector } = await addConnector(db.prisma, box, workspaceId, {
    name: "warehouse",
    kind: "sql",
    settings,
    secret: { url },
    actor: "test",
  });
  return connector.id;
}

const allMappings = (extra: Record<string, unknown> = {}) => ({
  mappings: [
    // Listed out of order on purpose: accounts are read first anyway.
    { kind: "metrics", query: METRICS_QUERY },
    { kind: "responses", query: RESPONSES_QUERY },
    { kind: "accounts", query: ACCOUNTS_QUERY },
  ],
  ...extra,
});

const deps = (): SyncDeps => ({ prisma: db.prisma, box });
const sync = (id: number, extra: Partial<Parameters<typeof runSync>[2]> = {}) =>
  runSync(deps(), id, { workspaceId, trigger: "test", ...extra });

async function seedCustomers(n: number, at = "2026-06-01T10:00:00Z") {
  for (let i = 1; i <= n; i++) {
    await source.query("INSERT INTO customers VALUES ($1, $2, $3, 'smb', $4)", [
      `A${i}`,
      `Customer ${i}`,
      `c${i}.example`,
      at,
    ]);
  }
}

async function count(table: string): Promise<number> {
  const rows = await db.prisma.$queryRawUnsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM ${table} WHERE workspace_id = $1`,
    workspaceId,
  );
  return rows[0]!.n;
}

describe("the SQL connector", () => {
  it("syncs incrementally from its cursor, mapping rows to accounts, metrics and responses", async () => {
    await seedCustomers(2);
    await source.query(`INSERT INTO usage VALUES
      ('A1', 'weekly_active_ratio', '0.5', '2026-06-01'), ('A1', 'weekly_active_ratio', '0.6', '2026-06-02'),
      ('A2', 'open_tickets', '3', '2026-06-02')`);
    await source.query(`INSERT INTO answers VALUES
      ('A1', 'nps', 9, '2026-06-02T10:00:00Z', 'r1'), ('A2', 'csat', 4, '2026-06-02T11:00:00Z', NULL)`);
    const id = await addSql(allMappings());

    const first = await sync(id);
    expect(first).toMatchObject({ read: 7, written: 7, rejected: 0 });
    const accounts = await db.prisma.account.findMany({
      where: { workspaceId },
      orderBy: { externalId: "asc" },
    });
    expect(accounts.map((a) => [a.externalId, a.name, a.domain, a.segment])).toEqual([
      ["A1", "Customer 1", "c1.example", "smb"],
      ["A2", "Customer 2", "c2.example", "smb"],
    ]);
    // SQL account ids ARE external ids: no source-id mapping is needed.
    expect(await db.prisma.accountSourceId.count()).toBe(0);
    expect(await count("metric_observations")).toBe(3);
    expect(await count("survey_responses")).toBe(2);

    const connector = await db.prisma.connectorConfig.findUniqueOrThrow({ where: { id } });
    expect(connector).toMatchObject({ status: "active", lastError: null });
    expect(connector.lastSyncAt).not.toBeNull();
    const cursors = Object.values((connector.cursor as { mappings: Record<string, string> }).mappings).sort();
    expect(cursors).toEqual(["2026-06-01T10:00:00.000Z", "2026-06-02", "2026-06-02T11:00:00.000Z"]);

    // New rows only (and the boundary rows the queries' >= re-read) on the next sync.
    await source.query("INSERT INTO usage VALUES ('A2', 'open_tickets', '1', '2026-06-03')");
    await source.query(
      "UPDATE customers SET name = 'Customer Two', updated_at = '2026-06-03T00:00:00Z' WHERE id = 'A2'",
    );
    const second = await sync(id);
    // accounts: A1 (at the cursor, re-read by >=) and A2; metrics: day 2 (2 rows) and day 3; the 11:00 response.
    expect(second).toMatchObject({ read: 6, written: 6, rejected: 0 });
    expect(await count("metric_observations")).toBe(4);
    expect(await count("survey_responses")).toBe(2);
    expect((await db.prisma.account.findFirstOrThrow({ where: { externalId: "A2" } })).name).toBe(
      "Customer Two",
    );

    const runs = await db.prisma.syncRun.findMany({ where: { connectorId: id }, orderBy: { id: "asc" } });
    expect(runs.map((r) => [r.status, r.read, r.written, r.rejected])).toEqual([
      ["succeeded", 7, 7, 0],
      ["succeeded", 6, 6, 0],
    ]);
    expect(runs.every((r) => r.finishedAt !== null)).toBe(true);
  });

  it("keeps the answers' comments, which a later read without them does not erase", async () => {
    await seedCustomers(2);
    await source.query(`CREATE TABLE remarks (account_id text, survey text, score int, responded_at timestamptz,
                                               response_id text, comment text)`);
    await source.query(`INSERT INTO remarks VALUES
      ('A1', 'nps', 3, '2026-06-02T10:00:00Z', 'r1', 'Too slow since the migration'),
      ('A2', 'nps', 9, '2026-06-02T11:00:00Z', 'r2', NULL)`);
    const query = `SELECT account_id, survey, score, responded_at, response_id, comment FROM remarks`;
    const id = await addSql({
      mappings: [
        { kind: "accounts", query: ACCOUNTS_QUERY },
        { kind: "responses", query },
      ],
    });
    expect(await sync(id)).toMatchObject({ rejected: 0 });
    const comments = async () =>
      (
        await db.prisma.surveyResponse.findMany({
          where: { workspaceId },
          orderBy: { respondedAt: "asc" },
          select: { score: true, comment: true },
        })
      ).map((r) => [r.score, r.comment]);
    expect(await comments()).toEqual([
      [3, "Too slow since the migration"],
      [9, null],
    ]);
    // Read again without the comment (a view that leaves it out), then with a new one.
    await source.query(`UPDATE remarks SET comment = NULL, score = 4 WHERE response_id = 'r1'`);
    await source.query(`UPDATE remarks SET comment = 'Better now' WHERE response_id = 'r2'`);
    expect(await sync(id)).toMatchObject({ rejected: 0 });
    expect(await comments()).toEqual([
      [4, "Too slow since the migration"],
      [9, "Better now"],
    ]);
  });

  it("reads in pages of fetch_size rows, each committed with its cursor", async () => {
    await seedCustomers(1);
    for (let d = 1; d <= 10; d++) {
      await source.query("INSERT INTO usage VALUES ('A1', 'm', $1, $2)", [
        String(d),
        `2026-05-${String(d).padStart(2, "0")}`,
      ]);
    }
    const id = await addSql({ ...allMappings(), fetch_size: 3 });
    const pages: number[] = [];
    const result = await sync(id, { onPage: (p) => pages.push(p.read) });
    // 1 account page, then 3 + 3 + 3 + 1 metric rows; no responses.
    expect(result.pages).toBe(5);
    expect(pages).toEqual([1, 4, 7, 10, 11]);
    expect(await count("metric_observations")).toBe(10);
  });

  it("resumes a sync cut short from its last committed page, without duplicates", async () => {
    await seedCustomers(1);
    for (let d = 1; d <= 10; d++) {
      await source.query("INSERT INTO usage VALUES ('A1', 'm', $1, $2)", [
        String(d),
        `2026-05-${String(d).padStart(2, "0")}`,
      ]);
      await source.query("INSERT INTO answers VALUES ('A1', 'nps', $1, $2, NULL)", [
        d,
        `2026-05-${String(d).padStart(2, "0")}T12:00:00Z`,
      ]);
    }
    const id = await addSql({ ...allMappings(), fetch_size: 4 });
    const abort = new AbortController();
    // The account page, then the first metric page: cut there.
    await expect(
      sync(id, { signal: abort.signal, onPage: (p) => p.pages === 2 && abort.abort() }),
    ).rejects.toThrow();
    const cut = await db.prisma.syncRun.findFirstOrThrow({ where: { connectorId: id } });
    expect(cut).toMatchObject({ status: "failed", read: 5 });
    expect(cut.error).toMatch(/interrupted after 2 committed page/);
    expect(await count("metric_observations")).toBe(4);
    const cursor = (await db.prisma.connectorConfig.findUniqueOrThrow({ where: { id } })).cursor as {
      mappings: Record<string, string>;
    };
    expect(Object.values(cursor.mappings)).toContain("2026-05-04");

    const resumed = await sync(id);
    // Metrics from 2026-05-04 on (7 rows: the boundary day again), every response, the account again.
    expect(resumed.read).toBe(1 + 7 + 10);
    expect(await count("metric_observations")).toBe(10);
    expect(await count("survey_responses")).toBe(10);
    // Once more: nothing new, nothing duplicated.
    await sync(id);
    expect(await count("metric_observations")).toBe(10);
    expect(await count("survey_responses")).toBe(10);
    expect(await count("accounts")).toBe(1);
  });

  it("rejects bad rows and rows of unknown accounts one by one, with reasons, and counts them", async () => {
    await seedCustomers(1);
    await source.query(`INSERT INTO usage VALUES
      ('A1', 'm', '1', '2026-06-01'), ('A1', 'm', 'lots', '2026-06-02'), ('A1', 'm', '2', NULL),
      ('NOPE', 'm', '3', '2026-06-03'), ('A1', '', '4', '2026-06-04')`);
    await source.query(`INSERT INTO answers VALUES ('A1', 'nps', 11, '2026-06-02T10:00:00Z', 'r1'),
      ('A1', 'nps', 10, '2026-06-02T11:00:00Z', 'r2')`);
    const id = await addSql(allMappings());
    const result = await sync(id);
    expect(result).toMatchObject({ read: 1 + 5 + 2, written: 1 + 1 + 1, rejected: 5 });
    const reasons = Object.fromEntries(result.rejections.map((r) => [r.record, r.reason]));
    // Rows are read in observed_at order, the one without a date first.
    expect(reasons).toMatchObject({
      "SQL mapping 1 row 1": expect.stringMatching(/^observed_at: /) as unknown,
      "SQL mapping 1 row 3": 'value: not a number: "lots"',
      "SQL mapping 1 row 5": "metric: must not be empty",
      "SQL mapping 2 row 1": expect.stringMatching(
        /^score: NPS score must be a whole number from 0 to 10/,
      ) as unknown,
    });
    expect(result.rejections.find((r) => r.reason === 'unknown account "NOPE"')?.record).toBe(
      "metric m of NOPE",
    );
    const run = await db.prisma.syncRun.findFirstOrThrow({ where: { connectorId: id } });
    expect(run).toMatchObject({ status: "succeeded", read: 8, written: 3, rejected: 5 });
  });

  it("refuses a mapping that writes, leaving the warehouse as it was", async () => {
    await seedCustomers(1);
    const before = (await source.query("SELECT count(*)::int AS n FROM usage")).rows[0] as { n: number };
    for (const query of [
      "SELECT 'A1' AS account_id, 'm' AS metric, sneaky() AS value, '2026-06-01' AS observed_at",
      "DELETE FROM usage RETURNING account_id, metric, value, observed_at",
      "WITH gone AS (DELETE FROM usage RETURNING *) SELECT account_id, metric, value, observed_at FROM gone",
    ]) {
      await db.prisma.connectorConfig.deleteMany();
      const id = await addSql({ mappings: [{ kind: "metrics", query }] });
      const error = await sync(id).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectorConfigError);
      expect((error as Error).message).toMatch(/^SQL mapping 1 tried to write: /);
      expect(isPermanent(error)).toBe(true);
      const connector = await db.prisma.connectorConfig.findUniqueOrThrow({ where: { id } });
      expect(connector.status).toBe("error");
      expect(connector.lastError).toMatch(/tried to write/);
      expect(connector.cursor).toBeNull();
      expect((await db.prisma.syncRun.findFirstOrThrow({ where: { connectorId: id } })).status).toBe(
        "failed",
      );
    }
    expect((await source.query("SELECT count(*)::int AS n FROM usage")).rows[0]).toEqual(before);
  });

  it("refuses a mapping that runs past its statement timeout", async () => {
    const id = await addSql({
      statement_timeout_ms: 200,
      mappings: [{ kind: "accounts", query: "SELECT 'A1' AS account_id, 'x' AS name FROM pg_sleep(2)" }],
    });
    const error = await sync(id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectorConfigError);
    expect((error as Error).message).toMatch(/^SQL mapping 1 ran past its statement timeout of 200 ms/);
  });

  it("names a missing column", async () => {
    const id = await addSql({
      mappings: [{ kind: "metrics", query: "SELECT 'A1' AS account_id, 1 AS value" }],
    });
    await expect(sync(id)).rejects.toThrow(/^SQL mapping 1 returns no column metric, observed_at/);
  });

  it("marks refused credentials auth_failed and tells the admins once per streak", async () => {
    const bad = new URL(source.url);
    bad.username = "nobody_here";
    const id = await addSql(allMappings(), bad.toString());
    await db.prisma.workspace.update({
      where: { id: workspaceId },
      data: { settings: { alert_channel: "C0ALERTS" }, slackTeamId: "T1" },
    });
    const { posted, slack } = recordingSlack();
    for (let i = 0; i < 2; i++) {
      const error = await runSync({ ...deps(), slack }, id, { workspaceId, trigger: "test" }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConnectorAuthError);
    }
    const connector = await db.prisma.connectorConfig.findUniqueOrThrow({ where: { id } });
    expect(connector.status).toBe("auth_failed");
    expect(connector.lastError).toMatch(/refused the credentials/);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.channel).toBe("C0ALERTS");
    expect(posted[0]!.text).toContain('"warehouse"');
    expect(posted[0]!.text).not.toContain(source.url);
    const audits = await db.prisma.auditLogEntry.findMany({ where: { action: "connector.auth_failed" } });
    expect(audits).toHaveLength(1);

    // Fixed credentials: active again, and a later failure is a new streak.
    await addSql(allMappings());
    await sync(id);
    expect((await db.prisma.connectorConfig.findUniqueOrThrow({ where: { id } })).status).toBe("active");
  });

  it("keeps the secret sealed, bound to its connector", async () => {
    const id = await addSql(allMappings());
    const row = await db.prisma.connectorConfig.findUniqueOrThrow({ where: { id } });
    expect(Buffer.from(row.encryptedSecret!).toString("latin1")).not.toContain("postgres");
    // A sealed secret copied to another connector does not open there.
    const { connector: other } = await addConnector(db.prisma, box, workspaceId, {
      name: "copy",
      kind: "sql",
      settings: allMappings(),
      secret: { url: source.url },
      actor: "test",
    });
    await db.prisma.connectorConfig.update({
      where: { id: other.id },
      data: { encryptedSecret: row.encryptedSecret },
    });
    await expect(sync(other.id)).rejects.toThrow(/cannot be decrypted/);
    // And a connector is only found within its workspace.
    const elsewhere = (await ensureWorkspace(db.prisma, "other")).id;
    await expect(runSync(deps(), id, { workspaceId: elsewhere, trigger: "test" })).rejects.toThrow(
      /no connector/,
    );
  });
});
