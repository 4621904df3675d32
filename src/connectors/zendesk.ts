// Zendesk Support: organizations to accounts; tickets per organization to `open_tickets` (how many are
// not solved or closed, as of the sync day) and `tickets_created` (per day created); satisfaction
// ratings to CSAT responses (good 5, bad 1). docs/connectors.md, "Zendesk", says the same for admins.
//
// A sync reads, in order: organizations (all of them on the first sync of each day, which also
// refreshes every organization's open_tickets, else the incremental organization export), then the
// incremental ticket export from its cursor, then the ratings created since the last sync, each
// mapped to its organization through its ticket. The export returns only changed tickets, so the
// cursor carries the open tickets (id and organization) and the ids of tickets created on the last
// two days: counts stay exact however many syncs a day has.
import { z } from "zod";
import { dateToDay, parseDay, type Day } from "../domain/dates.ts";
import type {
  CommonSettings,
  ConnectorDefinition,
  RejectedRecord,
  SourceAccount,
  SourceHttp,
  SourceMetric,
  SourceResponse,
  SyncContext,
  SyncPage,
} from "./contract.ts";
import { baseUrlSchema, commonSettingsShape } from "./common-settings.ts";
import { checkRecords, envelope, normaliseDomain, vendorComment } from "./vendor-common.ts";

const settingsSchema = z.strictObject({
  ...commonSettingsShape,
  base_url: baseUrlSchema, // https://<subdomain>.zendesk.com: there is no default
});
const secretSchema = z.union([
  z.strictObject({ email: z.email(), api_token: z.string().trim().min(1) }),
  z.strictObject({ oauth_token: z.string().trim().min(1) }),
]);
const id = z.number().int();
// The comment is optional for the cursors stored before comments were read.
const pendingSchema = z.object({
  id,
  ticket: id,
  score: z.number(),
  at: z.iso.datetime(),
  comment: z.string().nullish(),
});
const cursorSchema = z.object({
  /** The day of the last complete pass over all organizations; null before the first. */
  passDay: z.number().int().nullable(),
  /** A pass in progress: the organization list's cursor to continue from. */
  passAfter: z.string().nullable(),
  /** start_time of the incremental organization export (Unix seconds). */
  orgsSince: z.number().int(),
  /** The ticket export's after_cursor; null before the first export page. */
  tickets: z.string().nullable(),
  /** True until the first full ticket export ends (it counts tickets_created on every past day). */
  backfill: z.boolean(),
  /** Ratings created from this instant on are still to read (Unix seconds). */
  ratingsSince: z.number().int(),
  /** [ticket id, organization id] of every open ticket, as of the export's position. */
  open: z.array(z.tuple([id, id])),
  /** [ticket id, organization id, day created] of tickets created on the last two days. */
  recent: z.array(z.tuple([id, id, z.number().int()])),
  /** Ratings whose ticket the export has not shown yet (it was changed again within the minute). */
  pending: z.array(pendingSchema),
});

export type ZendeskSettings = CommonSettings & { base_url: string };
export type ZendeskSecret = z.infer<typeof secretSchema>;
export type ZendeskCursor = z.infer<typeof cursorSchema>;
type Context = SyncContext<ZendeskSettings, ZendeskSecret, ZendeskCursor>;

