// A play's conditions (`when`): all must hold for it to fire. conditionsHold answers the live run;
// failedConditions says why not, in plain text, for an admin previewing a play on an account.
import { formatDay, type Day } from "../dates.ts";
import { inBandList, resolveBandList } from "./band-list.ts";
import type { PlayAccount } from "./facts.ts";
import { formatNumber } from "./plain-text.ts";
import {
  ACCOUNT_FIELD_TYPES,
  LOWEST_BAND,
  isoDateDay,
  type AccountField,
  type Conditions,
  type FieldTest,
} from "./schema.ts";

/** True when every condition holds for the account (no conditions: true). */
export function conditionsHold(when: Conditions, account: PlayAccount): boolean {
  // The run asks this of every candidate account for every play: the tests alone, no reasons
  // written, stopping at the first that fails. failedConditions asks the same tests, in this order.
  if (when.segment && !segmentHolds(when.segment, account)) return false;
  if (when.mrr && !inRange(account.mrr, when.mrr.min, when.mrr.max)) return false;
  if (when.arr && !inRange(arrOf(account), when.arr.min, when.arr.max)) return false;
  if (when.owner && !ownerHolds(when.owner, account)) return false;
  if (when.band && !inBandList(account.band, when.band, account.lowestBand)) return false;
  if (when.account) {
    for (const [field, test] of Object.entries(when.account) as [AccountField, FieldTest][]) {
      if (fieldFailure(field, test, account) !== null) return false;
    }
  }
  return true;
}

/** Why the conditions do not hold, one plain-text reason per failed condition (empty: they hold). */
export function failedConditions(when: Conditions, account: PlayAccount): string[] {
  const failed: string[] = [];
  const add = (reason: string | null) => {
    if (reason !== null) failed.push(reason);
  };
  if (when.segment && !segmentHolds(when.segment, account)) {
    const wanted = when.segment;
    add(
      account.segment === null
        ? `no segment (wants ${oneOf(wanted)})`
        : `segment ${account.segment} is not ${oneOf(wanted)}`,
    );
  }
  if (when.mrr) add(rangeFailure("MRR", account.mrr, when.mrr.min, when.mrr.max));
  if (when.arr) add(rangeFailure("ARR", arrOf(account), when.arr.min, when.arr.max));
  if (when.owner && !ownerHolds(when.owner, account))
    add(when.owner === "set" ? "the account has no owner" : `the account has an owner (${account.owner})`);
  if (when.band && !inBandList(account.band, when.band, account.lowestBand)) {
    const wanted = resolveBandList(when.band, account.lowestBand);
    add(
      account.band === null
        ? `no band yet (wants ${oneOf(wanted)})`
        : `band ${account.band} is not ${oneOf(wanted)}`,
    );
  }
  for (const [field, test] of Object.entries(when.account ?? {}) as [AccountField, FieldTest][]) {
    add(fieldFailure(field, test, account));
  }
  return failed;
}

function segmentHolds(wanted: readonly string[], account: PlayAccount): boolean {
  const segment = account.segment;
  if (segment === null) return false;
  for (const s of wanted) if (s === segment || sameText(s, segment)) return true;
  return false;
}

function ownerHolds(owner: NonNullable<Conditions["owner"]>, account: PlayAccount): boolean {
  const owned = isSet(account.owner);
  return owner === "set" ? owned : !owned;
}

// ---- Account fields ----

type FieldValue =
  | { type: "text"; value: string | null }
  | { type: "number"; value: number | null }
  | { type: "date"; value: Day | null };

const FIELD_VALUES: { [F in AccountField]: (a: PlayAccount) => string | number | null } = {
  name: (a) => a.name,
  domain: (a) => a.domain,
  segment: (a) => a.segment,
  owner: (a) => a.owner,
  band: (a) => a.band,
  mrr: (a) => a.mrr,
  arr: arrOf,
  seats: (a) => a.seats,
  score: (a) => a.score,
  renewal_date: (a) => a.renewalDate,
  customer_since: (a) => a.customerSince,
};

