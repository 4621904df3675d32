// Owners come as emails from the data; matchOwners finds their Slack users (users.lookupByEmail on
// the fake Slack) so cases, digests and `/css mine` can mention them. A changed owner is matched
// again; an email Slack has no user for is not asked about again for a day.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertAccounts } from "../../src/db/repositories/accounts.ts";
import { updateAccountFields } from "../../src/db/repositories/source-accounts.ts";
import type { AccountRow } from "../../src/ingest/record-schemas.ts";
import { silentLogger } from "../../src/log.ts";
import { matchOwners } from "../../src/services/match-owners.ts";
import { SlackGateway, type WorkspaceSlack } from "../../src/slack/gateway.ts";
import { testRedisUrl, uniquePrefix } from "../support/queues.ts";
import { BOT_TOKEN, startSlackHarness, TEAM, type SlackHarness } from "../support/slack-app.ts";

let h: SlackHarness;
let redis: Redis;
let slack: WorkspaceSlack;

const account = (accountId: string, owner: string | null): AccountRow => ({
  accountId,
  name: accountId,
  domain: null,
  segment: null,
  owner,
  mrr: null,
  seats: null,
  renewalDate: null,
  createdAt: null,
  status: "active",
  statusGiven: false,
  churnedAt: null,
});

const slackUserOf = async (externalId: string) =>
  (
    await h.db.prisma.account.findFirstOrThrow({
      where: { workspaceId: h.workspace.id, externalId },
    })
  ).ownerSlackUserId;

beforeAll(async () => {
  h = await startSlackHarness();
  h.fake.addUser({ id: "U0ANA", name: "ana", email: "ana@example.com" });
  h.fake.addUser({ id: "U0BEN", name: "ben", email: "ben@example.com" });
  redis = new Redis(testRedisUrl);
  slack = new SlackGateway({
    apiUrl: h.fake.apiUrl,
    timeoutMs: 5000,
    redis,
    keyPrefix: `${uniquePrefix()}:pace`,
    log: silentLogger,
  }).forToken(BOT_TOKEN, TEAM);
}, 60_000);

afterAll(async () => {
  redis?.disconnect();
  await h?.close();
});

describe("matching owners to Slack users by email", () => {
  it("matches every account of an owner email, any case, once; an unknown email stays unmatched", async () => {
    await upsertAccounts(h.db.prisma, h.workspace.id, [
      account("A1", "Ana@Example.com"),
      account("A2", "ana@example.com"),
      account("A3", "nobody@example.com"),
      account("A4", null),
    ]);
    expect(await matchOwners(h.db.prisma, h.workspace.id, slack)).toEqual({ matched: 2, unmatched: 1 });
    expect(await slackUserOf("A1")).toBe("U0ANA");
    expect(await slackUserOf("A2")).toBe("U0ANA");
    expect(await slackUserOf("A3")).toBeNull();
    expect(await slackUserOf("A4")).toBeNull();
    const lookups = h.fake.callsTo("users.lookupByEmail").length;
    // Matched accounts are not looked up again, nor (for a day) an email Slack has no user for.
    expect(await matchOwners(h.db.prisma, h.workspace.id, slack)).toEqual({ matched: 0, unmatched: 1 });
    expect(h.fake.callsTo("users.lookupByEmail").length - lookups).toBe(0);
  });

  it("matches a changed owner again, from an import and from a connector", async () => {
    await upsertAccounts(h.db.prisma, h.workspace.id, [
      account("A1", "ben@example.com"),
      account("A2", null),
    ]);
    expect(await slackUserOf("A1")).toBeNull(); // a new owner: unmatched until looked up
    expect(await slackUserOf("A2")).toBe("U0ANA"); // no owner given: kept, and still matched
    const a2 = await h.db.prisma.account.findFirstOrThrow({
      where: { workspaceId: h.workspace.id, externalId: "A2" },
    });
    await updateAccountFields(h.db.prisma, h.workspace.id, [
      { id: a2.id, fields: { owner: "ben@example.com" } },
    ]);
    expect(await slackUserOf("A2")).toBeNull();
    await matchOwners(h.db.prisma, h.workspace.id, slack);
    expect(await slackUserOf("A1")).toBe("U0BEN");
    expect(await slackUserOf("A2")).toBe("U0BEN");
  });
});
