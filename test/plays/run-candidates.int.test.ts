// The candidates a recompute's shards record for component, score_drop, no_data and renewal plays
// (play_candidates) stand in for a pass over every snapshot of the day, two probes of every
// account's observations and a probe of every renewing account's snapshot before: what fires from
// them must be exactly what fires from the snapshots and the observations (play-candidates.ts, the
// path taken when the shards recorded nothing). A week of real runs over a generated portfolio with a
// metric that goes quiet and renewal dates written here, each evaluated both ways; then
// the prune, and a late evaluation of a pruned run, which must find the same fires from the
// snapshots; then a day whose rollups the refresh job moved, which the run must not compute again.
// The shards tell a component's crossing from the snapshot before's marks (domain/plays/
// bound-marks.ts) when they are of the run's playbook version, from its components otherwise: both
// must give the SQL's crossings.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertObservations } from "../../src/db/repositories/observations.ts";
import { storePlaybookVersion } from "../../src/db/repositories/playbooks.ts";
import type { Clients } from "../../src/db/handle.ts";
import { boundMarks, markedPlays } from "../../src/domain/plays/bound-marks.ts";
import type { ComponentState } from "../../src/domain/plays/facts.ts";
import type { Playbook } from "../../src/domain/plays/schema.ts";
import { candidateAccounts } from "../../src/services/plays/play-candidates.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { dateToDay, formatDay, type Day } from "../../src/domain/dates.ts";
import { parsePlaybook } from "../../src/domain/plays/parse-playbook.ts";
import { DEFAULT_SOURCE_PRECEDENCE, sourceGuard } from "../../src/domain/source-precedence.ts";
import { decideFires, firePlays, type DecidedFire } from "../../src/services/plays/fire-plays.ts";
import { recomputeWorkspace } from "../../src/services/recompute.ts";
import { refreshWorkspaceRollups } from "../../src/services/refresh-rollups.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";

const SOURCE = `
name: shard candidates
plays:
  - key: usage_low
    trigger: { component: { key: usage, below: 60 } }
    actions: [{ post: { channel: alert_channel, text: "{{trigger}}" } }]
  - key: nps_high
    trigger: { component: { key: nps, value: raw, at_least: 30 } }
    actions: [{ post: { channel: alert_channel, text: "{{trigger}}" } }]
  - key: dip
    trigger: { score_drop: { points: 1, within_days: 1 } }
    actions: [{ post: { channel: alert_channel, text: "{{trigger}}" } }]
  - key: slide
    trigger: { score_drop: { points: 3, within_days: 5 } }
    actions: [{ post: { channel: alert_channel, text: "{{trigger}}" } }]
  - key: at_risk
    trigger: { band_entered: [lowest] }
    actions: [{ post: { channel: alert_channel, text: "{{trigger}}" } }]
  - key: quiet
    trigger: { no_data: { metric: logins, days: 5 } }
    actions: [{ post: { channel: alert_channel, text: "{{trigger}}" } }]
  - key: quiet_long
    trigger: { no_data: { metric: logins, days: 12 } }
    actions: [{ post: { channel: alert_channel, text: "{{trigger}}" } }]
  - key: renewing_risky
    trigger: { renewal: { within_days: 5, bands: [lowest, caution] } }
    actions: [{ post: { channel: alert_channel, text: "{{trigger}}" } }]
  - key: renewing_soon
    trigger: { renewal: { within_days: 12, bands: [healthy, caution, at_risk] } }
    actions: [{ post: { channel: alert_channel, text: "{{trigger}}" } }]
`;
const PLAYBOOK = parsePlaybook(SOURCE, "shard.yaml");

const NO_DATA_KEYS = ["quiet", "quiet_long"];
const NO_DATA_PLAYS = PLAYBOOK.plays.filter((p) => NO_DATA_KEYS.includes(p.key));
const RENEWAL_KEYS = ["renewing_risky", "renewing_soon"];
const RENEWAL_PLAYS = PLAYBOOK.plays.filter((p) => RENEWAL_KEYS.includes(p.key));