// ---- Zendesk's records (developer.zendesk.com/api-reference), lenient: unknown fields pass ----
const organizationSchema = z.looseObject({
  id,
  name: z.string(),
  domain_names: z.array(z.string()).nullish(),
  external_id: z.string().nullish(),
  created_at: z.string().nullish(),
});
const ticketSchema = z.looseObject({
  id,
  status: z.string(),
  organization_id: id.nullable(),
  created_at: z.iso.datetime({ offset: true }),
});
const ratingSchema = z.looseObject({
  id,
  ticket_id: id,
  score: z.string(),
  comment: z.string().nullish(),
  created_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }).nullish(),
});
// ---- the envelopes around Zendesk's records ----
const organizationListSchema = z.looseObject({
  organizations: z.array(z.unknown()),
  meta: z.looseObject({ has_more: z.boolean(), after_cursor: z.string().nullable() }),
});
const organizationExportSchema = z.looseObject({
  organizations: z.array(z.unknown()),
  end_time: z.number().int(),
  end_of_stream: z.boolean(),
});
const ticketExportSchema = z.looseObject({
  tickets: z.array(z.unknown()),
  after_cursor: z.string().nullable(),
  end_of_stream: z.boolean(),
});
const ratingListSchema = z.looseObject({
  satisfaction_ratings: z.array(z.unknown()),
  meta: z.looseObject({ has_more: z.boolean(), after_cursor: z.string().nullable() }),
});
type Organization = z.infer<typeof organizationSchema>;
type Pending = z.infer<typeof pendingSchema>;

const API = "/api/v2";
/** Not solved or closed (nor deleted): still open for the customer. */
const OPEN = new Set(["new", "open", "pending", "hold"]);
const SCORES: Record<string, number> = { good: 5, bad: 1 };
/** Zendesk's exports leave out the last minute, and refuse a start_time more recent than that. */
const SETTLE_SECONDS = 60;
/** A rating whose ticket the export has not shown in this long is rejected. */
const PENDING_DAYS = 7;

export const zendeskConnector: ConnectorDefinition<ZendeskSettings, ZendeskSecret, ZendeskCursor> = {
  kind: "zendesk",
  title: "Zendesk",
  settings: settingsSchema,
  secret: secretSchema,
  cursor: cursorSchema,
  defaultBaseUrl: null,
  authHeaders: (secret) => ({
    authorization:
      "oauth_token" in secret
        ? `Bearer ${secret.oauth_token}`
        : `Basic ${Buffer.from(`${secret.email}/token:${secret.api_token}`).toString("base64")}`,
  }),
  sync: (context) => new ZendeskSync(context).run(),
};

type Page = SyncPage<ZendeskCursor>;

class ZendeskSync {
  private readonly http: SourceHttp;
  private readonly today: Day;
  private readonly horizon: number;
  private cursor: ZendeskCursor;
  private readonly open: Map<number, number>;
  private readonly recent: Map<number, [number, Day]>;
  /** Organizations of the tickets this sync exported, to map ratings (null: the ticket has none). */
  private readonly ticketOrgs = new Map<number, number | null>();
  /** tickets_created on days before the recent ones, during the backfill. */
  private readonly older = new Map<string, number>();

  constructor(ctx: Context) {
    this.http = ctx.http;
    this.today = dateToDay(ctx.now);
    this.horizon = Math.floor(ctx.now.getTime() / 1000) - SETTLE_SECONDS;
    this.cursor = ctx.cursor ?? {
      passDay: null,
      passAfter: null,
      orgsSince: 0,
      tickets: null,
      backfill: true,
      ratingsSince: 0,
      open: [],
      recent: [],
      pending: [],
    };
    this.open = new Map(this.cursor.open);
    this.recent = new Map(
      this.cursor.recent.filter(([, , d]) => d >= this.today - 1).map(([t, o, d]) => [t, [o, d]]),
    );
  }

  async *run(): AsyncGenerator<Page> {
    if (this.cursor.passDay !== this.today || this.cursor.passAfter !== null) yield* this.organizationPass();
    else yield* this.organizationChanges();
    yield* this.tickets();
    yield* this.ratings();
  }

