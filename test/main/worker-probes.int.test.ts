// A real `css-bot worker`: its probes on CSS_HEALTH_PORT (what the image's HEALTHCHECK asks), the
// workspace bound to the token's team at start, a second worker on a taken port still working, and
// the warning when stored secrets need a CSS_ENCRYPTION_KEY the process does not have.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { SecretBox } from "../../src/security/secret-box.ts";
import { findSealedSecrets } from "../../src/services/sealed-secrets.ts";
import { createTrackSecret } from "../../src/services/track-secret.ts";
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { freePort, getJson, REPO, spawnCssBot, type CssBotProcess } from "../support/processes.ts";
import { openTestQueues, testRedisUrl, waitFor } from "../support/queues.ts";

const KEY = Buffer.alloc(32, 9);

describe("css-bot worker", () => {
  let db: TestDatabase;
  let queues: ReturnType<typeof openTestQueues>;
  let fake: FakeSlack;
  let workspaceId: number;
  const processes: CssBotProcess[] = [];

  beforeEach(async () => {
    db = await createTestDatabase("postgres");
    queues = openTestQueues();
    fake = await startFakeSlack({ tokens: ["xoxb-test"] });
    workspaceId = (await ensureWorkspace(db.prisma, "local")).id;
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.dispose();
    await fake.close();
    await queues.dispose();
    await db.close();
  });

  function worker(env: Record<string, string>) {
    const p = spawnCssBot(["worker"], {
      DATABASE_URL: db.url!,
      REDIS_URL: testRedisUrl,
      CSS_QUEUE_PREFIX: queues.prefix,
      CSS_WORKER_CONCURRENCY: "1",
      SLACK_SIGNING_SECRET: "signing-secret-for-tests",
      SLACK_BOT_TOKEN: "xoxb-test",
      SLACK_API_URL: fake.apiUrl,
      ...env,
    });
    processes.push(p);
    return p;
  }
  const healthcheck = (env: Record<string, string>) =>
    promisify(execFile)(process.execPath, ["bin/healthcheck.js"], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? "", ...env },
    }).then(
      () => 0,
      (e: { code?: number }) => e.code ?? -1,
    );

  it("serves /healthz and /readyz on CSS_HEALTH_PORT, binds the workspace at start, and passes the HEALTHCHECK", async () => {
    const port = await freePort();
    const p = worker({ CSS_HEALTH_PORT: String(port) });
    expect(await p.waitForLine("worker probes listening")).toMatchObject({ port });
    await p.waitForLine("worker started");
    const url = `http://127.0.0.1:${port}`;
    expect(await getJson(`${url}/healthz`)).toEqual({ status: 200, body: { ok: true } });
    const ready = await waitFor(async () => {
      const r = await getJson(`${url}/readyz`);
      return (r.body.slack as { ok: boolean }).ok ? r : undefined;
    });
    expect(ready).toEqual({
      status: 200,
      body: {
        ok: true,
        database: true,
        redis: true,
        slack: { ok: true, team: "T0TEST", workspace: "local" },
      },
    });
    expect((await getJson(`${url}/api/v1/accounts`)).status).toBe(404);
    const bound = await db.prisma.workspace.findUniqueOrThrow({ where: { id: workspaceId } });
    expect(bound.slackTeamId).toBe("T0TEST");

    const closed = String(await freePort());
    expect(await healthcheck({ PORT: closed, CSS_HEALTH_PORT: String(port) })).toBe(0);
    expect(await healthcheck({ PORT: closed, CSS_HEALTH_PORT: closed })).toBe(1);

    // A second worker on the same machine and port works; only its probes are not served.
    const second = worker({ CSS_HEALTH_PORT: String(port), CSS_ENCRYPTION_KEY: KEY.toString("hex") });
    expect((await second.waitForLine("worker probes not served")).msg).toContain("CSS_HEALTH_PORT");
    await second.waitForLine("worker started");

    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  });

  it("warns at start when stored secrets need CSS_ENCRYPTION_KEY and it is not set", async () => {
    await createTrackSecret(db.prisma, new SecretBox(KEY), workspaceId, { rotate: false, actor: "test" });
    await db.prisma.connectorConfig.create({
      data: { workspaceId, kind: "stripe", name: "billing", encryptedSecret: Uint8Array.from([1, 2, 3]) },
    });
    await db.prisma.connectorConfig.create({ data: { workspaceId, kind: "sql", name: "warehouse" } });
    expect(await findSealedSecrets(db.prisma)).toEqual([
      { workspace: "local", kind: "track-secret", what: "the track signing secret" },
      { workspace: "local", kind: "connector", what: 'connector "billing" (stripe) credentials' },
    ]);

    const keyless = worker({ CSS_HEALTH_PORT: "0" });
    const warning = await keyless.waitForLine("CSS_ENCRYPTION_KEY is not set");
    expect(warning).toMatchObject({ level: "warn" });
    expect(warning.msg).toContain(
      'local: the track signing secret; local: connector "billing" (stripe) credentials',
    );
    expect(warning.msg).toContain("503");

    const keyed = worker({ CSS_HEALTH_PORT: "0", CSS_ENCRYPTION_KEY: KEY.toString("hex") });
    await keyed.waitForLine("worker started");
    expect(keyed.output()).not.toContain("CSS_ENCRYPTION_KEY is not set");
  });
});
