// The account's timeline on a real database: every kind of entry from its own table, newest first,
// paged with `before`, and nothing of another workspace's account, even one with the same id.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit } from "../../src/db/repositories/audit-log.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { addNote } from "../../src/services/account-notes.ts";
import { readTimeline, TIMELINE_KINDS } from "../../src/services/timeline.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";

let db: TestDatabase;
let ws: number;
let other: number;
let acme: number;
let twin: number;

const at = (iso: string) => new Date(iso);

beforeAll(async () => {
  db = await createTestDatabase("postgres");
  ws = (await ensureWorkspace(db.prisma, "acme-cs")).id;
  other = (await ensureWorkspace(db.prisma, "other-cs")).id;
  const account = (workspaceId: number) =>
    db.prisma.account.create({ data: { workspaceId, externalId: "A1", name: "Acme Corp" } });
  acme = (await account(ws)).id;
  twin = (await account(other)).id;
  await seed(ws, acme, "");
  // The other workspace's account of the same external id has a life of its own.
  await seed(other, twin, " (other)");
}, 60_000);

afterAll(async () => db?.close());

/** One entry of every kind, a day apart from 2026-06-01 (the note is written now, so it is newest). */
async function seed(workspaceId: number, accountId: number, tag: string) {
  const { prisma } = db;
  await prisma.bandChange.create({
    data: {
      workspaceId,
      accountId,
      asOf: at("2026-06-01"),
      fromBand: "caution",
      toBand: "at_risk",
      fromScore: 74,
      toScore: 61,
      drivers: [],
    },
  });
  const opened = await prisma.followUp.create({
    data: {
      workspaceId,
      accountId,
      openedAt: at("2026-06-01T08:00:00Z"),
      openedScore: 61,
      playKey: "save-play",
    },
  });
  const target = `follow_up:${opened.id}`;
  const log = async (action: string, iso: string, details = {}) => {
    await audit(prisma, workspaceId, { actor: "U0ALICE", action, target, details });
    await prisma.auditLogEntry.updateMany({ where: { workspaceId, action, target }, data: { at: at(iso) } });
  };
  await log("follow_up.escalate", "2026-06-01T09:00:00Z");
  await log("follow_up.assign", "2026-06-02T09:00:00Z", { owner: "U0BOB", due: "2026-06-09" });
  await log("follow_up.snooze", "2026-06-03T09:00:00Z", {
    until: "2026-06-10",
    reason: `renewal call${tag}`,
  });
  await log("follow_up.snooze_end", "2026-06-03T18:00:00Z", {
    until: "2026-06-03",
    band: "at_risk",
    score: 58,
  });
  await log("follow_up.task_done", "2026-06-04T09:00:00Z", { task: "Call the champion" });
  await log("follow_up.resolve", "2026-06-05T09:00:00Z");
  // Not a case event: left out.
  await audit(prisma, workspaceId, { actor: "cli", action: "settings.update", target, details: {} });
  // A second case that recovered and closed on its own.
  await prisma.followUp.create({
    data: {
      workspaceId,
      accountId,
      status: "resolved",
      openedAt: at("2026-06-05T12:00:00Z"),
      recoveredAt: at("2026-06-06T08:00:00Z"),
      resolvedAt: at("2026-06-07T08:00:00Z"),
    },
  });
  await prisma.playFire.create({
    data: {
      workspaceId,
      accountId,
      playKey: "detractor",
      subject: `account:${accountId}`,
      localDate: at("2026-06-03"),
      trigger: { kind: "survey_answer", score: 3, summary: `NPS 3 from a detractor${tag}` },
      status: "delivered",
      createdAt: at("2026-06-03T12:00:00Z"),
    },
  });
  await prisma.surveyResponse.createMany({
    data: [
      {
        workspaceId,
        accountId,
        survey: "nps",
        score: 3,
        respondedAt: at("2026-06-02T10:00:00Z"),
        respondent: "kim@acme.test",
        comment: `Too slow${tag}`,
        dedupeKey: "r1",
      },
      // Without a comment: not on the timeline.
      {
        workspaceId,
        accountId,
        survey: "nps",
        score: 9,
        respondedAt: at("2026-06-02T11:00:00Z"),
        dedupeKey: "r2",
      },
    ],
  });
  await addNote(prisma, workspaceId, { accountId, author: "U0CAROL", text: `Called their CTO${tag}` });
}

