// The environment, parsed once at start. Nothing else in src/ reads process.env: code takes its
// settings as arguments, so tests never depend on the machine's environment.
import { z } from "zod";
import { KnownError } from "../errors.ts";
import { parseEncryptionKey } from "../security/secret-box.ts";
import { slackConfigFrom, slackEnvShape, type SlackConfig } from "./slack.ts";

/** How long a job waits for an unreachable database or Redis before it fails: 30 minutes. */
export const DEFAULT_OUTAGE_MAX_WAIT_MS = 30 * 60_000;
/** Ingest bodies one web process takes on at once, and requests that may wait for a turn. */
export const DEFAULT_API_CONCURRENCY = 2;
export const DEFAULT_API_QUEUE = 32;

const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

const envSchema = z.object({
  /** PostgreSQL connection string. Unset: the embedded database under CSS_DATA_DIR. */
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// connection string")
      // Checked here, so a typo is named at start rather than by the driver's first connection.
      // The value itself is never echoed: it may hold a password.
      .refine((url) => URL.canParse(url) && new URL(url).hostname !== "", {
        message:
          "is not a parseable connection string (postgresql://user:password@host:5432/database; percent-encode special characters in the password)",
      })
      .optional(),
  ),
  /** Where the embedded database (and other local state) lives. */
  CSS_DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default(".data")),
  /** Redis for the job queues (BullMQ). */
  REDIS_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
      .default("redis://127.0.0.1:6379"),
  ),
  /** Prefix of every queue key in Redis, so several installs (or test runs) can share one Redis. */
  CSS_QUEUE_PREFIX: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/)
      .default("css-bot"),
  ),
  /** Jobs one worker process runs at once, per queue. */
  CSS_WORKER_CONCURRENCY: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(64).default(2)),
  /** Accounts per shard of a recompute run: the unit of work spread over the workers. */
  CSS_SHARD_SIZE: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(100_000).default(5000)),
  /** A job's lock duration in ms: how soon a killed worker's job is taken up by another. */
  CSS_JOB_LOCK_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1000).max(600_000).default(30_000),
  ),
  /**
   * How long a job waits for an unreachable database or Redis before it fails (ms); 0: outages use
   * up a job's attempts like any other fault.
   */
  CSS_OUTAGE_MAX_WAIT_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600_000)
      .default(DEFAULT_OUTAGE_MAX_WAIT_MS),
  ),
  /** The web process's HTTP port. */
  PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(3000)),
  /**
   * `css-bot worker`'s probes (/healthz, /readyz). Not PORT's default, so a `start` and a worker on
   * one machine do not clash; 0 picks a free port.
   */
  CSS_HEALTH_PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(3001)),
  /** The sandbox's page (`css-bot sandbox`, `npm run demo`); a taken port falls back to a free one. */
  CSS_SANDBOX_PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65535).default(3100)),
  /** Set by npm for what it runs (npx, npm exec, npm run): such a process ends with npm. */
  npm_execpath: z.preprocess(emptyAsUndefined, z.string().optional()),
  /** The workspace the CLI acts on when --workspace is not given. */
  CSS_WORKSPACE: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/)
      .default("local"),
  ),
  /** The ingest API's largest request body, in bytes (413 past it). */
  CSS_API_MAX_BODY_BYTES: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number()
      .int()
      .min(64 * 1024)
      .max(1024 * 1024 * 1024)
      .default(16 * 1024 * 1024),
  ),
  /**
   * Records one API key may send per minute (a request costs its records, at least 1), shared by
   * every web process through Redis. At least one full batch, or a full batch could never pass.
   */
  CSS_API_RATE_LIMIT: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(10_000).max(1_000_000_000).default(6_000_000),
  ),
  /** Ingest bodies read, parsed and written at once by a web process (the rest wait their turn). */
  CSS_API_CONCURRENCY: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(64).default(DEFAULT_API_CONCURRENCY),
  ),
  /** Ingest requests that may wait for a turn; past them a request gets 503 with Retry-After. */
  CSS_API_QUEUE: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(0).max(10_000).default(DEFAULT_API_QUEUE),
  ),
  /** The secret of `css-bot connectors add` (JSON) when no --secret-file is given. */
  CSS_CONNECTOR_SECRET: z.preprocess(emptyAsUndefined, z.string().optional()),
  ...slackEnvShape,
});