/**
 * Each active account's renewal date, from the week's first day on: the i-th's 0 to 24 days after
 * it, so every day renewals enter the plays' windows (and some pass), while the accounts already in
 * a window tell only a change of band; every ninth none. On the week's fourth day (`moved`), every
 * eleventh account's date moves to two days ahead: into the windows, from outside them or not.
 */
const renewalDay = (i: number, first: Day): Day | null => (i % 9 === 0 ? null : first + (i % 25));
async function writeRenewals(db: TestDatabase, workspaceId: number, first: Day, moved?: Day): Promise<void> {
  const accounts = await db.prisma.account.findMany({
    where: { workspaceId, status: "active" },
    orderBy: { id: "asc" },
  });
  const ids: number[] = [];
  const dates: (string | null)[] = [];
  accounts.forEach((a, i) => {
    if (moved !== undefined && i % 11 !== 0) return;
    const day = moved === undefined ? renewalDay(i, first) : moved + 2;
    ids.push(a.id);
    dates.push(day === null ? null : formatDay(day));
  });
  await db.sql.query(
    `UPDATE accounts a SET renewal_date = x.d::date FROM unnest($1::int[], $2::text[]) AS x(id, d)
     WHERE a.id = x.id`,
    [ids, dates],
  );
}

/**
 * A metric none of the model's inputs reads, with gaps: each active account's logins are observed up to
 * a last day 0 to 19 days before the portfolio's end (every day, or every fourth day for a third of
 * them, so a gap may begin before the last observation), and a seventh of the accounts never.
 */
async function writeLogins(db: TestDatabase, workspaceId: number): Promise<void> {
  const accounts = await db.prisma.account.findMany({
    where: { workspaceId, status: "active" },
    orderBy: { id: "asc" },
  });
  const rows: { accountId: number; metric: string; observedOn: Day; value: number }[] = [];
  accounts.forEach((a, i) => {
    if (i % 7 === 0) return;
    const last = PORTFOLIO_END - (i % 20);
    for (let d = PORTFOLIO_END - 40; d <= last; d++) {
      if (i % 3 === 0 && d % 4 !== 0 && d !== last) continue;
      rows.push({ accountId: a.id, metric: "logins", observedOn: d, value: 1 + (d % 5) });
    }
  });
  await upsertObservations(db.prisma, workspaceId, sourceGuard(DEFAULT_SOURCE_PRECEDENCE, "import"), rows);
}

const fireKeys = (decided: readonly DecidedFire[]) =>
  decided.map((d) => `${d.play.key} ${d.accountId} ${JSON.stringify(d.hit.facts)}`).sort();

/** Each component play's candidates of the run: recorded by its shards, and found by the SQL pass. */
async function componentCandidates(
  db: Clients,
  workspaceId: number,
  run: { runId: bigint; day: Day },
  stored: { id: number; playbook: Playbook },
): Promise<{ shards: Record<string, number[]>; sql: Record<string, number[]> }> {
  const plays = markedPlays(stored.playbook.plays);
  const read = async (playbookId: number | null) => {
    const found = await candidateAccounts(db.prisma, workspaceId, { ...run, playbookId }, run.day, plays);
    return Object.fromEntries([...found].map(([k, ids]) => [k, [...ids].sort((a, b) => a - b)]));
  };
  return { shards: await read(stored.id), sql: await read(null) };
}

/** The marks of the workspace's snapshots of `day`, and the marks their components give for `stored`. */
async function marksOfDay(
  db: Clients,
  workspaceId: number,
  day: Day,
  stored: { id: number; playbook: Playbook },
): Promise<{ stored: (string | null)[]; computed: (string | null)[] }> {
  const rows = await db.sql.query<{ play_bounds: string | null; components: ComponentState[] }>(
    `SELECT play_bounds, components FROM score_snapshots WHERE workspace_id = $1 AND as_of = $2::date
     ORDER BY account_id`,
    [workspaceId, formatDay(day)],
  );
  const plays = markedPlays(stored.playbook.plays);
  return {
    stored: rows.map((r) => r.play_bounds),
    computed: rows.map((r) => boundMarks(stored.id, plays, r.components).stored),
  };
}

