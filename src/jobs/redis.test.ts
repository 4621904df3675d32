import { describe, expect, it } from "vitest";
import type { Logger } from "../log.ts";
import { isUnreachable, RedisOutageLog } from "./redis.ts";

const refused = () =>
  Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });

function logger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log: Logger = {
    debug: () => undefined,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m, f) => lines.push(`error ${m} ${JSON.stringify(f)}`),
  };
  return { log, lines };
}

describe("RedisOutageLog", () => {
  it("tells an outage once when it begins and once when it ends, however many attempts fail", () => {
    const { log, lines } = logger();
    const outage = new RedisOutageLog(log, "the sync worker");
    outage.ready(); // connected at start: nothing to tell
    for (let i = 0; i < 20; i++) outage.error(refused());
    outage.error(new Error("Connection is closed."));
    outage.ready();
    outage.ready();
    outage.error(refused());
    expect(lines).toEqual([
      "warn the sync worker: Redis does not answer; reconnecting until it does",
      "info the sync worker: Redis answers again",
      "warn the sync worker: Redis does not answer; reconnecting until it does",
    ]);
  });

  it("logs any other error as it comes", () => {
    const { log, lines } = logger();
    const outage = new RedisOutageLog(log, "queues");
    outage.error(new Error("NOSCRIPT No matching script"));
    outage.error(new Error("NOSCRIPT No matching script"));
    expect(lines).toEqual([
      'error queues: Redis error {"error":"NOSCRIPT No matching script"}',
      'error queues: Redis error {"error":"NOSCRIPT No matching script"}',
    ]);
  });

  it("takes the errors of a connection that cannot reach Redis for an outage", () => {
    for (const code of ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND"])
      expect(isUnreachable(Object.assign(new Error(code), { code }))).toBe(true);
    expect(isUnreachable(new Error("Connection is closed."))).toBe(true);
    expect(isUnreachable(new Error("ERR wrong number of arguments"))).toBe(false);
  });
});
