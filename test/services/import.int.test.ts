import { appendFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { InvalidRowsError } from "../../src/ingest/row-issues.ts";
import { importFile } from "../../src/services/import-records.ts";
import { BACKENDS, createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { FIXTURES, writeTempFile } from "../support/files.ts";

describe.each(BACKENDS)("import on %s", (backend) => {
  let db: TestDatabase;
  let workspaceId: number;

  beforeEach(async () => {
    db = await createTestDatabase(backend);
    workspaceId = (await ensureWorkspace(db.prisma, "acme")).id;
  });
  afterEach(async () => db.close());

  const importFixtures = async (ws = workspaceId) => {
    await importFile(db.prisma, ws, "accounts", `${FIXTURES}accounts.csv`);
    await importFile(db.prisma, ws, "metrics", `${FIXTURES}metrics.csv`);
    await importFile(db.prisma, ws, "responses", `${FIXTURES}responses.jsonl`);
  };
  const counts = async () => ({
    accounts: await db.prisma.account.count({ where: { workspaceId } }),
    observations: await db.prisma.metricObservation.count({ where: { workspaceId } }),
    responses: await db.prisma.surveyResponse.count({ where: { workspaceId } }),
  });

  it("imports accounts, metrics and responses with every field", async () => {
    await importFixtures();
    expect(await counts()).toEqual({ accounts: 3, observations: 7, responses: 6 });
    const a1 = await db.prisma.account.findFirstOrThrow({ where: { workspaceId, externalId: "A1" } });
    expect(a1).toMatchObject({
      name: "Acme Corp",
      segment: "enterprise",
      owner: "maya@example.com",
      seats: 100,
      status: "active",
    });
    expect(Number(a1.mrr)).toBe(5000);
    expect(a1.renewalDate?.toISOString().slice(0, 10)).toBe("2026-09-30");
    const a3 = await db.prisma.account.findFirstOrThrow({ where: { workspaceId, externalId: "A3" } });
    expect(a3.status).toBe("churned");
    expect(a3.churnedAt?.toISOString().slice(0, 10)).toBe("2026-06-10");
    const ts = await db.prisma.surveyResponse.findFirstOrThrow({ where: { workspaceId, score: 9 } });
    expect(ts.respondedAt.toISOString()).toBe("2026-06-02T10:00:00.000Z");
  });

  it("creates no duplicates when the same files are imported twice, and keeps identical rows of one file", async () => {
    await importFixtures();
    await importFixtures();
    // responses.jsonl holds two identical CSAT rows: both are kept, once each.
    expect(await counts()).toEqual({ accounts: 3, observations: 7, responses: 6 });
  });

  it("identifies responses by response_id when the source gives one", async () => {
    await importFile(db.prisma, workspaceId, "accounts", `${FIXTURES}accounts.csv`);
    const file = writeTempFile("r.csv", [
      "account_id,survey,score,responded_at,response_id,respondent",
      "A1,nps,9,2026-06-01,R-1,ann@example.com",
      "A1,nps,9,2026-06-01,R-2,ann@example.com",
      "A1,nps,3,2026-06-02,R-1,ann@example.com", // the same response again: the first one stays
    ]);
    await importFile(db.prisma, workspaceId, "responses", file);
    await importFile(db.prisma, workspaceId, "responses", file);
    const rows = await db.prisma.surveyResponse.findMany({
      where: { workspaceId },
      orderBy: { dedupeKey: "asc" },
    });
    expect(rows.map((r) => [r.dedupeKey, r.score, r.respondent])).toEqual([
      ["id:R-1", 9, "ann@example.com"],
      ["id:R-2", 9, "ann@example.com"],
    ]);
  });

  it("stores a response's comment, and a re-import with comments added stores no response twice", async () => {
    await importFile(db.prisma, workspaceId, "accounts", `${FIXTURES}accounts.csv`);
    const rows = ["A1,nps,4,2026-06-01", "A1,csat,5,2026-06-02"];
    await importFile(
      db.prisma,
      workspaceId,
      "responses",
      writeTempFile("r.csv", ["account_id,survey,score,responded_at", ...rows]),
    );
    const withComments = writeTempFile("c.csv", [
      "account_id,survey,score,responded_at,comment",
      `${rows[0]},"Setup was slow, support was great"`,
      `${rows[1]},`,
      "A1,nps,9,2026-06-03,  Love the new reports  ",
    ]);
    await importFile(db.prisma, workspaceId, "responses", withComments);
    const stored = await db.prisma.surveyResponse.findMany({
      where: { workspaceId },
      orderBy: { respondedAt: "asc" },
    });
    // The first two were stored without comments and stay so; the new one keeps its (trimmed) comment.
    expect(stored.map((r) => [r.score, r.comment])).toEqual([
      [4, null],
      [5, null],
      [9, "Love the new reports"],
    ]);
    const tooLong = writeTempFile("long.jsonl", [
      JSON.stringify({
        account_id: "A1",
        survey: "nps",
        score: 1,
        responded_at: "2026-06-04",
        comment: "x".repeat(2001),
      }),
    ]);
    const error = await importFile(db.prisma, workspaceId, "responses", tooLong).catch((e: unknown) => e);
    expect((error as InvalidRowsError).report.lines()).toEqual([
      `${tooLong}:1 comment: at most 2000 characters`,
    ]);
    expect((await counts()).responses).toBe(3);
  });

  it("writes nothing when any row is bad, and reports every bad row with line and field", async () => {
    await importFile(db.prisma, workspaceId, "accounts", `${FIXTURES}accounts.csv`);
    const error = await importFile(db.prisma, workspaceId, "metrics", `${FIXTURES}metrics-bad.csv`, {
      batchSize: 2,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRowsError);
    expect((error as InvalidRowsError).report.lines()).toEqual([
      `${FIXTURES}metrics-bad.csv:3 value: not a number: "lots"`,
      `${FIXTURES}metrics-bad.csv:4 account_id: unknown account "A9" (import it with \`css-bot import accounts\` first)`,
      `${FIXTURES}metrics-bad.csv:5 observed_at: not a date (YYYY-MM-DD or ISO timestamp): "2026-02-30"`,
    ]);
    expect((await counts()).observations).toBe(0);
  });

  it("imports the valid rows with skipInvalid and reports the rest", async () => {
    await importFile(db.prisma, workspaceId, "accounts", `${FIXTURES}accounts.csv`);
    const result = await importFile(db.prisma, workspaceId, "metrics", `${FIXTURES}metrics-bad.csv`, {
      skipInvalid: true,
    });
    expect(result).toMatchObject({ rows: 5, imported: 2, invalid: 3 });
    expect((await counts()).observations).toBe(2);
  });

  it("rejects duplicate account ids in one file, naming both lines", async () => {
    const file = writeTempFile("accounts.csv", ["account_id,name", "X1,One", "X2,Two", "X1,Again"]);
    const error = (await importFile(db.prisma, workspaceId, "accounts", file).catch(
      (e: unknown) => e,
    )) as InvalidRowsError;
    expect(error.report.lines()).toEqual([
      `${file}:4 account_id: duplicate account id "X1" (first on line 2)`,
    ]);
    expect((await counts()).accounts).toBe(0);
  });

  it("keeps stored fields that a later file leaves empty, and a later value for the same day replaces", async () => {
    await importFixtures();
    await importFile(
      db.prisma,
      workspaceId,
      "accounts",
      writeTempFile("a.csv", ["account_id,name,owner", "A1,Acme Corporation,"]),
    );
    const a1 = await db.prisma.account.findFirstOrThrow({ where: { workspaceId, externalId: "A1" } });
    expect(a1).toMatchObject({
      name: "Acme Corporation",
      owner: "maya@example.com",
      segment: "enterprise",
      status: "active",
    });
    const a3 = await db.prisma.account.findFirstOrThrow({ where: { workspaceId, externalId: "A3" } });
    await importFile(
      db.prisma,
      workspaceId,
      "accounts",
      writeTempFile("a.csv", ["account_id,name,status", "A3,Gamma Labs,active"]),
    );
    const back = await db.prisma.account.findFirstOrThrow({ where: { id: a3.id } });
    expect(back).toMatchObject({ status: "active", churnedAt: null });

    await importFile(
      db.prisma,
      workspaceId,
      "metrics",
      writeTempFile("m.csv", [
        "account_id,metric,value,observed_at",
        "A1,open_tickets,9,2026-06-28T23:59:00Z",
      ]),
    );
    const obs = await db.prisma.metricObservation.findMany({
      where: { workspaceId, metric: "open_tickets" },
      orderBy: { observedOn: "asc" },
    });
    expect(obs.map((o) => o.value)).toEqual([7, 9]);
  });

  it("rejects a file that is neither CSV nor JSON Lines, and a CSV with a wrong header, writing nothing", async () => {
    await expect(
      importFile(db.prisma, workspaceId, "accounts", writeTempFile("accounts.xlsx", ["x"])),
    ).rejects.toThrow(/accounts\.xlsx: not a CSV or JSON Lines file/);
    await expect(
      importFile(db.prisma, workspaceId, "accounts", writeTempFile("a.csv", ["acount_id,name", "A,B"])),
    ).rejects.toThrow(/a\.csv:1: bad accounts header: missing column account_id; unknown column "acount_id"/);
    expect((await counts()).accounts).toBe(0);
  });

  it("writes nothing when a byte past the first batches is not UTF-8 or a record is past the size limit, even with skipInvalid", async () => {
    const latin1 = writeTempFile("latin1.csv", ["account_id,name", "X1,One", "X2,Two", "X3,Three"]);
    appendFileSync(latin1, Buffer.from("X4,Caf\u00e9\n", "latin1"));
    await expect(
      importFile(db.prisma, workspaceId, "accounts", latin1, { batchSize: 2, skipInvalid: true }),
    ).rejects.toThrow(`${latin1}:5: not UTF-8 (byte 0xE9); re-save as UTF-8 or pass --encoding latin1`);
    const big = writeTempFile("big.csv", [
      "account_id,name",
      "X1,One",
      "X2,Two",
      "X3,Three",
      `X4,${"x".repeat(1_100_000)}`,
    ]);
    await expect(
      importFile(db.prisma, workspaceId, "accounts", big, { batchSize: 2, skipInvalid: true }),
    ).rejects.toThrow(`${big}:5: record longer than 1048576 bytes`);
    expect((await counts()).accounts).toBe(0);

    const read = await importFile(db.prisma, workspaceId, "accounts", latin1, { encoding: "latin1" });
    expect(read).toMatchObject({ rows: 4, imported: 4 });
    const x4 = await db.prisma.account.findFirstOrThrow({ where: { workspaceId, externalId: "X4" } });
    expect(x4.name).toBe("Caf\u00e9");
  });

  it("keeps workspaces apart: the same ids in two workspaces are two accounts", async () => {
    const other = (await ensureWorkspace(db.prisma, "globex")).id;
    await importFixtures();
    await importFixtures(other);
    expect(await db.prisma.account.count()).toBe(6);
    // Metrics of one workspace resolve to that workspace's accounts only.
    const accounts = await db.prisma.account.findMany({
      where: { workspaceId: other },
      select: { id: true },
    });
    const observations = await db.prisma.metricObservation.findMany({ where: { workspaceId: other } });
    expect(observations.every((o) => accounts.some((a) => a.id === o.accountId))).toBe(true);
  });
});
