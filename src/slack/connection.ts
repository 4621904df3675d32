// Single-workspace mode's hold on Slack: the bot token checked with auth.test when the process starts
// (web and worker alike), and the css workspace (CSS_WORKSPACE) bound to the token's team then, so
// alerts and digests reach Slack before anyone has typed a command. A refused token or no route to
// Slack is retried with backoff (keep-trying.ts) and shown by /readyz; it never stops the process.
import { LogLevel, WebClient } from "@slack/web-api";
import type { SlackConfig } from "../config/slack.ts";
import { connectWorkspaceToTeam } from "../db/repositories/workspaces.ts";
import type { PrismaClient, Workspace } from "../generated/prisma/client.ts";
import type { Logger } from "../log.ts";
import { KeepTrying, type BackoffOptions, type TryState } from "./keep-trying.ts";
import { classifySlackError } from "./slack-errors.ts";

export interface BotIdentity {
  teamId: string;
  botUserId: string;
  botId: string | undefined;
  /** The css workspace bound to the team; null when CSS_WORKSPACE is bound to another team. */
  workspace: Workspace | null;
}

/** What /readyz shows of Slack. `ok: false` until the first check answered. */
export type SlackStatus =
  | { ok: true; team?: string; workspace?: string | null }
  | { ok: false; reason: string; since?: string; attempts?: number; next_attempt_at?: string | null };

export class SlackConnection {
  private readonly client: WebClient;
  private readonly trying: KeepTrying;
  private known: BotIdentity | null = null;

  constructor(
    private readonly o: {
      config: SlackConfig;
      prisma: PrismaClient;
      /** The css workspace the token's team is bound to (CSS_WORKSPACE). */
      workspace: string;
      log: Logger;
      backoff?: BackoffOptions;
    },
  ) {
    // One attempt per call: the retries are KeepTrying's, with backoff.
    this.client = new WebClient(o.config.botToken, {
      slackApiUrl: o.config.apiUrl,
      timeout: o.config.timeoutMs,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logger: quietLogger,
    });
    this.trying = new KeepTrying({
      what: "the bot token check (auth.test)",
      attempt: () => this.check(),
      describe: (error) =>
        isWebApiError(error)
          ? describeSlackFailure("auth.test", error)
          : `binding workspace "${o.workspace}" failed: ${(error as Error)?.message ?? String(error)}`,
      hint:
        "Alerts and digests wait; the ingest API, recomputes and syncs keep running. " +
        "Check SLACK_BOT_TOKEN (reinstall the app if it was revoked) and that Slack (SLACK_API_URL) is reachable",
      log: o.log,
      backoff: o.backoff,
    });
  }

  /** Checks the token now and keeps trying in the background until it works. */
  start(): void {
    this.trying.start();
  }

  stop(): void {
    this.trying.stop();
  }

  /** The bot's identity: known since a check worked, or checked now (throws when Slack says no). */
  async identity(): Promise<BotIdentity> {
    if (this.known) return this.known;
    await this.trying.now();
    return this.known!;
  }

  /** The workspace bound to the token's team, when a check has worked (no call to Slack). */
  boundWorkspace(): Workspace | null {
    return this.known?.workspace ?? null;
  }

  status(): SlackStatus {
    return statusOf(this.trying.state(), this.known, "the bot token has not been checked yet");
  }

  private async check(): Promise<void> {
    const res = await this.client.auth.test();
    if (!res.team_id || !res.user_id)
      throw new Error("Slack's auth.test answered without team_id or user_id");
    const workspace = await connectWorkspaceToTeam(this.o.prisma, this.o.workspace, res.team_id);
    if (!workspace) {
      this.o.log.warn(
        `slack: workspace "${this.o.workspace}" is bound to another Slack team than the token's (${res.team_id}); ` +
          "alerts and digests of that workspace are not posted. Set CSS_WORKSPACE to the team's workspace",
      );
    }
    this.known = { teamId: res.team_id, botUserId: res.user_id, botId: res.bot_id, workspace };
    this.o.log.info("slack: bot token checked", {
      team: res.team_id,
      workspace: workspace?.slug ?? null,
    });
  }
}

/** A Web API failure as /readyz and the log say it: the method and Slack's error, or the network's. */
export function describeSlackFailure(method: string, error: unknown): string {
  return classifySlackError(method, error).message;
}

/** Whether @slack/web-api threw it (a refusal, an HTTP error, no route), not our own code. */
export function isWebApiError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("slack_webapi_");
}

/** A KeepTrying's state as /readyz shows it; `pending` before the first answer. */
export function statusOf(state: TryState | null, known: BotIdentity | null, pending: string): SlackStatus {
  if (state === null) return { ok: false, reason: pending };
  if (state.ok)
    return known ? { ok: true, team: known.teamId, workspace: known.workspace?.slug ?? null } : { ok: true };
  return {
    ok: false,
    reason: state.reason,
    since: state.since.toISOString(),
    attempts: state.attempts,
    next_attempt_at: state.nextAttemptAt?.toISOString() ?? null,
  };
}

/** The several parts of Slack a process needs, as one: ok when all are; the first failure's reason. */
export function combineSlackStatus(parts: SlackStatus[]): SlackStatus {
  const failing = parts.find((p) => !p.ok);
  if (failing) return failing;
  return parts.reduce<SlackStatus>((all, p) => ({ ...all, ...p }), { ok: true });
}

// The client's own log lines would repeat each failure KeepTrying reports once.
const quietLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};