describe("readTimeline", () => {
  it("lists every kind, newest first, with its text, actor and details", async () => {
    const entries = await readTimeline(db.prisma, ws, acme, { limit: 50 });
    expect(entries.map((e) => [e.kind, e.at.slice(0, 16)])).toEqual([
      ["note", expect.any(String)],
      ["case_resolved", "2026-06-07T08:00"],
      ["case_recovered", "2026-06-06T08:00"],
      ["case_opened", "2026-06-05T12:00"],
      ["case_resolved", "2026-06-05T09:00"],
      ["task_done", "2026-06-04T09:00"],
      ["case_snooze_ended", "2026-06-03T18:00"],
      ["play_fired", "2026-06-03T12:00"],
      ["case_snoozed", "2026-06-03T09:00"],
      ["survey_comment", "2026-06-02T10:00"],
      ["case_assigned", "2026-06-02T09:00"],
      ["case_escalated", "2026-06-01T09:00"],
      ["case_opened", "2026-06-01T08:00"],
      ["band_change", "2026-06-01T00:00"],
    ]);
    expect(new Set(entries.map((e) => e.kind))).toEqual(new Set(TIMELINE_KINDS));
    const byKind = (kind: string) => entries.find((e) => e.kind === kind)!;
    expect(byKind("note")).toMatchObject({ text: "Called their CTO", actor: "U0CAROL" });
    expect(byKind("band_change")).toMatchObject({
      text: "Band caution → at risk: 74 → 61",
      actor: "css-bot",
      details: { asOf: "2026-06-01", from: "caution", to: "at_risk", fromScore: 74, toScore: 61 },
    });
    expect(byKind("case_assigned")).toMatchObject({
      text: "Case assigned, due 2026-06-09",
      actor: "U0ALICE",
      details: { owner: "U0BOB" },
    });
    expect(byKind("case_snoozed").text).toBe("Case snoozed until 2026-06-10: renewal call");
    expect(byKind("case_snooze_ended")).toMatchObject({
      text: "Snooze ended: at risk; the case is open again",
      details: { until: "2026-06-03", band: "at_risk", score: 58 },
    });
    expect(byKind("task_done").text).toBe("Task done: Call the champion");
    expect(byKind("play_fired")).toMatchObject({
      text: "Play detractor: NPS 3 from a detractor",
      details: { playKey: "detractor", status: "delivered" },
    });
    expect(byKind("survey_comment")).toMatchObject({
      text: "NPS 3: “Too slow”",
      actor: null,
      details: { respondent: "kim@acme.test" },
    });
    expect(entries.at(-2)!.text).toBe("Case opened: at risk, score 61 (play save-play)");
    expect(entries[1]!.text).toBe("Case closed: the account stayed out of risk");
    // JSON-safe: no bigint or Date anywhere.
    expect(JSON.parse(JSON.stringify(entries))).toEqual(entries);
  });

  it("keeps to the limit and pages with `before`", async () => {
    const first = await readTimeline(db.prisma, ws, acme, { limit: 3 });
    expect(first.map((e) => e.kind)).toEqual(["note", "case_resolved", "case_recovered"]);
    const next = await readTimeline(db.prisma, ws, acme, { limit: 3, before: new Date(first.at(-1)!.at) });
    expect(next.map((e) => e.kind)).toEqual(["case_opened", "case_resolved", "task_done"]);
  });

  it("is scoped by workspace: the other workspace's account of the same id sees only its own", async () => {
    const theirs = await readTimeline(db.prisma, other, twin, { limit: 50 });
    expect(theirs).toHaveLength(14);
    expect(theirs.filter((e) => /other/.test(e.text)).map((e) => e.kind)).toEqual([
      "note",
      "play_fired",
      "case_snoozed",
      "survey_comment",
    ]);
    expect(JSON.stringify(await readTimeline(db.prisma, ws, acme, { limit: 50 }))).not.toContain("(other)");
    // An account id of another workspace reads nothing.
    expect(await readTimeline(db.prisma, other, acme, { limit: 50 })).toEqual([]);
  });
});
