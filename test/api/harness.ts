// The real web process with the ingest API mounted, on a database of its own and the real Redis
// (rate-limit keys under a prefix of their own): what an API test drives over HTTP.
import { Redis } from "ioredis";
import { createApiRouter } from "../../src/api/router.ts";
import type { ApiConfig } from "../../src/config/env.ts";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import type { Workspace } from "../../src/generated/prisma/client.ts";
import { silentLogger, type Logger } from "../../src/log.ts";
import { startWebProcess, type WebProcess } from "../../src/main/web-process.ts";
import { SecretBox } from "../../src/security/secret-box.ts";
import { createApiKey } from "../../src/services/api-keys.ts";
import { createTestDatabase, type TestDatabase } from "../support/databases.ts";
import { deleteKeys, testRedisUrl, uniquePrefix } from "../support/queues.ts";

export const TEST_API_CONFIG: ApiConfig = { maxBodyBytes: 16 * 1024 * 1024, rateLimitPerMinute: 1_000_000 };
/** The web process's CSS_ENCRYPTION_KEY (it opens the track signing secrets). */
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7);

export interface ApiHarness {
  db: TestDatabase;
  redis: Redis;
  prefix: string;
  /** The web process's SecretBox (TEST_ENCRYPTION_KEY). */
  box: SecretBox;
  workspace: Workspace;
  /** A key of `workspace`. */
  key: string;
  baseUrl: string;
  /** Another web process on the same database and Redis, with other limits (or no key: box null). */
  startWeb(
    config: Partial<ApiConfig>,
    o?: { box?: SecretBox | null },
  ): Promise<{ baseUrl: string; close(): Promise<void> }>;
  /** A workspace and a key of it. */
  newWorkspace(slug: string): Promise<{ workspace: Workspace; key: string }>;
  close(): Promise<void>;
}

export async function startApiHarness(options: { log?: Logger } = {}): Promise<ApiHarness> {
  const db = await createTestDatabase("postgres");
  const redis = new Redis(testRedisUrl);
  const prefix = uniquePrefix();
  const box = new SecretBox(TEST_ENCRYPTION_KEY);
  const webs: WebProcess[] = [];
  const startWeb = async (config: Partial<ApiConfig>, o: { box?: SecretBox | null } = {}) => {
    const api = createApiRouter({
      prisma: db.prisma,
      redis,
      log: options.log ?? silentLogger,
      config: { ...TEST_API_CONFIG, ...config },
      keyPrefix: prefix,
      box: o.box === undefined ? box : o.box,
    });
    const web = await startWebProcess({ port: 0, prisma: db.prisma, redis, log: silentLogger, api });
    webs.push(web);
    return { baseUrl: `http://127.0.0.1:${web.port}`, close: () => web.close() };
  };
  const newWorkspace = async (slug: string) => {
    const workspace = await ensureWorkspace(db.prisma, slug);
    const { key } = await createApiKey(db.prisma, workspace.id, `${slug} test key`, "test");
    return { workspace, key };
  };
  const { workspace, key } = await newWorkspace("acme");
  const { baseUrl } = await startWeb({});
  return {
    db,
    redis,
    prefix,
    box,
    workspace,
    key,
    baseUrl,
    startWeb,
    newWorkspace,
    close: async () => {
      for (const web of webs) await web.close().catch(() => undefined);
      await deleteKeys(prefix);
      redis.disconnect();
      await db.close();
    },
  };
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { errors?: { index: number; field: string | null; reason: string }[] };
}

/** POSTs `body` (JSON-encoded unless a string) with the key; extra headers override the defaults. */
export async function post(
  url: string,
  body: unknown,
  o: { key?: string | null; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { "content-type": "application/json", ...o.headers };
  if (o.key) headers.authorization = `Bearer ${o.key}`;
  const res = await fetch(url, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as ApiResponse["body"] };
}
