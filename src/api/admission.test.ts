import { describe, expect, it } from "vitest";
import { createAdmission } from "./admission.ts";
import { ApiError } from "./api-error.ts";

/** Work that runs until `finish()` is called, and says whether it has started. */
function heldWork() {
  let finish: () => void = () => undefined;
  let started = false;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    work: () => {
      started = true;
      return done.then(() => "done");
    },
    started: () => started,
    finish: () => finish(),
  };
}

describe("admission", () => {
  it("runs `concurrency` at once, queues `queue` more, and refuses the next with 503 and Retry-After", async () => {
    const admission = createAdmission({ concurrency: 1, queue: 1 });
    const first = heldWork();
    const second = heldWork();
    const running = admission.run(first.work);
    const waiting = admission.run(second.work);
    await Promise.resolve();
    expect([first.started(), second.started()]).toEqual([true, false]);

    const refused = await admission.run(() => Promise.resolve("never")).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).status).toBe(503);
    expect((refused as ApiError).body).toEqual({
      error: "busy",
      message: "too many ingest requests at once (2 in progress or waiting); retry in 1 s",
      retry_after: 1,
    });
    expect((refused as ApiError).headers).toEqual({ "retry-after": "1" });

    first.finish();
    expect(await running).toBe("done");
    await Promise.resolve();
    expect(second.started()).toBe(true);
    second.finish();
    expect(await waiting).toBe("done");
  });

  it("hands the turn on when the work fails, and admits again once free", async () => {
    const admission = createAdmission({ concurrency: 1, queue: 0 });
    await expect(admission.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await admission.run(() => Promise.resolve(1))).toBe(1);
    const held = heldWork();
    const running = admission.run(held.work);
    await expect(admission.run(() => Promise.resolve(2))).rejects.toBeInstanceOf(ApiError);
    held.finish();
    await running;
    expect(await admission.run(() => Promise.resolve(3))).toBe(3);
  });
});
