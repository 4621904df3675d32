import { describe, expect, it } from "vitest";
import { parseDay } from "../domain/dates.ts";
import { ApiError } from "./api-error.ts";
import { checkTrackEvent, checkTrackEvents, MAX_EVENT_LENGTH, parseTrackBody } from "./track-events.ts";

const NOW = new Date("2026-11-25T12:00:00Z");
const day = (text: string) => parseDay(text)!;
const track = (fields: Record<string, unknown>) => ({
  type: "track",
  event: "Report Exported",
  userId: "u1",
  timestamp: "2026-11-20T10:00:00Z",
  context: { groupId: "ACME-1" },
  ...fields,
});

describe("checkTrackEvent", () => {
  it("reads account, user, UTC day and event from a track event", () => {
    expect(checkTrackEvent(track({ timestamp: "2026-11-20T23:30:00-02:00" }), 3, NOW)).toEqual({
      index: 3,
      account: "ACME-1",
      accountField: "context.groupId",
      user: "u1",
      day: day("2026-11-21"),
      event: "Report Exported",
    });
  });

  it("refuses NUL and other control characters in the account, the user and the event, naming the field", () => {
    const reason = (code: string, at: number) =>
      `contains a control character (${code} at character ${at}); remove it`;
    expect(
      checkTrackEvent(
        track({ context: { groupId: "AC\u0000ME" }, userId: "u\u00001", event: "Ex\u0007port" }),
        2,
        NOW,
      ),
    ).toEqual([
      { index: 2, field: "event", reason: reason("U+0007", 3) },
      { index: 2, field: "context.groupId", reason: reason("U+0000", 3) },
      { index: 2, field: "userId", reason: reason("U+0000", 2) },
    ]);
  });

  it("takes the account from context.groupId, else properties.account_id, else groupId", () => {
    const account = (fields: Record<string, unknown>) => {
      const r = checkTrackEvent(track({ context: {}, ...fields }), 0, NOW);
      return typeof r === "object" && "account" in r ? [r.account, r.accountField] : r;
    };
    expect(account({ properties: { account_id: "P-1" }, groupId: "G-1" })).toEqual([
      "P-1",
      "properties.account_id",
    ]);
    expect(account({ groupId: 42 })).toEqual(["42", "groupId"]);
    expect(account({ context: { groupId: " " }, groupId: "G-1" })).toEqual(["G-1", "groupId"]);
  });

  it("takes the user from userId, else anonymousId", () => {
    const r = checkTrackEvent(track({ userId: null, anonymousId: "anon-7" }), 0, NOW);
    expect(r).toMatchObject({ user: "anon-7" });
  });

  it("dates by timestamp, else receivedAt, else sentAt, else today", () => {
    const dayOf = (fields: Record<string, unknown>) =>
      (checkTrackEvent(track({ timestamp: undefined, ...fields }), 0, NOW) as { day: number }).day;
    expect(dayOf({ receivedAt: "2026-11-18T01:00:00Z", sentAt: "2026-11-17T01:00:00Z" })).toBe(
      day("2026-11-18"),
    );
    expect(dayOf({ sentAt: "2026-11-17T01:00:00Z" })).toBe(day("2026-11-17"));
    expect(dayOf({})).toBe(day("2026-11-25"));
  });

  it("cuts long event names so that feature_users:<event> fits a metric name", () => {
    const r = checkTrackEvent(track({ event: `  ${"x".repeat(200)} ` }), 0, NOW);
    expect((r as { event: string }).event).toBe("x".repeat(MAX_EVENT_LENGTH));
  });

  it("ignores other types", () => {
    for (const type of ["identify", "page", "group", "screen", "alias"])
      expect(checkTrackEvent({ type, userId: "u1" }, 0, NOW)).toBe("ignored");
  });

  it("reports every problem of an invalid event by index and field", () => {
    expect(checkTrackEvent("x", 1, NOW)).toEqual([
      { index: 1, field: null, reason: "each event must be a JSON object" },
    ]);
    expect(checkTrackEvent({ event: "E" }, 2, NOW)).toEqual([
      { index: 2, field: "type", reason: expect.stringContaining("missing") as string },
    ]);
    const issues = checkTrackEvent(
      { type: "track", event: "", timestamp: "2026-11-31T00:00:00Z", context: { groupId: ["A"] } },
      4,
      NOW,
    );
    expect(issues).toEqual([
      { index: 4, field: "event", reason: "missing: a track event has a name" },
      { index: 4, field: "context.groupId", reason: "not a string" },
      { index: 4, field: "userId", reason: "no user: send userId or anonymousId" },
      { index: 4, field: "timestamp", reason: 'not an ISO 8601 timestamp: "2026-11-31T00:00:00Z"' },
    ]);
    expect(checkTrackEvent(track({ context: {}, userId: "x".repeat(256) }), 5, NOW)).toEqual([
      { index: 5, field: "context.groupId", reason: expect.stringContaining("no account") as string },
      { index: 5, field: "userId", reason: "longer than 255 characters" },
    ]);
  });
});

describe("checkTrackEvents", () => {
  it("sorts a batch into activities, ignored events and issues", () => {
    const checked = checkTrackEvents([track({}), { type: "identify" }, track({ userId: undefined })], NOW);
    expect(checked.activities.map((a) => a.index)).toEqual([0]);
    expect(checked.ignored).toBe(1);
    expect(checked.issues.map((i) => [i.index, i.field])).toEqual([[2, "userId"]]);
  });
});

describe("parseTrackBody", () => {
  const parse = (text: string) => parseTrackBody(Buffer.from(text));
  const codeOf = (text: string) => {
    try {
      parse(text);
      return null;
    } catch (e) {
      return e instanceof ApiError ? [e.status, e.code] : e;
    }
  };

  it("takes one event or Segment's batch form", () => {
    expect(parse('{"type":"track"}')).toEqual([{ type: "track" }]);
    expect(parse('{"batch":[{"type":"track"},{"type":"page"}]}')).toHaveLength(2);
  });

  it("refuses what is not JSON, not an event, or more than 10,000 events", () => {
    expect(codeOf('{"type":')).toEqual([400, "malformed_json"]);
    expect(codeOf("[]")).toEqual([400, "bad_request"]);
    expect(codeOf('{"batch":{}}')).toEqual([400, "bad_request"]);
    expect(codeOf(JSON.stringify({ batch: Array(10_001).fill({}) }))).toEqual([413, "payload_too_large"]);
  });
});

describe("parseTrackBody's encoding", () => {
  it("refuses a body that is not UTF-8, naming the byte", () => {
    const body = Buffer.concat([
      Buffer.from('{"type":"track","event":"Caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}'),
    ]);
    expect(() => parseTrackBody(body)).toThrow(/not UTF-8: byte 0xE9 at position 28 \(line 1, column 29\)/);
  });
});
