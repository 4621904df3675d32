import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Logger } from "../log.ts";
import { backoffDelay, KeepTrying } from "./keep-trying.ts";

describe("backoffDelay", () => {
  it("doubles from the first wait and stops at the cap", () => {
    const waits = [1, 2, 3, 4, 5, 10, 100].map((n) => backoffDelay(n, { initialMs: 1000, maxMs: 10_000 }));
    expect(waits).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
    expect(backoffDelay(1)).toBe(1000);
    expect(backoffDelay(1000)).toBe(300_000);
  });
});

describe("KeepTrying", () => {
  let lines: { level: string; msg: string }[];
  const log = {
    debug: () => undefined,
    info: (msg: string) => void lines.push({ level: "info", msg }),
    warn: (msg: string) => void lines.push({ level: "warn", msg }),
    error: (msg: string) => void lines.push({ level: "error", msg }),
  } satisfies Logger;

  beforeEach(() => {
    lines = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  function trying(results: (Error | null)[]) {
    let calls = 0;
    const t = new KeepTrying({
      what: "the check",
      attempt: () => {
        const result = results[Math.min(calls++, results.length - 1)];
        return result ? Promise.reject(result) : Promise.resolve();
      },
      describe: (e) => `refused: ${(e as Error).message}`,
      hint: "Check the token",
      log,
      backoff: { initialMs: 100, maxMs: 400 },
    });
    return { t, calls: () => calls };
  }

  it("retries with backoff, logs the outage once and its end once", async () => {
    const no = new Error("invalid_auth");
    const { t, calls } = trying([no, no, no, no, no, null]);
    expect(t.state()).toBeNull();
    t.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.state()).toMatchObject({ ok: false, reason: "refused: invalid_auth", attempts: 1 });
    // 100, 200, 400, 400 (the cap), 400 ms later: the fifth and sixth attempts.
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 400);
    expect(calls()).toBe(5);
    expect(t.state()).toMatchObject({ ok: false, attempts: 5 });
    await vi.advanceTimersByTimeAsync(400);
    expect(calls()).toBe(6);
    expect(t.state()).toMatchObject({ ok: true });
    expect(lines).toEqual([
      { level: "error", msg: "slack: the check failed: refused: invalid_auth. Check the token" },
      { level: "info", msg: "slack: the check works again" },
    ]);
    // Nothing more is tried once it works.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls()).toBe(6);
  });

  it("tries again when what worked is lost, and not before it worked; stop() ends it", async () => {
    const { t, calls } = trying([null, new Error("gone"), null]);
    t.lost(new Error("ignored: not working yet"));
    expect(t.state()).toBeNull();
    await t.now();
    t.lost(new Error("closed"));
    expect(t.state()).toMatchObject({ ok: false, reason: "refused: closed" });
    await vi.advanceTimersByTimeAsync(100);
    expect(calls()).toBe(2);
    expect(t.state()).toMatchObject({ ok: false, reason: "refused: gone", attempts: 2 });
    t.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls()).toBe(2);
    await expect(t.now()).rejects.toThrow("stopping");
    expect(lines.filter((l) => l.level === "error")).toHaveLength(1);
  });
});
