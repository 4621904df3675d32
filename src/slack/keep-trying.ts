// Something the process needs from Slack (the bot token's check, the Socket Mode connection), tried
// until it works: at once, then after 1 s, 2 s, 4 s... up to a cap, for as long as the process runs.
// A failure never reaches the caller as a crash; it is the state /readyz shows, and one log line per
// outage (when it starts and when it ends), not one per attempt.
import type { Logger } from "../log.ts";

export interface BackoffOptions {
  /** The wait after the first failure; it doubles after each one. Default 1 s. */
  initialMs?: number;
  /** The longest wait between two attempts. Default 5 minutes. */
  maxMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 1000, maxMs: 300_000 };

/** The wait before attempt `failures + 1`, after `failures` failures in a row (at least one). */
export function backoffDelay(failures: number, o: BackoffOptions = {}): number {
  const { initialMs, maxMs } = { ...DEFAULT_BACKOFF, ...o };
  return Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
}

export type TryState =
  | { ok: true; since: Date }
  | { ok: false; reason: string; since: Date; attempts: number; nextAttemptAt: Date | null };

export interface KeepTryingOptions {
  /** What is tried, for the log: "the bot token check (auth.test)". */
  what: string;
  /** One attempt; throws when it failed. */
  attempt: () => Promise<void>;
  /** The failure as a short sentence without secrets (the reason /readyz shows). */
  describe: (error: unknown) => string;
  /** Said once when an outage starts: what keeps working and what to check. */
  hint: string;
  log: Logger;
  backoff?: BackoffOptions;
}

export class KeepTrying {
  private current: TryState | null = null;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly o: KeepTryingOptions) {}

  /** The state; null until the first attempt has answered. */
  state(): TryState | null {
    return this.current;
  }

  /** Starts trying (the first attempt at once); never throws. */
  start(): void {
    void this.now().catch(() => undefined);
  }

  /**
   * One attempt now, shared with one already in flight: resolves when it worked, rejects with its
   * error when it did not (and the next one is scheduled). For callers that need the answer now.
   */
  now(): Promise<void> {
    if (this.stopped) return Promise.reject(new Error(`${this.o.what}: the process is stopping`));
    this.inFlight ??= this.run().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  /** What worked stopped working (a dropped connection): back to trying, the outage logged once. */
  lost(error: unknown): void {
    // Not working yet: the attempt in progress reports its own failure.
    if (this.stopped || this.current?.ok !== true) return;
    this.fail(error);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async run(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      await this.o.attempt();
    } catch (error) {
      if (!this.stopped) this.fail(error);
      throw error;
    }
    const outage = this.current?.ok === false ? this.current : null;
    this.failures = 0;
    this.current = { ok: true, since: new Date() };
    if (outage) {
      this.o.log.info(`slack: ${this.o.what} works again`, {
        attempts: outage.attempts + 1,
        down_since: outage.since.toISOString(),
      });
    }
  }

  private fail(error: unknown): void {
    const reason = this.o.describe(error);
    const outage = this.current?.ok === false ? this.current : null;
    this.failures++;
    const delay = backoffDelay(this.failures, this.o.backoff);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.now().catch(() => undefined), delay);
    this.timer.unref();
    this.current = {
      ok: false,
      reason,
      since: outage?.since ?? new Date(),
      attempts: (outage?.attempts ?? 0) + 1,
      nextAttemptAt: new Date(Date.now() + delay),
    };
    if (!outage) {
      const maxMs = this.o.backoff?.maxMs ?? DEFAULT_BACKOFF.maxMs;
      this.o.log.error(`slack: ${this.o.what} failed: ${reason}. ${this.o.hint}`, {
        retry: `with backoff, every ${Math.round(maxMs / 1000)} s at most, until it works`,
      });
    }
  }
}