export interface AppConfig {
  databaseUrl: string | undefined;
  dataDir: string;
  defaultWorkspace: string;
  redisUrl: string;
  queuePrefix: string;
  workerConcurrency: number;
  jobLockMs: number;
  /** CSS_OUTAGE_MAX_WAIT_MS: how long a job waits out an outage of the database or Redis. */
  outageMaxWaitMs: number;
  shardSize: number;
  port: number;
  /** `css-bot worker`'s probe port (CSS_HEALTH_PORT). */
  healthPort: number;
  /** The sandbox page's port (CSS_SANDBOX_PORT). */
  sandboxPort: number;
  /**
   * Started by npm (npx css-bot ...): npm's signal reaches only its shell, so a long-running
   * command stops by itself when its parent has gone.
   */
  launchedByNpm: boolean;
  /** Null: Slack is not configured (the CLI and workers run; nothing is posted). */
  slack: SlackConfig | null;
  /** The key for secrets at rest (CSS_ENCRYPTION_KEY), when one is set. */
  encryptionKey: Buffer | null;
  api: ApiConfig;
  /** CSS_CONNECTOR_SECRET: a connector's credentials as JSON, for `connectors add`; never logged. */
  connectorSecret?: string;
}

/** The ingest API's limits. */
export interface ApiConfig {
  maxBodyBytes: number;
  /** Records per API key per minute. */
  rateLimitPerMinute: number;
  /** Bodies taken on at once (CSS_API_CONCURRENCY; DEFAULT_API_CONCURRENCY when not given). */
  concurrency?: number;
  /** Requests waiting for a turn before 503 (CSS_API_QUEUE; DEFAULT_API_QUEUE when not given). */
  queue?: number;
  /** Parse threads (defaultParseThreads(concurrency) when not given). */
  parseThreads?: number;
  /** Each parse thread's heap in MiB (DEFAULT_PARSE_HEAP_MB when not given). */
  parseHeapMb?: number;
}

export class ConfigError extends KnownError {
  readonly code = "CONFIG_INVALID";
}

export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid environment:\n${lines.join("\n")}`);
  }
  const slack = slackConfigFrom(parsed.data);
  const key = parseEncryptionKey(parsed.data.CSS_ENCRYPTION_KEY);
  const problems = [...slack.problems, ...(key.problem ? [`CSS_ENCRYPTION_KEY: ${key.problem}`] : [])];
  if (problems.length > 0) {
    throw new ConfigError(`invalid environment:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
  return {
    slack: slack.config,
    encryptionKey: key.key,
    databaseUrl: parsed.data.DATABASE_URL,
    dataDir: parsed.data.CSS_DATA_DIR,
    defaultWorkspace: parsed.data.CSS_WORKSPACE,
    redisUrl: parsed.data.REDIS_URL,
    queuePrefix: parsed.data.CSS_QUEUE_PREFIX,
    workerConcurrency: parsed.data.CSS_WORKER_CONCURRENCY,
    jobLockMs: parsed.data.CSS_JOB_LOCK_MS,
    outageMaxWaitMs: parsed.data.CSS_OUTAGE_MAX_WAIT_MS,
    shardSize: parsed.data.CSS_SHARD_SIZE,
    port: parsed.data.PORT,
    healthPort: parsed.data.CSS_HEALTH_PORT,
    sandboxPort: parsed.data.CSS_SANDBOX_PORT,
    launchedByNpm: parsed.data.npm_execpath !== undefined,
    api: {
      maxBodyBytes: parsed.data.CSS_API_MAX_BODY_BYTES,
      rateLimitPerMinute: parsed.data.CSS_API_RATE_LIMIT,
      concurrency: parsed.data.CSS_API_CONCURRENCY,
      queue: parsed.data.CSS_API_QUEUE,
    },
    ...(parsed.data.CSS_CONNECTOR_SECRET !== undefined
      ? { connectorSecret: parsed.data.CSS_CONNECTOR_SECRET }
      : {}),
  };
}
