// Write-back to HubSpot against the fake HubSpot API over real HTTP, with a real database: the
// properties and their group created once, only changed accounts written, 100 companies a batch
// call, nothing sent on replay, 429 with Retry-After waited for, and a refused field or scope
// stopping write-back for the connector with one alert.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { WriteRefusedError } from "../../src/connectors/write-back/contract.ts";
import { HUBSPOT_GROUP, HUBSPOT_PROPERTIES } from "../../src/connectors/write-back/hubspot.ts";
import { activeModelForScoring } from "../../src/db/repositories/models.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { SecretBox } from "../../src/security/secret-box.ts";
import { addConnector, setWriteBack } from "../../src/services/connectors.ts";
import { runWriteBack, type WriteBackDeps } from "../../src/services/crm-write-back.ts";
import { startFakeHubSpot, type FakeHubSpot } from "../fakes/hubspot-api.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { addCrmAccount, addSnapshot } from "../support/scored-account.ts";
import { recordingSlack } from "../support/recording-slack.ts";

const BATCH = "/crm/v3/objects/companies/batch/update";
const box = new SecretBox(Buffer.alloc(32, 7));
let db: TestDatabase;
let hubspot: FakeHubSpot;
let workspaceId: number;
let modelId: number;
let connectorId: number;
let waits: number[];
let slug = 0;

beforeAll(async () => {
  db = await createTestDatabase("postgres");
}, 60_000);
afterAll(() => db?.close());

beforeEach(async () => {
  hubspot = await startFakeHubSpot();
  waits = [];
  const ws = await ensureWorkspace(db.prisma, `wb${++slug}`);
  workspaceId = ws.id;
  modelId = (await activeModelForScoring(db.prisma, ws.id)).id;
  const { connector } = await addConnector(db.prisma, box, workspaceId, {
    name: "crm",
    kind: "hubspot",
    settings: { base_url: hubspot.baseUrl },
    secret: { access_token: "pat-na1-fake" },
    actor: "test",
    writeBack: true,
  });
  connectorId = connector.id;
});
afterEach(() => hubspot.close());

const deps = (): WriteBackDeps => ({
  prisma: db.prisma,
  box,
  paceMs: 0,
  http: {
    retryBudgetMs: 60_000,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  },
});
const writeBack = () => runWriteBack(deps(), connectorId, { workspaceId });

/** An account known to HubSpot as a new company, scored `score` on `day`. */
async function scoredCompany(i: number, score: number, day = "2026-12-01") {
  const companyId = hubspot.addCompany({ name: `Company ${i}`, lifecyclestage: "customer" }).id;
  const accountId = await addCrmAccount(db.prisma, workspaceId, "hubspot", companyId, `Company ${i}`);
  await snapshot(accountId, score, day);
  return { companyId, accountId };
}

const snapshot = (accountId: number, score: number, day: string, churnProbability: number | null = null) =>
  addSnapshot(db.prisma, {
    workspaceId,
    modelId,
    accountId,
    score,
    day,
    churnProbability,
    components: [
      { key: "usage", raw: 1, score, weight: 0.5, points: score / 2 },
      { key: "nps", raw: 1, score: 90, weight: 0.5, points: 45 },
    ],
  });