describe("plays' candidates recorded by the run's shards", () => {
  let db: TestDatabase;
  let workspaceId: number;
  let playbookId: number;
  // Each run's evaluation both ways, made right after the run as firePlays makes it: the renewal
  // plays read the accounts' state (band, renewal date), which the following runs and moves change.
  interface Evaluated {
    runId: bigint;
    day: number;
    fires: { shards: DecidedFire[]; snapshots: DecidedFire[] };
    renewal: { shards: number[][]; sql: number[][]; dates: Map<number, Day> };
  }
  const runs: Evaluated[] = [];
  /**
   * The run's candidates of `plays`, each play's sorted: as its shards recorded them (`playbookId`),
   * or from SQL (null).
   */
  async function candidatesOf(plays: Playbook["plays"], runId: bigint, day: Day, recordedFor: number | null) {
    const found = await candidateAccounts(
      db.prisma,
      workspaceId,
      { runId, playbookId: recordedFor },
      day,
      plays,
    );
    return plays.map((p) => [...(found.get(p.key) ?? [])].sort((a, b) => a - b));
  }
  const renewalCandidates = (runId: bigint, day: Day, recordedFor: number | null) =>
    candidatesOf(RENEWAL_PLAYS, runId, day, recordedFor);
  const evaluate = async (runId: bigint, day: Day): Promise<Evaluated> => {
    const decide = async (id: number | null) =>
      (await decideFires(db, workspaceId, { id, playbook: PLAYBOOK }, runId, day)).decided;
    const dates = await db.sql.query<{ id: number; renewal: Day }>(
      `SELECT id, renewal_date - DATE '1970-01-01' AS renewal FROM accounts
       WHERE workspace_id = $1 AND renewal_date IS NOT NULL`,
      [workspaceId],
    );
    return {
      runId,
      day,
      fires: { shards: await decide(playbookId), snapshots: await decide(null) },
      renewal: {
        shards: await renewalCandidates(runId, day, playbookId),
        sql: await renewalCandidates(runId, day, null),
        dates: new Map(dates.map((r) => [r.id, r.renewal])),
      },
    };
  };

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    workspaceId = (await ensureWorkspace(db.prisma, "T_SHARD")).id;
    await importPortfolio(db.prisma, workspaceId, { accounts: 150, days: 45 });
    await writeLogins(db, workspaceId);
    playbookId = (await storePlaybookVersion(db.prisma, workspaceId, PLAYBOOK, SOURCE, "test")).id;
    await writeRenewals(db, workspaceId, PORTFOLIO_END - 6);
    for (let offset = -6; offset <= 0; offset++) {
      const day = PORTFOLIO_END + offset;
      if (offset === -3) await writeRenewals(db, workspaceId, PORTFOLIO_END - 6, day);
      // Small shards, so candidates come from several, each writing its own range.
      const { runId } = await recomputeWorkspace(db, workspaceId, day, { shardSize: 40 });
      runs.push(await evaluate(runId, day));
    }
  }, 180_000);
  afterAll(async () => db?.close());

  it("give each run exactly the fires a pass over its snapshots gives", async () => {
    const fired = new Map<string, number>();
    for (const { runId, day, fires } of runs) {
      const recorded = await recordedCount(runId, { notIn: [...NO_DATA_KEYS, ...RENEWAL_KEYS] });
      expect(fireKeys(fires.shards), formatDay(day)).toEqual(fireKeys(fires.snapshots));
      // Each day after the first told crossings from the day before's marks, of this version.
      const stored = { id: playbookId, playbook: PLAYBOOK };
      const candidates = await componentCandidates(db, workspaceId, { runId, day }, stored);
      expect(candidates.shards, formatDay(day)).toEqual(candidates.sql);
      const marks = await marksOfDay(db, workspaceId, day, stored);
      expect(marks.stored).toEqual(marks.computed);
      expect(marks.stored.length).toBeGreaterThan(100);
      // The shards keep fewer accounts than the snapshots hold: not every account, every day.
      expect(recorded).toBeLessThan(150 * 4);
      for (const d of fires.shards) fired.set(d.play.key, (fired.get(d.play.key) ?? 0) + 1);
    }
    // The comparison means something only if every kind of play fired during the week.
    for (const key of ["usage_low", "nps_high", "dip", "slide", ...NO_DATA_KEYS, ...RENEWAL_KEYS])
      expect(fired.get(key) ?? 0, key).toBeGreaterThan(0);
  });

  /** How many (play, account) candidates the shards recorded for the run, of the plays chosen. */
  async function recordedCount(
    runId: bigint,
    plays: { in: string[] } | { notIn: string[] },
  ): Promise<number> {
    const rows = await db.prisma.playCandidate.findMany({ where: { runId, playKey: plays } });
    return rows.reduce((n, r) => n + r.accountIds.length, 0);
  }

  /** The run's no_data candidates (from the observations: null); and how many the shards recorded. */
  const noDataCandidates = (runId: bigint, day: Day, recordedFor: number | null) =>
    candidatesOf(NO_DATA_PLAYS, runId, day, recordedFor);
  const recordedNoData = (runId: bigint) => recordedCount(runId, { in: NO_DATA_KEYS });

  it("hold exactly the no_data candidates the observations' SQL finds, each day", async () => {
    for (const { runId, day } of runs) {
      const fromSql = await noDataCandidates(runId, day, null);
      expect(await noDataCandidates(runId, day, playbookId), formatDay(day)).toEqual(fromSql);
      // The shards' path was taken: their rows are the ones read.
      expect(await recordedNoData(runId), formatDay(day)).toBe(fromSql.flat().length);
      expect(fromSql.flat().length, formatDay(day)).toBeGreaterThan(0);
    }
  });

  it("hold exactly the renewal candidates the SQL finds, each day: windows entered and bands changed", async () => {
    // Of the days after the first (each with a snapshot the day before): candidates whose renewal
    // entered the window today, and those inside it already whose band changed.
    let entered = 0;
    let changed = 0;
    for (const { runId, day, renewal } of runs) {
      expect(renewal.shards, formatDay(day)).toEqual(renewal.sql);
      // The shards' path was taken: their rows are the ones read.
      const recorded = await recordedCount(runId, { in: RENEWAL_KEYS });
      expect(recorded, formatDay(day)).toBe(renewal.sql.flat().length);
      if (day === runs[0]!.day) continue;
      RENEWAL_PLAYS.forEach((play, i) => {
        const days = "renewal" in play.trigger ? play.trigger.renewal.within_days : 0;
        for (const id of renewal.sql[i]!) {
          if (renewal.dates.get(id)! > day - 1 + days) entered++;
          else changed++;
        }
      });
    }
    expect(entered).toBeGreaterThan(0);
    expect(changed).toBeGreaterThan(0);
  });

  it("are pruned once a later run is evaluated, and a late evaluation of a pruned run reads the snapshots", async () => {
    const first = runs[0]!;
    const last = runs[runs.length - 1]!;
    const before = await decideFires(
      db,
      workspaceId,
      { id: null, playbook: PLAYBOOK },
      first.runId,
      first.day,
    );
    await firePlays(db, workspaceId, last.runId, new Date(`${formatDay(last.day)}T10:00:00Z`));
    const kept = await db.prisma.playCandidate.groupBy({ by: ["runId"], where: { workspaceId } });
    expect(kept.map((k) => k.runId)).toEqual([last.runId]);
    const pruned = await db.prisma.recomputeRun.findUniqueOrThrow({ where: { id: first.runId } });
    expect(pruned.playbookId).toBeNull();
    const late = await decideFires(
      db,
      workspaceId,
      { id: playbookId, playbook: PLAYBOOK },
      first.runId,
      first.day,
    );
    expect(fireKeys(late.decided)).toEqual(fireKeys(before.decided));
    expect(before.decided.length).toBeGreaterThan(0);
  });

  it("are not taken for another playbook than the one the run recorded them for", async () => {
    const last = runs[runs.length - 1]!;
    const other = parsePlaybook(SOURCE.replace("below: 60", "below: 70"), "other.yaml");
    const otherId = (await storePlaybookVersion(db.prisma, workspaceId, other, SOURCE, "test")).id;
    const withOther = await decideFires(
      db,
      workspaceId,
      { id: otherId, playbook: other },
      last.runId,
      last.day,
    );
    const scanned = await decideFires(db, workspaceId, { id: null, playbook: other }, last.runId, last.day);
    expect(fireKeys(withOther.decided)).toEqual(fireKeys(scanned.decided));
    // The wider bound finds accounts the recorded candidates (below 60) do not hold.
    const recorded = await decideFires(
      db,
      workspaceId,
      { id: playbookId, playbook: PLAYBOOK },
      last.runId,
      last.day,
    );
    expect(withOther.decided.filter((d) => d.play.key === "usage_low").length).toBeGreaterThanOrEqual(
      recorded.decided.filter((d) => d.play.key === "usage_low").length,
    );
  });

  it("find the no_data counts in the rollups the refresh job moved to the day, computing none again", async () => {
    const next = PORTFOLIO_END + 1;
    const rollups = () =>
      db.prisma.$queryRawUnsafe<{ account_id: number; as_of: Date; snapshot: string }[]>(
        `SELECT account_id, as_of, snapshot::text AS snapshot FROM metric_rollups
         WHERE workspace_id = $1 ORDER BY account_id`,
        workspaceId,
      );
    // The job's pass of a new day: every active account's rollup moved to it, the playbook's counts in.
    const moved = await refreshWorkspaceRollups(db, workspaceId, next);
    expect(moved.accounts).toBeGreaterThan(100);
    const before = await rollups();
    expect(before.every((r) => dateToDay(r.as_of) === next)).toBe(true);
    const { runId } = await recomputeWorkspace(db, workspaceId, next, { shardSize: 40 });
    // A rollup the shard found lacking would have been computed again, in a later snapshot.
    expect(await rollups()).toEqual(before);
    const fromSql = await noDataCandidates(runId, next, null);
    expect(await noDataCandidates(runId, next, playbookId)).toEqual(fromSql);
    expect(await recordedNoData(runId)).toBe(fromSql.flat().length);
    expect(fromSql.flat().length).toBeGreaterThan(0);
  });
});

