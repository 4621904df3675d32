// The input of the KPI library (domain/kpi/portfolio.ts) for one month, read from the database and
// reduced in SQL to what the library reads: per account its last `mrr` observation on or before the
// start and on or before the end of the month, and its last `active_users` observation within the
// month; survey responses of the month. The library then computes exactly what it computes from
// files, without loading the history.
import { dateToDay, dayToDate, formatDay, type Period } from "../../domain/dates.ts";
import type { AccountRecord, MetricRecord, ResponseRecord } from "../../domain/records.ts";
import type { PortfolioKpiInput } from "../../domain/kpi/portfolio.ts";
import type { Db } from "../handle.ts";

interface AccountRow {
  external_id: string;
  name: string;
  domain: string | null;
  segment: string | null;
  owner: string | null;
  mrr: string | null;
  seats: number | null;
  renewal_date: Date | null;
  customer_since: Date | null;
  status: "active" | "churned";
  churned_at: Date | null;
}

const day = (d: Date | null) => (d === null ? null : dateToDay(d));

export async function portfolioKpiInput(
  db: Db,
  workspaceId: number,
  period: Period,
): Promise<PortfolioKpiInput> {
  const start = formatDay(period.first - 1);
  const end = formatDay(period.last);
  const first = formatDay(period.first);
  const accountRows = await db.$queryRawUnsafe<AccountRow[]>(
    `SELECT external_id, name, domain, segment, owner, mrr::text AS mrr, seats, renewal_date, customer_since,
            status::text AS status, churned_at
     FROM accounts WHERE workspace_id = $1`,
    workspaceId,
  );
  const accounts: AccountRecord[] = accountRows.map((a) => ({
    accountId: a.external_id,
    name: a.name,
    domain: a.domain,
    segment: a.segment,
    owner: a.owner,
    mrr: a.mrr === null ? null : Number(a.mrr),
    seats: a.seats,
    renewalDate: day(a.renewal_date),
    createdAt: day(a.customer_since),
    status: a.status,
    churnedAt: day(a.churned_at),
  }));
  const metricRows = await db.$queryRawUnsafe<
    { account_id: string; metric: string; value: number; observed_on: Date }[]
  >(
    `SELECT * FROM (
       (SELECT DISTINCT ON (o.account_id) a.external_id AS account_id, o.metric, o.value, o.observed_on
        FROM metric_observations o JOIN accounts a ON a.id = o.account_id
        WHERE o.workspace_id = $1 AND o.metric = 'mrr' AND o.observed_on <= $2::date
        ORDER BY o.account_id, o.observed_on DESC)
       UNION ALL
       (SELECT DISTINCT ON (o.account_id) a.external_id, o.metric, o.value, o.observed_on
        FROM metric_observations o JOIN accounts a ON a.id = o.account_id
        WHERE o.workspace_id = $1 AND o.metric = 'mrr' AND o.observed_on <= $3::date
        ORDER BY o.account_id, o.observed_on DESC)
       UNION ALL
       (SELECT DISTINCT ON (o.account_id) a.external_id, o.metric, o.value, o.observed_on
        FROM metric_observations o JOIN accounts a ON a.id = o.account_id
        WHERE o.workspace_id = $1 AND o.metric = 'active_users' AND o.observed_on BETWEEN $4::date AND $3::date
        ORDER BY o.account_id, o.observed_on DESC)
     ) m ORDER BY observed_on`,
    workspaceId,
    start,
    end,
    first,
  );
  const metrics: MetricRecord[] = metricRows.map((m) => ({
    accountId: m.account_id,
    metric: m.metric,
    value: m.value,
    observedOn: day(m.observed_on)!,
  }));
  const responseRows = await db.$queryRawUnsafe<
    { survey: "nps" | "csat" | "ces"; score: number; responded_at: Date }[]
  >(
    `SELECT survey::text AS survey, score, responded_at FROM survey_responses
     WHERE workspace_id = $1 AND responded_at >= $2 AND responded_at < $3`,
    workspaceId,
    dayToDate(period.first),
    dayToDate(period.last + 1),
  );
  const responses: ResponseRecord[] = responseRows.map((r) => ({
    accountId: "",
    survey: r.survey,
    score: r.score,
    respondedOn: day(r.responded_at)!,
  }));
  return { accounts, metrics, responses, period };
}
