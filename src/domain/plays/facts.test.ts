// Which survey answers are news on a day: the rule the live run and `plays test` share, on days
// written out (day 100 is the evaluation; 99 or 90 the one before).
import { describe, expect, it } from "vitest";
import { answerIsNew, CATCH_UP_DAYS } from "./facts.ts";

describe("answerIsNew", () => {
  it("takes the answers after the evaluation before, up to the day", () => {
    expect(answerIsNew(100, 100, 99)).toBe(true);
    expect(answerIsNew(99, 100, 99)).toBe(false); // told the day before
    expect(answerIsNew(101, 100, 99)).toBe(false); // not yet given
  });

  it("reaches a week back at most, after a gap or on a first evaluation", () => {
    expect(CATCH_UP_DAYS).toBe(7);
    // Scored on 90, then not until 100: answers of 91-92 are too old to be news, 93-100 are.
    expect(answerIsNew(92, 100, 90)).toBe(false);
    expect(answerIsNew(93, 100, 90)).toBe(true);
    // A first evaluation: the same week, its first day included.
    expect(answerIsNew(92, 100, null)).toBe(false);
    expect(answerIsNew(93, 100, null)).toBe(true);
    expect(answerIsNew(100, 100, null)).toBe(true);
  });
});
