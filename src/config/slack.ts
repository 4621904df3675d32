// The Slack part of the environment. Two install modes:
//   single workspace  SLACK_BOT_TOKEN (+ SLACK_SIGNING_SECRET, or SLACK_APP_TOKEN for Socket Mode)
//   multi-workspace   SLACK_CLIENT_ID + SLACK_CLIENT_SECRET + SLACK_STATE_SECRET, installs stored
//                     in PostgreSQL, bot tokens encrypted with CSS_ENCRYPTION_KEY
// Neither: the bot does not serve Slack (the CLI and the workers still run).
import { z } from "zod";

const emptyAsUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(emptyAsUndefined, schema.optional());

export const slackEnvShape = {
  /** Verifies that HTTP requests come from Slack (Basic Information > App Credentials). */
  SLACK_SIGNING_SECRET: optional(z.string().min(8)),
  /** Single-workspace mode: the bot token of the one workspace the app is installed in. */
  SLACK_BOT_TOKEN: optional(z.string().regex(/^xoxb-/, "must be a bot token (xoxb-...)")),
  /** Socket Mode (no public URL): an app-level token with connections:write. */
  SLACK_APP_TOKEN: optional(z.string().regex(/^xapp-/, "must be an app-level token (xapp-...)")),
  /** Multi-workspace OAuth. */
  SLACK_CLIENT_ID: optional(z.string().min(1)),
  SLACK_CLIENT_SECRET: optional(z.string().min(1)),
  SLACK_STATE_SECRET: optional(z.string().min(16, "must be at least 16 characters")),
  /** Web API base URL: Slack's own, GovSlack's, a proxy's, or a test's fake. */
  SLACK_API_URL: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .url()
      .transform((u) => (u.endsWith("/") ? u : `${u}/`))
      .default("https://slack.com/api/"),
  ),
  /** How long one Web API call may take before it is abandoned (and retried by its job). */
  SLACK_TIMEOUT_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(100).max(120_000).default(10_000),
  ),
  /**
   * Key for secrets at rest (bot tokens, connector credentials): 32 bytes, as 64 hex characters or
   * base64. Generate one with `openssl rand -hex 32`.
   */
  CSS_ENCRYPTION_KEY: optional(z.string()),
};

export type SlackEnv = z.infer<z.ZodObject<typeof slackEnvShape>>;

export interface SlackConfig {
  mode: "single" | "oauth";
  signingSecret: string | undefined;
  botToken: string | undefined;
  appToken: string | undefined;
  oauth: { clientId: string; clientSecret: string; stateSecret: string } | undefined;
  apiUrl: string;
  timeoutMs: number;
}

/** The Slack settings, or null when Slack is not configured; problems as `VAR: message` lines. */
export function slackConfigFrom(env: SlackEnv): { config: SlackConfig | null; problems: string[] } {
  const problems: string[] = [];
  const oauthVars = [env.SLACK_CLIENT_ID, env.SLACK_CLIENT_SECRET, env.SLACK_STATE_SECRET];
  const someOauth = oauthVars.some((v) => v !== undefined);
  if (someOauth && oauthVars.some((v) => v === undefined)) {
    problems.push(
      "SLACK_CLIENT_ID: multi-workspace installs need SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET together",
    );
  }
  if (someOauth && env.SLACK_BOT_TOKEN) {
    problems.push(
      "SLACK_BOT_TOKEN: set either SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID (OAuth installs), not both",
    );
  }
  if (someOauth && !env.CSS_ENCRYPTION_KEY) {
    problems.push("CSS_ENCRYPTION_KEY: OAuth installs store bot tokens encrypted: set a 32-byte key");
  }
  const configured = env.SLACK_BOT_TOKEN !== undefined || someOauth;
  if (!configured) {
    if (env.SLACK_SIGNING_SECRET || env.SLACK_APP_TOKEN) {
      problems.push(
        "SLACK_BOT_TOKEN: set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID (OAuth installs)",
      );
    }
    return { config: null, problems };
  }
  if (!env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
    problems.push(
      "SLACK_SIGNING_SECRET: needed to verify Slack's requests (or SLACK_APP_TOKEN for Socket Mode)",
    );
  }
  if (env.SLACK_APP_TOKEN && someOauth) {
    problems.push("SLACK_APP_TOKEN: Socket Mode serves one workspace: use it with SLACK_BOT_TOKEN");
  }
  return {
    config: {
      mode: someOauth ? "oauth" : "single",
      signingSecret: env.SLACK_SIGNING_SECRET,
      botToken: env.SLACK_BOT_TOKEN,
      appToken: env.SLACK_APP_TOKEN,
      oauth: someOauth
        ? {
            clientId: env.SLACK_CLIENT_ID ?? "",
            clientSecret: env.SLACK_CLIENT_SECRET ?? "",
            stateSecret: env.SLACK_STATE_SECRET ?? "",
          }
        : undefined,
      apiUrl: env.SLACK_API_URL,
      timeoutMs: env.SLACK_TIMEOUT_MS,
    },
    problems,
  };
}
