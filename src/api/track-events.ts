// The body of POST /api/v1/track: one Segment event or Segment's batch form `{"batch": [...]}`, and
// each track event reduced to an activity row (account, UTC day, user, event). Pure: whether the
// accounts exist is checked when the rows are written (services/track-activity.ts).
import { parseDay, todayUtc, type Day } from "../domain/dates.ts";
import { controlCharProblem } from "../ingest/control-chars.ts";
import type { RecordIssue } from "../services/ingest-batch.ts";
import type { TrackActivity } from "../services/track-activity.ts";
import { ApiError } from "./api-error.ts";
import { payloadTooLarge } from "./http.ts";
import { jsonText, MAX_RECORDS, parseBatch } from "./parse-batch.ts";

/** Longer event names are cut here, so `feature_users:<event>` fits a metric name (100). */
export const MAX_EVENT_LENGTH = 80;
/** Account and user ids longer than this are refused (an id cut short could be someone else's). */
export const MAX_ID_LENGTH = 255;

export interface CheckedEvents {
  activities: TrackActivity[];
  /** Events of other types (identify, page, group...): accepted and not used. */
  ignored: number;
  issues: RecordIssue[];
}

/** The events of a body: a single event object, or `{"batch": [...]}` of at most MAX_RECORDS. */
export function parseTrackBody(body: Buffer): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(jsonText(body));
  } catch {
    // The ingest API's parser gives the same 400 with the error's position.
    parseBatch(body);
    throw new Error("unreachable: parseBatch accepted what JSON.parse refused");
  }
  if (!isObject(value))
    throw new ApiError(400, "bad_request", 'the body must be a Segment event or {"batch": [...events]}');
  if (!("batch" in value)) return [value];
  if (!Array.isArray(value.batch))
    throw new ApiError(400, "bad_request", '"batch" must be an array of Segment events');
  if (value.batch.length > MAX_RECORDS)
    throw payloadTooLarge(
      `at most ${MAX_RECORDS} events per request (got ${value.batch.length}): split the batch`,
    );
  return value.batch as unknown[];
}

/** Sorts a batch's events into activity rows, ignored events and issues (by index). */
export function checkTrackEvents(items: readonly unknown[], now: Date = new Date()): CheckedEvents {
  const checked: CheckedEvents = { activities: [], ignored: 0, issues: [] };
  items.forEach((item, index) => {
    const result = checkTrackEvent(item, index, now);
    if (result === "ignored") checked.ignored++;
    else if (Array.isArray(result)) checked.issues.push(...result);
    else checked.activities.push(result);
  });
  return checked;
}

export function checkTrackEvent(
  item: unknown,
  index: number,
  now: Date = new Date(),
): TrackActivity | RecordIssue[] | "ignored" {
  const issue = (field: string | null, reason: string): RecordIssue[] => [{ index, field, reason }];
  if (!isObject(item)) return issue(null, "each event must be a JSON object");
  if (typeof item.type !== "string") return issue("type", "missing: track, identify, page, group...");
  if (item.type !== "track") return "ignored";
  const issues: RecordIssue[] = [];

  const event = typeof item.event === "string" ? item.event.trim() : "";
  if (event === "") issues.push({ index, field: "event", reason: "missing: a track event has a name" });
  const eventProblem = controlCharProblem(event);
  if (eventProblem) issues.push({ index, field: "event", reason: eventProblem });

  const context = isObject(item.context) ? item.context : {};
  const properties = isObject(item.properties) ? item.properties : {};
  let before = issues.length;
  const account = firstId(
    index,
    [
      ["context.groupId", context.groupId],
      ["properties.account_id", properties.account_id],
      ["groupId", item.groupId],
    ],
    issues,
  );
  if (account === null && issues.length === before)
    issues.push({
      index,
      field: "context.groupId",
      reason: "no account: send the account id as context.groupId, properties.account_id or groupId",
    });
  before = issues.length;
  const user = firstId(
    index,
    [
      ["userId", item.userId],
      ["anonymousId", item.anonymousId],
    ],
    issues,
  );
  if (user === null && issues.length === before)
    issues.push({ index, field: "userId", reason: "no user: send userId or anonymousId" });

  const day = dayOf(item, now);
  if (typeof day !== "number") issues.push({ index, ...day });

  if (issues.length > 0 || account === null || user === null || typeof day !== "number") return issues;
  return {
    index,
    account: account.id,
    accountField: account.field,
    user: user.id,
    day,
    event: event.slice(0, MAX_EVENT_LENGTH),
  };
}

/** The first of the candidates that is set; a set one that is not an id is an issue. */
function firstId(
  index: number,
  candidates: [field: string, value: unknown][],
  issues: RecordIssue[],
): { id: string; field: string } | null {
  for (const [field, value] of candidates) {
    if (value === undefined || value === null) continue;
    const id = typeof value === "number" && Number.isFinite(value) ? String(value) : value;
    if (typeof id !== "string") {
      issues.push({ index, field, reason: "not a string" });
      return null;
    }
    const trimmed = id.trim();
    if (trimmed === "") continue;
    if (trimmed.length > MAX_ID_LENGTH) {
      issues.push({ index, field, reason: `longer than ${MAX_ID_LENGTH} characters` });
      return null;
    }
    // The file formats' rule for ids: PostgreSQL cannot store NUL, and no id holds a control character.
    const problem = controlCharProblem(trimmed);
    if (problem) {
      issues.push({ index, field, reason: problem });
      return null;
    }
    return { id: trimmed, field };
  }
  return null;
}

/** The UTC day of `timestamp`, else `receivedAt`, else `sentAt`, else today. */
function dayOf(item: Record<string, unknown>, now: Date): Day | { field: string; reason: string } {
  for (const field of ["timestamp", "receivedAt", "sentAt"]) {
    const value = item[field];
    if (value === undefined || value === null) continue;
    // parseDay lets Date.parse roll a timestamp's 2026-11-31 over to December; its date part is checked.
    const day =
      typeof value === "string" && parseDay(value.trim().slice(0, 10)) !== null ? parseDay(value) : null;
    if (day === null) return { field, reason: `not an ISO 8601 timestamp: ${JSON.stringify(value)}` };
    return day;
  }
  return todayUtc(now);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);
