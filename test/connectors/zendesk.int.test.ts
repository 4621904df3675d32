// The Zendesk connector against the fake Zendesk API over real HTTP: organizations, the incremental
// ticket export to open_tickets and tickets_created, satisfaction ratings to CSAT, incremental syncs,
// and the source's faults.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConnectorAuthError, type SyncPage } from "../../src/connectors/contract.ts";
import { createSourceHttp } from "../../src/connectors/http.ts";
import { zendeskConnector, type ZendeskCursor, type ZendeskSecret } from "../../src/connectors/zendesk.ts";
import { parseDay } from "../../src/domain/dates.ts";
import { silentLogger } from "../../src/log.ts";
import { startFakeZendesk, type FakeZendesk, type ZendeskTicketStatus } from "../fakes/zendesk-api.ts";

const TOKEN: ZendeskSecret = { email: "agent@example.com", api_token: "zd-api-token" };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const day = (text: string) => parseDay(text)!;

let zendesk: FakeZendesk;
let waits: number[];

beforeEach(async () => {
  zendesk = await startFakeZendesk({ now: "2025-01-15T12:00:00Z" });
  waits = [];
});
afterEach(() => zendesk.close());

async function sync(
  cursor: ZendeskCursor | null,
  secret: ZendeskSecret = TOKEN,
): Promise<SyncPage<ZendeskCursor>[]> {
  const http = createSourceHttp({
    baseUrl: zendesk.baseUrl,
    headers: zendeskConnector.authHeaders(secret),
    source: "Zendesk",
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  const pages: SyncPage<ZendeskCursor>[] = [];
  const context = {
    settings: zendeskConnector.settings.parse({ base_url: zendesk.baseUrl }),
    secret,
    cursor: cursor === null ? null : zendeskConnector.cursor.parse(cursor),
    http,
    now: new Date(zendesk.clock.now()),
    signal: new AbortController().signal,
    log: silentLogger,
  };
  for await (const page of zendeskConnector.sync(context)) pages.push(page);
  return pages;
}

const accountsOf = (pages: SyncPage<unknown>[]) => pages.flatMap((p) => p.accounts ?? []);
const responsesOf = (pages: SyncPage<unknown>[]) => pages.flatMap((p) => p.responses ?? []);
const rejectedOf = (pages: SyncPage<unknown>[]) => pages.flatMap((p) => p.rejected ?? []);
const lastCursor = (pages: SyncPage<ZendeskCursor>[]) => pages.at(-1)!.cursor;
/** The stored metrics after committing the pages in order: per account, metric and day, the last value wins. */
function stored(pages: SyncPage<unknown>[], into = new Map<string, number>()): Map<string, number> {
  for (const m of pages.flatMap((p) => p.metrics ?? []))
    into.set(`${m.sourceAccountId} ${m.metric} ${m.observedOn}`, m.value);
  return into;
}
const key = (org: number, metric: string, on: string) => `${org} ${metric} ${day(on)}`;

describe("Zendesk connector: first sync", () => {
  it("reads organizations, every ticket and the ratings across pages, into accounts, metrics and CSAT", async () => {
    const orgs = Array.from({ length: 230 }, (_, i) =>
      zendesk.addOrganization({
        name: `Org ${i}`,
        domain_names: i === 0 ? ["WWW.Acme.com", "acme.io"] : [],
        external_id: i === 0 ? "A-42" : null,
      }),
    );
    const [acme, beta, gamma] = [orgs[0]!.id, orgs[1]!.id, orgs[2]!.id];
    const statuses: ZendeskTicketStatus[] = ["new", "open", "pending", "hold", "solved", "closed"];
    // 2,100 tickets of acme, created on 2025-01-01: 6 statuses in turn, so 1,400 not solved or closed.
    for (let i = 0; i < 2100; i++) {
      zendesk.addTicket({
        organization_id: acme,
        status: statuses[i % 6],
        created_at: "2025-01-01T10:00:00Z",
      });
    }
    zendesk.addTicket({ organization_id: beta, status: "open", created_at: "2025-01-14T09:00:00Z" });
    const betaSolved = zendesk.addTicket({
      organization_id: beta,
      status: "solved",
      created_at: "2025-01-15T09:00:00Z",
    });
    const noOrg = zendesk.addTicket({ status: "open" });
    const ratings = [
      zendesk.addRating({
        ticket_id: betaSolved.id,
        score: "good",
        created_at: "2025-01-15T10:00:00Z",
        comment: "Quick and\r\nkind\u0000 ",
      }),
      zendesk.addRating({ ticket_id: 1, score: "bad", comment: "slow" }),
      zendesk.addRating({ ticket_id: 2, score: "offered" }),
      zendesk.addRating({ ticket_id: noOrg.id, score: "good" }),
    ];
    zendesk.clock.advance(5 * MINUTE);

    const pages = await sync(null);

    expect(zendesk.requestsTo("/api/v2/organizations.json")).toHaveLength(3);
    expect(zendesk.requestsTo("/api/v2/incremental/tickets/cursor.json").map((r) => r.query)).toEqual([
      { start_time: "0" },
      { cursor: expect.any(String) as string },
      { cursor: expect.any(String) as string },
    ]);
    expect(accountsOf(pages)).toHaveLength(230);
    expect(accountsOf(pages)[0]).toEqual({
      sourceId: String(acme),
      name: "Org 0",
      domain: "acme.com",
      externalId: "A-42",
      createdAt: day("2025-01-15"),
    });
    const metrics = stored(pages);
    expect(metrics.get(key(acme, "open_tickets", "2025-01-15"))).toBe(1400);
    expect(metrics.get(key(beta, "open_tickets", "2025-01-15"))).toBe(1);
    expect(metrics.get(key(gamma, "open_tickets", "2025-01-15"))).toBe(0); // every organization gets its count
    expect(metrics.get(key(acme, "tickets_created", "2025-01-01"))).toBe(2100);
    expect(metrics.get(key(beta, "tickets_created", "2025-01-14"))).toBe(1);
    expect(metrics.get(key(beta, "tickets_created", "2025-01-15"))).toBe(1);
    expect(responsesOf(pages)).toEqual([
      {
        sourceAccountId: String(beta),
        survey: "csat",
        score: 5,
        respondedAt: new Date("2025-01-15T10:00:00Z"),
        responseId: String(ratings[0]!.id),
        // On one line, without the control character the records refuse: the score is kept.
        comment: "Quick and kind",
      },
      {
        sourceAccountId: String(acme),
        survey: "csat",
        score: 1,
        respondedAt: new Date("2025-01-15T12:00:00Z"),
        responseId: String(ratings[1]!.id),
        comment: "slow",
      },
    ]);
    expect(rejectedOf(pages)).toEqual([
      { record: `satisfaction rating ${ratings[3]!.id}`, reason: `ticket ${noOrg.id} has no organization` },
    ]);
    expect(zendesk.requestsTo("/api/v2/satisfaction_ratings.json")[0]!.query).toMatchObject({
      score: "received",
      start_time: "0",
    });
    const cursor = lastCursor(pages);
    expect(cursor).toMatchObject({
      passDay: day("2025-01-15"),
      passAfter: null,
      backfill: false,
      pending: [],
    });
    expect(cursor.open).toHaveLength(1401); // a ticket without organization is nobody's
    expect(cursor.recent).toHaveLength(2);
  });

  it("authenticates with an OAuth token too", async () => {
    zendesk.addOrganization({ name: "Solo" });
    zendesk.clock.advance(5 * MINUTE);
    const pages = await sync(null, { oauth_token: "zd-oauth-token" });
    expect(accountsOf(pages)).toHaveLength(1);
    expect(zendesk.requests.every((r) => r.auth === "bearer")).toBe(true);
  });
});

describe("Zendesk connector: incremental syncs", () => {
  it("reads only the changes, keeping open_tickets and the day's tickets_created exact across syncs", async () => {
    const acme = zendesk.addOrganization({ name: "Acme" }).id;
    const beta = zendesk.addOrganization({ name: "Beta" }).id;
    const t1 = zendesk.addTicket({ organization_id: acme, status: "open" });
    zendesk.addTicket({ organization_id: acme, status: "open" });
    zendesk.addTicket({ organization_id: beta, status: "open" });
    zendesk.clock.advance(5 * MINUTE);
    const first = await sync(null);
    expect(stored(first).get(key(acme, "tickets_created", "2025-01-15"))).toBe(2);

    zendesk.clock.advance(HOUR);
    zendesk.updateTicket(t1.id, { status: "solved" });
    zendesk.addTicket({ organization_id: acme, status: "new" });
    const gamma = zendesk.addOrganization({ name: "Gamma", domain_names: ["gamma.example"] }).id;
    const g1 = zendesk.addTicket({ organization_id: gamma, status: "open" });
    const rating = zendesk.addRating({ ticket_id: t1.id, score: "bad" });
    zendesk.clock.advance(5 * MINUTE);
    const requestsBefore = zendesk.requests.length;

    const second = await sync(lastCursor(first));

    const paths = zendesk.requests.slice(requestsBefore).map((r) => r.path);
    expect(paths).not.toContain("/api/v2/organizations.json"); // one full pass a day
    expect(paths).toContain("/api/v2/incremental/organizations.json");
    expect(accountsOf(second)).toEqual([
      {
        sourceId: String(gamma),
        name: "Gamma",
        domain: "gamma.example",
        externalId: null,
        createdAt: day("2025-01-15"),
      },
    ]);
    const metrics = stored(second);
    expect([...metrics.keys()].sort()).toEqual(
      [
        key(acme, "open_tickets", "2025-01-15"),
        key(acme, "tickets_created", "2025-01-15"),
        key(gamma, "open_tickets", "2025-01-15"),
        key(gamma, "tickets_created", "2025-01-15"),
      ].sort(),
    );
    expect(metrics.get(key(acme, "open_tickets", "2025-01-15"))).toBe(2); // t2 and the new one
    expect(metrics.get(key(acme, "tickets_created", "2025-01-15"))).toBe(3); // the day's total, not this sync's
    expect(metrics.get(key(gamma, "open_tickets", "2025-01-15"))).toBe(1);
    expect(responsesOf(second)).toEqual([
      expect.objectContaining({ sourceAccountId: String(acme), score: 1, responseId: String(rating.id) }),
    ]);
    // The second sync's pages come in order: the new organization before its tickets.
    const firstMetricPage = second.findIndex((p) => p.metrics?.length);
    expect(second.findIndex((p) => p.accounts?.length)).toBeLessThan(firstMetricPage);

    zendesk.clock.advance(HOUR);
    zendesk.updateTicket(g1.id, { status: "closed" });
    zendesk.clock.advance(5 * MINUTE);
    const third = await sync(lastCursor(second));
    expect([...stored(third)]).toEqual([[key(gamma, "open_tickets", "2025-01-15"), 0]]);
    expect(responsesOf(third)).toEqual([]);

    // The next day: a full pass refreshes every organization's count.
    zendesk.clock.set("2025-01-16T08:00:00Z");
    const fourth = await sync(lastCursor(third));
    expect(stored(fourth)).toEqual(
      new Map([
        [key(acme, "open_tickets", "2025-01-16"), 2],
        [key(beta, "open_tickets", "2025-01-16"), 1],
        [key(gamma, "open_tickets", "2025-01-16"), 0],
      ]),
    );
    expect(lastCursor(fourth).recent).toHaveLength(5); // created yesterday: kept
  });

  it("holds a rating whose ticket the export has not shown yet, and maps it at the next sync", async () => {
    const acme = zendesk.addOrganization({ name: "Acme" }).id;
    const ticket = zendesk.addTicket({ organization_id: acme, status: "solved" });
    zendesk.clock.advance(5 * MINUTE);
    const first = await sync(null);
    zendesk.clock.advance(HOUR);
    const rating = zendesk.addRating({ ticket_id: ticket.id, score: "good" });
    zendesk.clock.advance(90_000);
    zendesk.updateTicket(ticket.id, { tags: ["followed-up"] }); // within the export's last minute
    const second = await sync(lastCursor(first));
    expect(responsesOf(second)).toEqual([]);
    expect(lastCursor(second).pending).toEqual([
      expect.objectContaining({ id: rating.id, ticket: ticket.id, score: 5 }),
    ]);
    zendesk.clock.advance(5 * MINUTE);
    const third = await sync(lastCursor(second));
    expect(responsesOf(third)).toEqual([
      expect.objectContaining({ sourceAccountId: String(acme), responseId: String(rating.id) }),
    ]);
    expect(lastCursor(third).pending).toEqual([]);
  });
});

describe("Zendesk connector: faults", () => {
  it("waits Retry-After on 429 and retries 5xx", async () => {
    zendesk.addOrganization({ name: "Solo" });
    zendesk.clock.advance(5 * MINUTE);
    zendesk.failNext("/api/v2/organizations", { status: 429, retryAfter: 12 });
    zendesk.failNext("/api/v2/incremental/tickets/cursor", { status: 500 });
    const pages = await sync(null);
    expect(waits).toContain(12_000);
    expect(waits).toHaveLength(2);
    expect(accountsOf(pages)).toHaveLength(1);
  });

  it("throws ConnectorAuthError when the credentials are refused", async () => {
    zendesk.revokeCredentials();
    await expect(sync(null)).rejects.toBeInstanceOf(ConnectorAuthError);
  });

  it("rejects malformed organizations, tickets and ratings with reasons and uses the rest", async () => {
    const bad = zendesk.addOrganization({ name: "Bad", domain_names: ["bad.example"] }).id;
    const good = zendesk.addOrganization({ name: "Good" }).id;
    const t1 = zendesk.addTicket({ organization_id: good, status: "open" });
    const t2 = zendesk.addTicket({ organization_id: good, status: "open" });
    const r1 = zendesk.addRating({ ticket_id: t1.id, score: "good" });
    zendesk.addRating({ ticket_id: t2.id, score: "bad" });
    zendesk.clock.advance(5 * MINUTE);
    zendesk.failNext("/api/v2/organizations", { malformed: true });
    zendesk.failNext("/api/v2/incremental/tickets/cursor", { malformed: true });
    zendesk.failNext("/api/v2/satisfaction_ratings", { malformed: true });

    const pages = await sync(null);

    expect(rejectedOf(pages)).toEqual([
      { record: `organization ${bad}`, reason: "domain_names: expected array, received string" },
      { record: `ticket ${t1.id}`, reason: "organization_id: expected number, received string" },
      { record: `satisfaction rating ${r1.id}`, reason: "score: expected string, received number" },
    ]);
    expect(accountsOf(pages).map((a) => a.name)).toEqual(["Good"]);
    expect(stored(pages).get(key(good, "open_tickets", "2025-01-15"))).toBe(1);
    expect(responsesOf(pages).map((r) => r.score)).toEqual([1]);
    expect(pages.reduce((n, p) => n + p.read, 0)).toBe(2 + 2 + 2);
  });
});
