// css-bot connectors add|list|sync|remove, in-process through run(), on a real database, Redis and
// a warehouse database made by the test.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { writeTempFile } from "../support/files.ts";
import { openTestQueues, testRedisUrl, uniquePrefix } from "../support/queues.ts";
import { createSourceDatabase, type SourceDatabase } from "../support/source-database.ts";

let db: TestDatabase;
let source: SourceDatabase;
let env: Record<string, string>;
let prefix: string;

const SETTINGS = {
  mappings: [
    { kind: "accounts", query: "SELECT id AS account_id, name FROM customers" },
    {
      kind: "metrics",
      query:
        "SELECT account_id, metric, value, observed_at FROM usage WHERE $1::date IS NULL OR observed_at >= $1::date",
    },
  ],
};

beforeEach(async () => {
  [db, source] = await Promise.all([
    createTestDatabase("postgres"),
    createSourceDatabase(`
      CREATE TABLE customers (id text, name text);
      CREATE TABLE usage (account_id text, metric text, value float8, observed_at date);
      INSERT INTO customers VALUES ('A1', 'Acme'), ('A2', 'Beta');
      INSERT INTO usage VALUES ('A1', 'open_tickets', 3, '2026-06-01'), ('A2', 'open_tickets', 1, '2026-06-01'),
                               ('A3', 'open_tickets', 1, '2026-06-01');`),
  ]);
  prefix = uniquePrefix();
  env = {
    DATABASE_URL: db.url!,
    REDIS_URL: testRedisUrl,
    CSS_QUEUE_PREFIX: prefix,
    CSS_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
  };
});
afterEach(async () => {
  const queues = openTestQueues(prefix);
  await queues.dispose();
  await Promise.all([db.close(), source.close()]);
});

const cli = (args: string[], extraEnv: Record<string, string> = {}) => runCli(args, { ...env, ...extraEnv });

