// css-bot connectors add --kind salesforce checks the org before storing anything: the refresh token
// is exchanged and the field mapping is checked against the org's describe of Account, so a missing or
// wrongly typed field, or refused credentials, is named at once rather than at the first sync.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeSalesforce, type FakeSalesforce } from "../fakes/salesforce-api.ts";
import { runCli } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { writeTempFile } from "../support/files.ts";
import { openTestQueues, testRedisUrl, uniquePrefix } from "../support/queues.ts";

let db: TestDatabase;
let sf: FakeSalesforce;
let env: Record<string, string>;
let prefix: string;

beforeEach(async () => {
  [db, sf] = await Promise.all([createTestDatabase("postgres"), startFakeSalesforce()]);
  prefix = uniquePrefix();
  env = {
    DATABASE_URL: db.url!,
    REDIS_URL: testRedisUrl,
    CSS_QUEUE_PREFIX: prefix,
    CSS_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
  };
});
afterEach(async () => {
  await openTestQueues(prefix).dispose();
  await Promise.all([db.close(), sf.close()]);
});

const secretFile = (refresh = "5Aep861-fake-refresh") =>
  writeTempFile("sf-secret.json", [
    JSON.stringify({ client_id: sf.clientId, client_secret: sf.clientSecret, refresh_token: refresh }),
  ]);
const add = (settings: object, secret: string[] = ["--secret-file", secretFile()]) =>
  runCli(
    [
      "connectors",
      "add",
      "crm",
      "--kind",
      "salesforce",
      "--settings",
      JSON.stringify({ base_url: sf.baseUrl, ...settings }),
      ...secret,
    ],
    env,
  );

describe("css-bot connectors add --kind salesforce", () => {
  it("names a field the org lacks or has with the wrong type, and stores nothing", async () => {
    sf.addField("Tier__c", "currency");
    const refused = await add({ segment_field: "Tier__c", renewal_date_field: "Renewal__c" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "settings.segment_field: Account.Tier__c is a currency field; it must be one of: string, picklist, textarea, combobox",
    );
    expect(refused.stderr).toContain('settings.renewal_date_field: Account has no field "Renewal__c"');
    expect(await db.prisma.connectorConfig.count()).toBe(0);

    sf.addField("Renewal__c", "date");
    const added = await add({ renewal_date_field: "renewal__c" });
    expect(added.stderr).toBe("");
    expect(added.stdout).toContain('added salesforce connector "crm"');

    // Re-adding with new settings alone checks them with the stored secret.
    const again = await add({ revenue_field: "Renewal__c" }, []);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("settings.revenue_field: Account.Renewal__c is a date field");
    const stored = await db.prisma.connectorConfig.findFirstOrThrow();
    expect(stored.settings).toMatchObject({ renewal_date_field: "renewal__c" });
  });

  it("refuses a refresh token Salesforce refuses, naming why", async () => {
    const refused = await add({}, ["--secret-file", secretFile("revoked")]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "Salesforce refused the credentials (the token endpoint answered invalid_grant",
    );
    expect(await db.prisma.connectorConfig.count()).toBe(0);
  });
});
