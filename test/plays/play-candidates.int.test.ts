// The candidates' SQL (services/plays/play-candidates.ts) leaves out in the database what the pure
// triggers would refuse: an account that sat in a component's bound, a renewal already inside its
// window in the same band, a metric quiet since before the snapshot before. Each case below is one
// account built for it; what fires is what the triggers decide from the days (domain/plays), so a
// statement that left out too much shows as a fire missing here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeModelVersion } from "../../src/db/repositories/models.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { dayToDate, parseDay } from "../../src/domain/dates.ts";
import { DEFAULT_MODEL, DEFAULT_MODEL_SOURCE } from "../../src/domain/model/default-model.ts";
import { parsePlaybook } from "../../src/domain/plays/parse-playbook.ts";
import { decideFires } from "../../src/services/plays/fire-plays.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";

const D = parseDay("2026-11-25")!;

const PLAYBOOK = parsePlaybook(
  `
name: candidates
plays:
  - key: usage_low
    trigger: { component: { key: usage, below: 20 } }
    actions: [{ post: { channel: alert_channel, text: "{{trigger}}" } }]
  - key: renewal
    trigger: { renewal: { within_days: 30, bands: [lowest] } }
    actions: [{ post: { channel: alert_channel, text: "{{trigger}}" } }]
  - key: quiet
    trigger: { no_data: { metric: logins, days: 3 } }
    actions: [{ post: { channel: alert_channel, text: "{{trigger}}" } }]
`,
  "candidates.yaml",
);

/**
 * Each account: its snapshots (day offset -> usage sub-score, null: no data; the score is 50 but
 * for the bands given), its renewal (days after D) and the days it last logged in (offsets).
 *   crosses       usage 30 -> 10; renews D+30 at risk since D-1 (window begins today); logins to D-3
 *   sits          usage 10 -> 10; renews D+10 at risk both days (told before); logins to D-5
 *   first         no snapshot before, usage 15; renews D+10 at risk; logins today
 *   gap           snapshot before on D-3 (usage 50, healthy), usage 5; renews D+10 at risk now; logins to D-3
 *   no_data       usage null -> 5; no renewal; no logins
 */
const ACCOUNTS: Record<
  string,
  {
    snapshots: [offset: number, usage: number | null, band: string][];
    renewal: number | null;
    logins: number[];
  }
> = {
  crosses: {
    snapshots: [
      [-1, 30, "at_risk"],
      [0, 10, "at_risk"],
    ],
    renewal: 30,
    logins: [-4, -3],
  },
  sits: {
    snapshots: [
      [-1, 10, "at_risk"],
      [0, 10, "at_risk"],
    ],
    renewal: 10,
    logins: [-6, -5],
  },
  first: { snapshots: [[0, 15, "at_risk"]], renewal: 10, logins: [-1, 0] },
  gap: {
    snapshots: [
      [-3, 50, "healthy"],
      [0, 5, "at_risk"],
    ],
    renewal: 10,
    logins: [-4, -3],
  },
  no_data: {
    snapshots: [
      [-1, null, "at_risk"],
      [0, 5, "at_risk"],
    ],
    renewal: null,
    logins: [],
  },
};

let db: TestDatabase;
let workspaceId: number;
const names = new Map<number, string>();

beforeAll(async () => {
  db = await createTestDatabase("postgres");
  workspaceId = (await ensureWorkspace(db.prisma, "candidates")).id;
  const model = await storeModelVersion(db.prisma, workspaceId, DEFAULT_MODEL, DEFAULT_MODEL_SOURCE, "test");
  for (const [name, a] of Object.entries(ACCOUNTS)) {
    const today = a.snapshots.at(-1)!;
    const row = await db.prisma.account.create({
      data: {
        workspaceId,
        externalId: name,
        name,
        currentScore: 50,
        currentBand: today[2],
        scoredAsOf: dayToDate(D),
        renewalDate: a.renewal === null ? null : dayToDate(D + a.renewal),
      },
    });
    names.set(row.id, name);
    await db.prisma.scoreSnapshot.createMany({
      data: a.snapshots.map(([offset, usage, band]) => ({
        workspaceId,
        accountId: row.id,
        asOf: dayToDate(D + offset),
        modelId: model.id,
        score: 50,
        band,
        coverage: 1,
        components: [{ key: "usage", raw: usage === null ? null : usage / 100, score: usage, weight: 1 }],
      })),
    });
    await db.prisma.metricObservation.createMany({
      data: a.logins.map((offset) => ({
        workspaceId,
        accountId: row.id,
        metric: "logins",
        observedOn: dayToDate(D + offset),
        value: 1,
        source: "import",
      })),
    });
  }
}, 60_000);

afterAll(async () => {
  await db?.close();
});

describe("the candidates of a run", () => {
  it("keep every account the triggers fire for, and only those", async () => {
    const { decided } = await decideFires(db, workspaceId, { id: null, playbook: PLAYBOOK }, 0n, D);
    const fired = (key: string) =>
      decided
        .filter((d) => d.play.key === key)
        .map((d) => names.get(d.accountId))
        .sort();
    expect(fired("usage_low")).toEqual(["crosses", "first", "gap", "no_data"]);
    expect(fired("renewal")).toEqual(["crosses", "first", "gap"]);
    expect(fired("quiet")).toEqual(["crosses", "gap"]);
  });
});