describe("css-bot connectors", () => {
  it("adds, lists, syncs and removes a SQL connector, never showing its secret", async () => {
    const secretFile = writeTempFile("secret.json", [JSON.stringify({ url: source.url })]);
    const added = await cli([
      "connectors",
      "add",
      "warehouse",
      "--kind",
      "sql",
      "--settings",
      JSON.stringify({ ...SETTINGS, cadence: "*/15 * * * *" }),
      "--secret-file",
      secretFile,
    ]);
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('added sql connector "warehouse" (syncs on "*/15 * * * *")');

    const connector = await db.prisma.connectorConfig.findFirstOrThrow({ where: { name: "warehouse" } });
    const queues = openTestQueues(prefix);
    try {
      const scheduler = await queues.queue.sync.getJobScheduler(`sync-conn-${connector.id}`);
      expect(scheduler).toMatchObject({ pattern: "*/15 * * * *", tz: "UTC" });

      const waited = await cli(["connectors", "sync", "warehouse", "--wait"]);
      expect(waited.code).toBe(0);
      expect(waited.stdout).toMatch(
        /^synced "warehouse" in [\d.]+ s: 5 read, 4 written, 1 rejected \(2 pages\)/,
      );
      expect(waited.stdout).toContain('unknown account "A3"');

      const listed = await cli(["connectors", "list", "--json"]);
      expect(listed.code).toBe(0);
      const rows = JSON.parse(listed.stdout) as Record<string, unknown>[];
      expect(rows).toHaveLength(1);
      expect(Object.keys(rows[0]!)).toEqual([
        "name",
        "kind",
        "status",
        "cadence",
        "last_sync_at",
        "last_error",
        "write_back",
        "write_back_error",
        "last_run",
      ]);
      expect(rows[0]).toMatchObject({
        name: "warehouse",
        kind: "sql",
        status: "active",
        cadence: "*/15 * * * *",
        last_error: null,
        last_run: { status: "succeeded", read: 5, written: 4, rejected: 1, error: null },
      });
      const table = await cli(["connectors", "list"]);
      expect(table.stdout).toMatch(/warehouse .*sql .*active/);
      for (const out of [listed.stdout, table.stdout, added.stdout, waited.stdout]) {
        expect(out).not.toContain(source.url);
        expect(out).not.toContain("postgresql://");
      }

      // Queued: a job on the sync queue, with the connector's deterministic id.
      const queued = await cli(["connectors", "sync", "warehouse"]);
      expect(queued.code).toBe(0);
      const jobId = /queued (\S+);/.exec(queued.stdout)?.[1];
      expect(jobId).toMatch(new RegExp(`^sync-${connector.id}-manual-`));
      const job = await queues.queue.sync.getJob(jobId!);
      expect(job?.name).toBe("connector-sync");
      expect(job?.data).toMatchObject({ connectorId: connector.id, workspaceId: connector.workspaceId });

      // Re-adding the name updates it (settings only: the stored secret stays) and moves the schedule.
      const updated = await cli([
        "connectors",
        "add",
        "warehouse",
        "--kind",
        "sql",
        "--settings",
        JSON.stringify(SETTINGS),
      ]);
      expect(updated.stdout).toContain('updated sql connector "warehouse" (syncs on "0 * * * *")');
      expect(await queues.queue.sync.getJobScheduler(`sync-conn-${connector.id}`)).toMatchObject({
        pattern: "0 * * * *",
      });
      expect((await cli(["connectors", "sync", "warehouse", "--wait"])).code).toBe(0);

      const removed = await cli(["connectors", "remove", "warehouse"]);
      expect(removed.code).toBe(0);
      expect(removed.stdout).toContain('removed sql connector "warehouse"');
      expect(await queues.queue.sync.getJobScheduler(`sync-conn-${connector.id}`)).toBeUndefined();
      expect((await cli(["connectors", "list"])).stdout).toMatch(/^no connectors/);
      // The data it synced stays.
      expect(await db.prisma.account.count()).toBe(2);
    } finally {
      await queues.close();
    }
  });

  it("takes the secret from CSS_CONNECTOR_SECRET and refuses bad settings, secrets and kinds clearly", async () => {
    const viaEnv = await cli(
      ["connectors", "add", "wh", "--kind", "sql", "--settings", JSON.stringify(SETTINGS)],
      {
        CSS_CONNECTOR_SECRET: JSON.stringify({ url: source.url }),
      },
    );
    expect(viaEnv.code).toBe(0);

    const badSettings = await cli(
      [
        "connectors",
        "add",
        "x",
        "--kind",
        "sql",
        "--settings",
        JSON.stringify({ mappings: [{ kind: "metric", query: "" }], cadence: "every hour" }),
      ],
      { CSS_CONNECTOR_SECRET: JSON.stringify({ url: source.url }) },
    );
    expect(badSettings.code).toBe(1);
    expect(badSettings.stderr).toContain(
      "settings.mappings.0.kind: must be one of accounts, metrics, responses",
    );
    expect(badSettings.stderr).toContain("settings.mappings.0.query: must not be empty");
    expect(badSettings.stderr).toContain("settings.cadence: must be a 5-field cron pattern");

    const noSecret = await cli([
      "connectors",
      "add",
      "y",
      "--kind",
      "sql",
      "--settings",
      JSON.stringify(SETTINGS),
    ]);
    expect(noSecret.code).toBe(1);
    expect(noSecret.stderr).toContain("secret.url");

    const badSecret = await cli(
      ["connectors", "add", "z", "--kind", "sql", "--settings", JSON.stringify(SETTINGS)],
      {
        CSS_CONNECTOR_SECRET: "{not json: hunter2",
      },
    );
    expect(badSecret.code).toBe(2);
    expect(badSecret.stderr).toContain("CSS_CONNECTOR_SECRET is not valid JSON");
    expect(badSecret.stderr).not.toContain("hunter2");

    const badKind = await cli(["connectors", "add", "k", "--kind", "pipedrive"]);
    expect(badKind.code).toBe(1);
    expect(badKind.stderr).toMatch(/no connector of kind "pipedrive" in this version \(available: sql/);

    const noKey = await cli(
      ["connectors", "add", "n", "--kind", "sql", "--settings", JSON.stringify(SETTINGS)],
      {
        CSS_ENCRYPTION_KEY: "",
        CSS_CONNECTOR_SECRET: JSON.stringify({ url: source.url }),
      },
    );
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain("CSS_ENCRYPTION_KEY is not set");

    const unknown = await cli(["connectors", "sync", "nope", "--wait"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no connector "nope"');
    expect(await db.prisma.connectorConfig.count()).toBe(1);
  });

  it("refuses a URL that does not parse at add, stores nothing, and a stored one fails the sync clearly", async () => {
    const addStripe = (baseUrl: string) =>
      cli(
        [
          "connectors",
          "add",
          "billing",
          "--kind",
          "stripe",
          "--settings",
          JSON.stringify({ base_url: baseUrl }),
        ],
        {
          CSS_CONNECTOR_SECRET: JSON.stringify({ api_key: "sk_test_123" }),
        },
      );
    for (const url of ["http://[bad", "https://api.example.com:99999", "https://exa%zzmple.com", "http://"]) {
      const added = await addStripe(url);
      expect(added.code, url).toBe(1);
      expect(added.stderr).toContain(
        `settings.base_url: ${JSON.stringify(url)} is not a valid http:// or https:// URL`,
      );
    }
    const withPassword = await addStripe("https://me:hunter2@api.example.com");
    expect(withPassword.code).toBe(1);
    expect(withPassword.stderr).toContain("settings.base_url: must not hold credentials");
    expect(withPassword.stderr).not.toContain("hunter2");
    const badWarehouse = await cli(
      ["connectors", "add", "wh", "--kind", "sql", "--settings", JSON.stringify(SETTINGS)],
      {
        CSS_CONNECTOR_SECRET: JSON.stringify({ url: "postgres://user:hunter2@[bad/db" }),
      },
    );
    expect(badWarehouse.code).toBe(1);
    expect(badWarehouse.stderr).toContain("secret.url: is not a valid postgresql:// connection string");
    expect(badWarehouse.stderr).not.toContain("hunter2");
    expect(await db.prisma.connectorConfig.count()).toBe(0);

    // A URL stored before this check (or edited in the database) fails the sync at once, clearly
    // (it used to be retried as a network fault for the whole retry budget).
    expect((await addStripe("https://api.example.com")).code).toBe(0);
    await db.prisma.connectorConfig.updateMany({ data: { settings: { base_url: "http://[bad" } } });
    const failed = await cli(["connectors", "sync", "billing", "--wait"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(
      'settings.base_url: "http://[bad" is not a valid http:// or https:// URL',
    );
  });

  it("shows a failed sync's error in the list and exits 1", async () => {
    const settings = { mappings: [{ kind: "accounts", query: "SELECT id AS account_id FROM customers" }] };
    await cli(["connectors", "add", "wh", "--kind", "sql", "--settings", JSON.stringify(settings)], {
      CSS_CONNECTOR_SECRET: JSON.stringify({ url: source.url }),
    });
    const failed = await cli(["connectors", "sync", "wh", "--wait"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("SQL mapping 1 returns no column name");
    const listed = await cli(["connectors", "list"]);
    expect(listed.stdout).toMatch(/wh .*sql .*error/);
    expect(listed.stdout).toContain("wh: SQL mapping 1 returns no column name");
  });
});
