// The candidates a recompute's shards record for component and score_drop plays (play_candidates)
// stand in for a pass over every snapshot of the day: what fires from them must be exactly what fires
// from the snapshots (play-candidates.ts, the path taken when the shards recorded nothing). A week of
// real runs over a generated portfolio, each evaluated both ways; then the prune, and a late
// evaluation of a pruned run, which must find the same fires from the snapshots.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storePlaybookVersion } from "../../src/db/repositories/playbooks.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { formatDay } from "../../src/domain/dates.ts";
import { parsePlaybook } from "../../src/domain/plays/parse-playbook.ts";
import { decideFires, firePlays, type DecidedFire } from "../../src/services/plays/fire-plays.ts";
import { recomputeWorkspace } from "../../src/services/recompute.ts";
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
`;
const PLAYBOOK = parsePlaybook(SOURCE, "shard.yaml");

const fireKeys = (decided: readonly DecidedFire[]) =>
  decided.map((d) => `${d.play.key} ${d.accountId} ${JSON.stringify(d.hit.facts)}`).sort();

describe("plays' candidates recorded by the run's shards", () => {
  let db: TestDatabase;
  let workspaceId: number;
  let playbookId: number;
  const runs: { runId: bigint; day: number }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    workspaceId = (await ensureWorkspace(db.prisma, "T_SHARD")).id;
    await importPortfolio(db.prisma, workspaceId, { accounts: 150, days: 45 });
    playbookId = (await storePlaybookVersion(db.prisma, workspaceId, PLAYBOOK, SOURCE, "test")).id;
    for (let offset = -6; offset <= 0; offset++) {
      const day = PORTFOLIO_END + offset;
      // Small shards, so candidates come from several, each writing its own range.
      const { runId } = await recomputeWorkspace(db, workspaceId, day, { shardSize: 40 });
      runs.push({ runId, day });
    }
  }, 180_000);
  afterAll(async () => db?.close());

  it("give each run exactly the fires a pass over its snapshots gives", async () => {
    const fired = new Map<string, number>();
    for (const { runId, day } of runs) {
      const recorded = await db.prisma.playCandidate.count({ where: { runId } });
      const fromShards = await decideFires(
        db.prisma,
        workspaceId,
        { id: playbookId, playbook: PLAYBOOK },
        runId,
        day,
      );
      const fromSnapshots = await decideFires(
        db.prisma,
        workspaceId,
        { id: null, playbook: PLAYBOOK },
        runId,
        day,
      );
      expect(fireKeys(fromShards.decided), formatDay(day)).toEqual(fireKeys(fromSnapshots.decided));
      // The shards keep fewer accounts than the snapshots hold: not every account, every day.
      expect(recorded).toBeLessThan(150 * 4);
      for (const d of fromShards.decided) fired.set(d.play.key, (fired.get(d.play.key) ?? 0) + 1);
    }
    // The comparison means something only if every kind of play fired during the week.
    for (const key of ["usage_low", "nps_high", "dip", "slide"])
      expect(fired.get(key) ?? 0, key).toBeGreaterThan(0);
  });

  it("are pruned once a later run is evaluated, and a late evaluation of a pruned run reads the snapshots", async () => {
    const first = runs[0]!;
    const last = runs[runs.length - 1]!;
    const before = await decideFires(
      db.prisma,
      workspaceId,
      { id: null, playbook: PLAYBOOK },
      first.runId,
      first.day,
    );
    await firePlays(db.prisma, workspaceId, last.runId, new Date(`${formatDay(last.day)}T10:00:00Z`));
    const kept = await db.prisma.playCandidate.groupBy({ by: ["runId"], where: { workspaceId } });
    expect(kept.map((k) => k.runId)).toEqual([last.runId]);
    const pruned = await db.prisma.recomputeRun.findUniqueOrThrow({ where: { id: first.runId } });
    expect(pruned.playbookId).toBeNull();
    const late = await decideFires(
      db.prisma,
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
      db.prisma,
      workspaceId,
      { id: otherId, playbook: other },
      last.runId,
      last.day,
    );
    const scanned = await decideFires(
      db.prisma,
      workspaceId,
      { id: null, playbook: other },
      last.runId,
      last.day,
    );
    expect(fireKeys(withOther.decided)).toEqual(fireKeys(scanned.decided));
    // The wider bound finds accounts the recorded candidates (below 60) do not hold.
    const recorded = await decideFires(
      db.prisma,
      workspaceId,
      { id: playbookId, playbook: PLAYBOOK },
      last.runId,
      last.day,
    );
    expect(withOther.decided.filter((d) => d.play.key === "usage_low").length).toBeGreaterThanOrEqual(
      recorded.decided.filter((d) => d.play.key === "usage_low").length,
    );
  });
});