describe("the marks of the snapshot before, across a change of playbook", () => {
  let db: TestDatabase;
  let workspaceId: number;
  // The change widens a bound, adds a component play and moves the others: the old version's bits
  // would mean other plays.
  const before = { id: 0, playbook: PLAYBOOK };
  const changedSource = SOURCE.replace("below: 60", "below: 70").replace(
    "plays:\n",
    "plays:\n  - key: tickets_low\n    trigger: { component: { key: tickets, at_most: 50 } }\n" +
      '    actions: [{ post: { channel: alert_channel, text: "{{trigger}}" } }]\n',
  );
  const after = { id: 0, playbook: parsePlaybook(changedSource, "changed.yaml") };
  const runs: { runId: bigint; day: number; stored: typeof before }[] = [];
  const day = (offset: number) => PORTFOLIO_END + offset;

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    workspaceId = (await ensureWorkspace(db.prisma, "T_MARKS")).id;
    await importPortfolio(db.prisma, workspaceId, { accounts: 150, days: 45 });
    before.id = (await storePlaybookVersion(db.prisma, workspaceId, PLAYBOOK, SOURCE, "test")).id;
    for (const offset of [-3, -2]) {
      const { runId } = await recomputeWorkspace(db, workspaceId, day(offset), { shardSize: 40 });
      runs.push({ runId, day: day(offset), stored: before });
    }
    after.id = (await storePlaybookVersion(db.prisma, workspaceId, after.playbook, changedSource, "test")).id;
    for (const offset of [-1, 0]) {
      const { runId } = await recomputeWorkspace(db, workspaceId, day(offset), { shardSize: 40 });
      runs.push({ runId, day: day(offset), stored: after });
    }
  }, 180_000);
  afterAll(async () => db?.close());

  it("are of the version each run had, and give the SQL's crossings on either side of the change", async () => {
    expect(markedPlays(after.playbook.plays).map((p) => p.key)).toEqual([
      "tickets_low",
      "usage_low",
      "nps_high",
    ]);
    const crossings = new Map<string, number>();
    for (const run of runs) {
      const marks = await marksOfDay(db, workspaceId, run.day, run.stored);
      expect(marks.stored, formatDay(run.day)).toEqual(marks.computed);
      expect(marks.stored.every((m) => m?.startsWith(`${run.stored.id}:`))).toBe(true);
      // The first run under the new version finds the old one's marks and reads the components.
      const candidates = await componentCandidates(db, workspaceId, run, run.stored);
      expect(candidates.shards, formatDay(run.day)).toEqual(candidates.sql);
      for (const [key, ids] of Object.entries(candidates.shards))
        crossings.set(key, (crossings.get(key) ?? 0) + ids.length);
    }
    for (const key of ["tickets_low", "usage_low", "nps_high"])
      expect(crossings.get(key) ?? 0, key).toBeGreaterThan(0);
  });

  it("are what the shard reads: marks that say otherwise than the components are believed", async () => {
    const last = runs.at(-1)!;
    const previousDay = formatDay(last.day - 1);
    const setMarks = (bits: string) =>
      db.sql.query(
        `UPDATE score_snapshots SET play_bounds = $3 WHERE workspace_id = $1 AND as_of = $2::date`,
        [workspaceId, previousDay, `${after.id}:${bits}`],
      );
    const rerun = async () => {
      const { runId } = await recomputeWorkspace(db, workspaceId, last.day, { shardSize: 40 });
      return (await componentCandidates(db, workspaceId, { runId, day: last.day }, after)).shards;
    };
    // Every account marked in every bound the day before: nothing crossed.
    await setMarks("111");
    expect(await rerun()).toEqual({ tickets_low: [], usage_low: [], nps_high: [] });
    // In none: every account in a bound today crossed into it, as its marks of today say.
    await setMarks("000");
    const today = await marksOfDay(db, workspaceId, last.day, after);
    const ids = await db.sql.query<{ account_id: number }>(
      `SELECT account_id FROM score_snapshots WHERE workspace_id = $1 AND as_of = $2::date ORDER BY account_id`,
      [workspaceId, formatDay(last.day)],
    );
    const inBound = (i: number) =>
      ids.filter((_, n) => today.stored[n]!.split(":")[1]![i] === "1").map((r) => r.account_id);
    const all = await rerun();
    expect(all).toEqual({ tickets_low: inBound(0), usage_low: inBound(1), nps_high: inBound(2) });
    // More than the true crossings: the components before were not read.
    const truth = await componentCandidates(db, workspaceId, last, after);
    expect(all.usage_low!.length).toBeGreaterThan(truth.sql.usage_low!.length);
    // Marks of another version are not believed: the components are read, and the crossings are true.
    await db.sql.query(
      `UPDATE score_snapshots SET play_bounds = $3 WHERE workspace_id = $1 AND as_of = $2::date`,
      [workspaceId, previousDay, `${before.id}:11`],
    );
    expect(await rerun()).toEqual(truth.sql);
  });
});