function fieldValue(field: AccountField, a: PlayAccount): FieldValue {
  // The schema's types say how the file's values compare; the account's values have those types.
  return { type: ACCOUNT_FIELD_TYPES[field], value: FIELD_VALUES[field](a) } as FieldValue;
}

function fieldFailure(field: AccountField, test: FieldTest, account: PlayAccount): string | null {
  const v = fieldValue(field, account);
  const present = v.type === "text" ? isSet(v.value) : v.value !== null;
  if (typeof test === "object" && !Array.isArray(test) && "set" in test) {
    if (test.set && !present) return `${field} is not set`;
    if (!test.set && present) return `${field} is set (${shown(v)})`;
    return null;
  }
  if (!present) return `${field} is not set`;
  if (typeof test === "string" || typeof test === "number") {
    return equals(v, test, field, account) ? null : `${field} ${shown(v)} is not ${quoted(v, test)}`;
  }
  if (Array.isArray(test)) {
    return test.some((t) => equals(v, t, field, account))
      ? null
      : `${field} ${shown(v)} is not one of ${test.map((t) => quoted(v, t)).join(", ")}`;
  }
  // A range: the schema allows it on numbers and dates only, with dates as "YYYY-MM-DD".
  if (v.type === "text") return `${field} is text and cannot be in a range`;
  const end = (x: string | number | undefined) =>
    x === undefined ? undefined : v.type === "date" ? (isoDateDay(x) ?? Number.NaN) : Number(x);
  return rangeFailure(
    field,
    v.value,
    end(test.min),
    end(test.max),
    v.type === "date" ? formatDay : formatNumber,
  );
}

function equals(
  v: FieldValue,
  expected: string | number,
  field: AccountField,
  account: PlayAccount,
): boolean {
  if (v.value === null) return false;
  if (v.type === "text") {
    // `band: lowest` means the account's lowest band, as in every band list of a playbook.
    if (field === "band" && expected === LOWEST_BAND) return v.value === account.lowestBand;
    return sameText(String(expected), v.value);
  }
  if (v.type === "date") return isoDateDay(expected) === v.value;
  return Number(expected) === v.value;
}

function rangeFailure(
  label: string,
  value: number | null,
  min: number | undefined,
  max: number | undefined,
  format: (n: number) => string = formatNumber,
): string | null {
  if (inRange(value, min, max)) return null;
  if (value === null) return `no ${label}`;
  if (min !== undefined && !(value >= min)) return `${label} ${format(value)} is below ${format(min)}`;
  return `${label} ${format(value)} is above ${format(max!)}`;
}

/** Ranges are inclusive; a NaN end (a date the schema should have refused) lets nothing through. */
function inRange(value: number | null, min: number | undefined, max: number | undefined): boolean {
  return value !== null && (min === undefined || value >= min) && (max === undefined || value <= max);
}

// ---- Helpers ----

function arrOf(a: PlayAccount): number | null {
  return a.mrr === null ? null : a.mrr * 12;
}

/** A source that sends "" for a missing owner or domain has not set it. */
function isSet(text: string | null): boolean {
  return text !== null && text.trim() !== "";
}

function sameText(a: string, b: string | null): boolean {
  return b !== null && a.trim().toLowerCase() === b.trim().toLowerCase();
}

function shown(v: FieldValue): string {
  if (v.value === null) return "not set";
  if (v.type === "date") return formatDay(v.value);
  return v.type === "number" ? formatNumber(v.value) : v.value;
}

function quoted(v: FieldValue, expected: string | number): string {
  return v.type === "text" ? `"${expected}"` : String(expected);
}

function oneOf(list: string[]): string {
  return list.length === 1 ? list[0]! : `one of ${list.join(", ")}`;
}