  /** Every organization, with its open_tickets as the cursor knows them (0 for most). */
  private async *organizationPass(): AsyncGenerator<Page> {
    let after = this.cursor.passAfter;
    for (;;) {
      const query = { "page[size]": 100, "page[after]": after ?? undefined };
      const body = await this.http.json({ path: `${API}/organizations.json`, query });
      const page = envelope(organizationListSchema, body, `Zendesk ${API}/organizations`);
      const { records, rejected } = checkRecords(page.organizations, organizationSchema, "organization");
      const counts = this.openCounts();
      const metrics = records.map((o) =>
        this.metric(o.id, "open_tickets", counts.get(o.id) ?? 0, this.today),
      );
      after = page.meta.has_more ? page.meta.after_cursor : null;
      const done = after === null;
      this.cursor = done
        ? {
            ...this.cursor,
            passAfter: null,
            passDay: this.today,
            orgsSince: Math.max(this.cursor.orgsSince, this.horizon),
          }
        : { ...this.cursor, passAfter: after };
      yield this.page(page.organizations.length, records.map(toAccount), metrics, [], rejected);
      if (done) return;
    }
  }

  /** Organizations created or changed since the last sync (the time-based incremental export). */
  private async *organizationChanges(): AsyncGenerator<Page> {
    // A start_time must be a minute old by Zendesk's clock: a minute more allows for clock skew.
    while (this.cursor.orgsSince <= this.horizon - SETTLE_SECONDS) {
      const query = { start_time: this.cursor.orgsSince };
      const body = await this.http.json({ path: `${API}/incremental/organizations.json`, query });
      const page = envelope(organizationExportSchema, body, `Zendesk ${API}/incremental/organizations`);
      const { records, rejected } = checkRecords(page.organizations, organizationSchema, "organization");
      const moved = page.end_time > this.cursor.orgsSince;
      this.cursor = { ...this.cursor, orgsSince: Math.max(this.cursor.orgsSince, page.end_time) };
      if (page.organizations.length)
        yield this.page(page.organizations.length, records.map(toAccount), [], [], rejected);
      // The export repeats the records at end_time; a full page that does not move would loop.
      if (page.end_of_stream || !moved) return;
    }
  }

  private async *tickets(): AsyncGenerator<Page> {
    for (;;) {
      const from = this.cursor.tickets;
      // The first export starts at the beginning: open tickets may be years old.
      const query = from ? { cursor: from } : { start_time: 0 };
      const body = await this.http.json({ path: `${API}/incremental/tickets/cursor.json`, query });
      const page = envelope(ticketExportSchema, body, `Zendesk ${API}/incremental/tickets`);
      const { records, rejected } = checkRecords(page.tickets, ticketSchema, "ticket");
      const openTouched = new Set<number>();
      const createdTouched = new Set<string>();
      for (const ticket of records) {
        const org = ticket.organization_id;
        this.ticketOrgs.set(ticket.id, org);
        const was = this.open.get(ticket.id);
        if (was !== undefined) openTouched.add(was);
        this.open.delete(ticket.id);
        if (org === null) continue;
        if (OPEN.has(ticket.status)) {
          this.open.set(ticket.id, org);
          openTouched.add(org);
        }
        const created = dateToDay(new Date(ticket.created_at));
        if (created >= this.today - 1) {
          if (!this.recent.has(ticket.id)) createdTouched.add(`${org} ${created}`);
          this.recent.set(ticket.id, this.recent.get(ticket.id) ?? [org, created]);
        } else if (this.cursor.backfill) {
          const key = `${org} ${created}`;
          this.older.set(key, (this.older.get(key) ?? 0) + 1);
          createdTouched.add(key);
        }
      }
      const counts = this.openCounts();
      const metrics = [...openTouched].map((o) =>
        this.metric(o, "open_tickets", counts.get(o) ?? 0, this.today),
      );
      metrics.push(...[...createdTouched].map((key) => this.createdMetric(key)));
      const position = page.after_cursor ?? this.cursor.tickets;
      this.cursor = {
        ...this.cursor,
        tickets: position,
        backfill: this.cursor.backfill && !page.end_of_stream,
      };
      if (page.tickets.length || position !== from)
        yield this.page(page.tickets.length, [], metrics, [], rejected);
      if (page.end_of_stream || !page.tickets.length) return;
    }
  }

