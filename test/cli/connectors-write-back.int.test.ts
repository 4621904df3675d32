// css-bot connectors add --write-back, connectors write-back <name> on|off and connectors writes
// <id> [--json], in-process through run(), on a real database and the fake HubSpot.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { activeModelForScoring } from "../../src/db/repositories/models.ts";
import { dayToDate, parseDay } from "../../src/domain/dates.ts";
import { SecretBox } from "../../src/security/secret-box.ts";
import { runWriteBack } from "../../src/services/crm-write-back.ts";
import { startFakeHubSpot, type FakeHubSpot } from "../fakes/hubspot-api.ts";
import { runCli } from "../support/cli.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { writeTempFile } from "../support/files.ts";
import { openTestQueues, testRedisUrl, uniquePrefix } from "../support/queues.ts";

let db: TestDatabase;
let hubspot: FakeHubSpot;
let env: Record<string, string>;
let prefix: string;
const key = randomBytes(32);

beforeEach(async () => {
  [db, hubspot] = await Promise.all([createTestDatabase("postgres"), startFakeHubSpot()]);
  prefix = uniquePrefix();
  env = {
    DATABASE_URL: db.url!,
    REDIS_URL: testRedisUrl,
    CSS_QUEUE_PREFIX: prefix,
    CSS_ENCRYPTION_KEY: key.toString("hex"),
  };
});
afterEach(async () => {
  await openTestQueues(prefix).dispose();
  await Promise.all([db.close(), hubspot.close()]);
});

const cli = (args: string[]) => runCli(args, env);
const json = <T>(text: string) => JSON.parse(text) as T;

async function addHubSpot(...flags: string[]) {
  const secretFile = writeTempFile("secret.json", [JSON.stringify({ access_token: "pat-na1-fake" })]);
  const settings = JSON.stringify({ base_url: hubspot.baseUrl });
  return cli([
    "connectors",
    "add",
    "crm",
    "--kind",
    "hubspot",
    "--settings",
    settings,
    "--secret-file",
    secretFile,
    ...flags,
  ]);
}

describe("css-bot connectors: write-back", () => {
  it("turns write-back on at add, off and on again, and lists it", async () => {
    const added = await addHubSpot("--write-back");
    expect(added.stderr).toBe("");
    expect(added.stdout).toContain("writes scores back after each recompute");
    const listed = () =>
      cli(["connectors", "list", "--json"]).then((r) => json<Record<string, unknown>[]>(r.stdout)[0]);
    expect(await listed()).toMatchObject({ name: "crm", write_back: true, write_back_error: null });

    // Re-adding without the flag keeps it; --no-write-back turns it off.
    await addHubSpot();
    expect(await listed()).toMatchObject({ write_back: true });
    await addHubSpot("--no-write-back");
    expect(await listed()).toMatchObject({ write_back: false });

    const on = await cli(["connectors", "write-back", "crm", "on"]);
    expect(on).toMatchObject({ code: 0, stderr: "" });
    expect(on.stdout).toContain('write-back on for hubspot connector "crm"');
    expect(await listed()).toMatchObject({ write_back: true });
    const off = await cli(["connectors", "write-back", "crm", "off"]);
    expect(off.stdout).toContain('write-back off for hubspot connector "crm"');
    expect(await listed()).toMatchObject({ write_back: false });

    const bad = await cli(["connectors", "write-back", "crm", "maybe"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('say on or off, not "maybe"');
  });

  it("refuses write-back for a connector kind that cannot write, storing nothing", async () => {
    const added = await cli([
      "connectors",
      "add",
      "billing",
      "--kind",
      "stripe",
      "--secret-file",
      writeTempFile("s.json", ['{"api_key":"sk_test_x"}']),
      "--write-back",
    ]);
    expect(added.code).not.toBe(0);
    expect(added.stderr).toContain(
      "write-back is not available for stripe connectors (available: hubspot, salesforce)",
    );
    expect(await db.prisma.connectorConfig.count()).toBe(0);
    const missing = await cli(["connectors", "write-back", "nope", "on"]);
    expect(missing.stderr).toContain('no connector "nope" in this workspace');
  });

  it("shows the write log by name or id, as a table or JSON", async () => {
    await addHubSpot("--write-back");
    const connector = await db.prisma.connectorConfig.findFirstOrThrow();
    const empty = await cli(["connectors", "writes", "crm"]);
    expect(empty.stdout).toBe(
      'write-back for "crm": on\nno writes yet (they follow each recompute while write-back is on)\n',
    );

    const model = await activeModelForScoring(db.prisma, connector.workspaceId);
    const company = hubspot.addCompany({ name: "Acme", lifecyclestage: "customer" });
    const account = await db.prisma.account.create({
      data: { workspaceId: connector.workspaceId, externalId: "A1", name: "Acme" },
    });
    await db.prisma.accountSourceId.create({
      data: {
        workspaceId: connector.workspaceId,
        source: "hubspot",
        sourceId: company.id,
        accountId: account.id,
      },
    });
    await db.prisma.scoreSnapshot.create({
      data: {
        workspaceId: connector.workspaceId,
        accountId: account.id,
        asOf: dayToDate(parseDay("2026-12-01")!),
        modelId: model.id,
        score: 64,
        band: "watch",
        coverage: 1,
        components: [],
      },
    });
    const deps = { prisma: db.prisma, box: new SecretBox(key), paceMs: 0 };
    await runWriteBack(deps, connector.id, { workspaceId: connector.workspaceId });
    hubspot.addProperty({ name: "css_band", type: "number", fieldType: "number" });
    await db.prisma.scoreSnapshot.updateMany({ data: { score: 70 } });
    await runWriteBack(deps, connector.id, { workspaceId: connector.workspaceId });

    const out = await cli(["connectors", "writes", String(connector.id), "--json"]);
    expect(out.stderr).toBe("");
    const log = json<{ writes: Record<string, unknown>[] } & Record<string, unknown>>(out.stdout);
    expect(log).toMatchObject({ connector: "crm", kind: "hubspot", write_back: true });
    expect(log.write_back_error).toMatch(/css_band is of type number/);
    expect(log.writes).toMatchObject([
      { status: "refused", considered: 1, changed: 1, written: 0, batches: 0, recompute_run_id: null },
      { status: "succeeded", considered: 1, changed: 1, written: 1, batches: 1, error: null },
    ]);
    expect(Object.keys(log.writes[0]!)).toEqual([
      "id",
      "recompute_run_id",
      "status",
      "considered",
      "changed",
      "written",
      "batches",
      "error",
      "started_at",
      "finished_at",
    ]);

    const text = await cli(["connectors", "writes", "crm", "--limit", "1"]);
    expect(text.stdout).toMatch(/^write-back for "crm": stopped: the HubSpot company property css_band/);
    expect(text.stdout).toMatch(/│ refused +│ 1 +│ 1 +│ 0 +│ 0 +│/);
    expect(text.stdout).not.toMatch(/succeeded/);
    const badLimit = await cli(["connectors", "writes", "crm", "--limit", "0"]);
    expect(badLimit.stderr).toContain("--limit must be a whole number from 1 to 1000");
  });
});