describe("HubSpot write-back", () => {
  it("creates the group and properties, writes each scored company's values, and records the run", async () => {
    const acme = await scoredCompany(1, 42);
    await db.prisma.followUp.create({
      data: { workspaceId, accountId: acme.accountId, channelId: "C0RISK", threadTs: "1733580000.000100" },
    });
    await snapshot(acme.accountId, 40, "2026-12-02", 0.4567);
    const beta = await scoredCompany(2, 88);

    const result = await writeBack();

    expect(result).toMatchObject({ status: "succeeded", considered: 2, changed: 2, written: 2, batches: 1 });
    expect(hubspot.group(HUBSPOT_GROUP.name)).toMatchObject({ label: "css-bot" });
    for (const spec of Object.values(HUBSPOT_PROPERTIES))
      expect(hubspot.property(spec.name)).toMatchObject({ type: spec.type, groupName: "css_bot" });
    const names = Object.values(HUBSPOT_PROPERTIES).map((p) => p.name);
    expect(hubspot.companyView(acme.companyId, names).properties).toMatchObject({
      css_score: "40", // the latest snapshot's
      css_band: "at_risk",
      css_churn_probability: "0.457",
      css_top_drivers: "usage 40/100, nps 90/100",
      css_card_link: "https://slack.com/archives/C0RISK/p1733580000000100",
    });
    expect(hubspot.companyView(beta.companyId, names).properties).toMatchObject({
      css_score: "88",
      css_churn_probability: null, // no churn map: left empty
      css_card_link: null,
    });
    const runs = await db.prisma.crmWriteRun.findMany({ where: { connectorId } });
    expect(runs).toMatchObject([{ status: "succeeded", considered: 2, changed: 2, written: 2, batches: 1 }]);
  });

  it("writes only the accounts whose values changed, and nothing at all on a replay", async () => {
    const companies = [];
    for (let i = 0; i < 5; i++) companies.push(await scoredCompany(i, 50 + i));
    await writeBack();
    const before = hubspot.requests.length;

    // A replay of the same job: the values are compared before sending, so nothing goes out.
    expect(await writeBack()).toMatchObject({
      status: "succeeded",
      considered: 5,
      changed: 0,
      written: 0,
      batches: 0,
    });
    expect(hubspot.requests.length).toBe(before);

    // A new day where two accounts moved, and one by less than its values show (53 -> 53.2: the
    // same rounded score and drivers), which is not written.
    await snapshot(companies[1]!.accountId, 90, "2026-12-02");
    await snapshot(companies[3]!.accountId, 53.2, "2026-12-02");
    await snapshot(companies[4]!.accountId, 58, "2026-12-02");
    const result = await writeBack();
    expect(result).toMatchObject({ changed: 2, written: 2, batches: 1 });
    const sent = hubspot.requestsTo(BATCH).at(-1)!.body as { inputs: { id: string }[] };
    expect(sent.inputs.map((x) => x.id).sort()).toEqual(
      [companies[1]!.companyId, companies[4]!.companyId].sort(),
    );
  });

  it("sends at most 100 companies a batch call", async () => {
    for (let i = 0; i < 230; i++) await scoredCompany(i, i % 100);
    const result = await writeBack();
    expect(result).toMatchObject({ changed: 230, written: 230, batches: 3 });
    const sizes = hubspot.requestsTo(BATCH).map((r) => (r.body as { inputs: unknown[] }).inputs.length);
    expect(sizes).toEqual([100, 100, 30]);
  }, 30_000);

  it("paces batch calls by the writer's interval", async () => {
    for (let i = 0; i < 250; i++) await scoredCompany(i, 60);
    await runWriteBack({ ...deps(), paceMs: 10_000 }, connectorId, { workspaceId });
    // Three batches: the second and third wait for the pace (less the time the call took).
    expect(waits).toHaveLength(2);
    for (const wait of waits) expect(wait).toBeGreaterThan(9_000);
  }, 30_000);

  it("waits for Retry-After on a 429 and retries the batch, writing each company once", async () => {
    for (let i = 0; i < 3; i++) await scoredCompany(i, 60);
    hubspot.failNext(BATCH, { status: 429, retryAfter: 7 });
    hubspot.failNext(BATCH, { status: 503 });
    const result = await writeBack();
    expect(result).toMatchObject({ status: "succeeded", written: 3, batches: 1 });
    expect(waits[0]).toBe(7_000);
    expect(hubspot.requestsTo(BATCH).map((r) => r.status)).toEqual([429, 503, 200]);
  });

  it("leaves out a company deleted in HubSpot since the sync, writing the others", async () => {
    const gone = await scoredCompany(1, 60);
    await scoredCompany(2, 70);
    hubspot.archiveCompany(gone.companyId);
    expect(await writeBack()).toMatchObject({ status: "succeeded", changed: 2, written: 1, notFound: 1 });
    // Not recorded as written: it is tried again (and found again if it comes back).
    expect(await writeBack()).toMatchObject({ changed: 1, written: 0, notFound: 1 });
  });

  it("stops write-back with one alert when a property has the wrong type, until turned on again", async () => {
    await scoredCompany(1, 60);
    hubspot.addProperty({ name: "css_score", type: "string", fieldType: "text" });
    await db.prisma.workspace.update({
      where: { id: workspaceId },
      data: { settings: { alert_channel: "C0ALERTS" } },
    });
    const { posted, slack } = recordingSlack();
    const writeBack = () => runWriteBack({ ...deps(), slack }, connectorId, { workspaceId });

    const result = await writeBack();
    expect(result).toMatchObject({ status: "refused", written: 0 });
    expect((result as { error: string }).error).toMatch(
      /css_score is of type string, css-bot writes a number/,
    );
    const connector = await db.prisma.connectorConfig.findUniqueOrThrow({ where: { id: connectorId } });
    expect(connector.writeBackError).toMatch(/css_score/);
    expect(hubspot.requestsTo(BATCH)).toHaveLength(0);

    // The next recomputes' jobs skip it: no requests, no new alert, no retry storm.
    const seen = hubspot.requests.length;
    const skipped = await writeBack();
    expect(skipped.status).toBe("skipped");
    expect((skipped as { reason: string }).reason).toMatch(
      /^write-back stopped: the HubSpot company property css_score/,
    );
    expect(await writeBack()).toMatchObject({ status: "skipped" });
    expect(hubspot.requests.length).toBe(seen);
    const alerts = await db.prisma.auditLogEntry.findMany({
      where: { workspaceId, action: "connector.write_back_refused" },
    });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.target).toBe("crm");
    expect(posted).toHaveLength(1);
    expect(posted[0]!.channel).toBe("C0ALERTS");
    expect(posted[0]!.text).toContain('Scores are no longer written to HubSpot by the connector "crm"');
    expect(posted[0]!.text).toMatch(/css.*score.* is of type string, css-bot writes a number/);

    // Fixed by the admin (the property re-made as a number), then turned on again: it writes.
    hubspot.addProperty({ name: "css_score", type: "number", fieldType: "number" });
    await setWriteBack(db.prisma, workspaceId, "crm", true, "test");
    expect(await writeBack()).toMatchObject({ status: "succeeded", written: 1 });
  });

  it("stops write-back when the app lacks the companies write scope, with one alert", async () => {
    await scoredCompany(1, 60);
    hubspot.revokeScope("crm.objects.companies.write");
    const result = await writeBack();
    expect(result).toMatchObject({ status: "refused" });
    expect((result as { error: string }).error).toMatch(
      /lack a permission write-back needs \(scopes .*crm\.objects\.companies\.write.*HTTP 403.*required scopes/,
    );
    expect(hubspot.requestsTo(BATCH)).toHaveLength(1); // refused once, not retried
    expect(await writeBack()).toMatchObject({ status: "skipped" });
    const runs = await db.prisma.crmWriteRun.findMany({ where: { connectorId } });
    expect(runs.map((r) => r.status)).toEqual(["refused"]);
  });

  it("does nothing for a connector with write-back off", async () => {
    await scoredCompany(1, 60);
    await setWriteBack(db.prisma, workspaceId, "crm", false, "test");
    expect(await writeBack()).toEqual({ status: "skipped", reason: "write-back is off" });
    expect(hubspot.requests).toHaveLength(0);
  });

  it("refuses write-back for a kind that cannot write", async () => {
    await expect(
      addConnector(db.prisma, box, workspaceId, {
        name: "billing",
        kind: "stripe",
        settings: {},
        secret: { api_key: "sk_test_x" },
        actor: "test",
        writeBack: true,
      }),
    ).rejects.toThrow(/write-back is not available for stripe connectors \(available: hubspot, salesforce\)/);
  });

  it("names the error class a refusal is", () => {
    expect(new WriteRefusedError("x").code).toBe("CRM_WRITE_REFUSED");
  });
});