  /** Ratings created since the last sync up to the export's horizon, joined to organizations by ticket. */
  private async *ratings(): AsyncGenerator<Page> {
    const rejected: RejectedRecord[] = [];
    const responses: SourceResponse[] = [];
    const pending = new Map<number, Pending>();
    const place = (p: Pending) => {
      const org = this.ticketOrgs.has(p.ticket) ? this.ticketOrgs.get(p.ticket) : this.open.get(p.ticket);
      if (org === null)
        rejected.push({
          record: `satisfaction rating ${p.id}`,
          reason: `ticket ${p.ticket} has no organization`,
        });
      else if (org !== undefined) responses.push(toResponse(p, org));
      else if (Date.parse(p.at) / 1000 < this.horizon - PENDING_DAYS * 86_400) {
        rejected.push({
          record: `satisfaction rating ${p.id}`,
          reason: `ticket ${p.ticket} not seen in the ticket export`,
        });
      } else pending.set(p.id, p);
    };
    for (const p of this.cursor.pending) place(p);
    let read = 0;
    let after: string | undefined;
    do {
      const query = {
        score: "received",
        start_time: this.cursor.ratingsSince,
        end_time: this.horizon,
        "page[size]": 100,
        "page[after]": after,
      };
      const body = await this.http.json({ path: `${API}/satisfaction_ratings.json`, query });
      const page = envelope(ratingListSchema, body, `Zendesk ${API}/satisfaction_ratings`);
      const checked = checkRecords(page.satisfaction_ratings, ratingSchema, "satisfaction rating");
      read += page.satisfaction_ratings.length;
      rejected.push(...checked.rejected);
      for (const r of checked.records) {
        const score = SCORES[r.score];
        if (score !== undefined)
          place({
            id: r.id,
            ticket: r.ticket_id,
            score,
            at: isoUtc(r.updated_at ?? r.created_at),
            comment: vendorComment(r.comment),
          });
      }
      after = page.meta.has_more ? (page.meta.after_cursor ?? undefined) : undefined;
    } while (after);
    const hadPending = this.cursor.pending.length > 0;
    this.cursor = { ...this.cursor, ratingsSince: this.horizon + 1, pending: [...pending.values()] };
    if (read || hadPending) yield this.page(read, [], [], responses, rejected);
  }

  private page(
    read: number,
    accounts: SourceAccount[],
    metrics: SourceMetric[],
    responses: SourceResponse[],
    rejected: RejectedRecord[],
  ): Page {
    const cursor: ZendeskCursor = {
      ...this.cursor,
      open: [...this.open],
      recent: [...this.recent].map(([t, [o, d]]) => [t, o, d]),
    };
    return { read, accounts, metrics, responses, rejected, cursor };
  }

  private openCounts(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const org of this.open.values()) counts.set(org, (counts.get(org) ?? 0) + 1);
    return counts;
  }

  private createdMetric(key: string): SourceMetric {
    const [org, day] = key.split(" ").map(Number) as [number, number];
    let value = this.older.get(key) ?? 0;
    if (day >= this.today - 1)
      value = [...this.recent.values()].filter(([o, d]) => o === org && d === day).length;
    return this.metric(org, "tickets_created", value, day);
  }

  private metric(org: number, metric: string, value: number, observedOn: Day): SourceMetric {
    return { sourceAccountId: String(org), metric, value, observedOn };
  }
}

function toAccount(o: Organization): SourceAccount {
  const created = o.created_at ? parseDay(o.created_at) : null;
  return {
    sourceId: String(o.id),
    name: o.name,
    domain: normaliseDomain(o.domain_names?.[0]),
    externalId: o.external_id?.trim() || null,
    ...(created === null ? {} : { createdAt: created }),
  };
}

function toResponse(p: Pending, org: number): SourceResponse {
  return {
    sourceAccountId: String(org),
    survey: "csat",
    score: p.score,
    respondedAt: new Date(p.at),
    responseId: String(p.id),
    ...(p.comment ? { comment: p.comment } : {}),
  };
}

const isoUtc = (text: string) => new Date(text).toISOString();
