import { describe, expect, it } from "vitest";
import type { AccountMatch } from "../../db/repositories/accounts.ts";
import { choicesMessage } from "./replies.ts";

const match = (i: number): AccountMatch => ({
  id: i,
  externalId: `A${i}`,
  name: `Falcon ${i}`,
  segment: null,
  domain: null,
  match: "contains",
  similarity: 0.5,
});

const ten = Array.from({ length: 10 }, (_, i) => match(i));

describe("the list of accounts to choose from", () => {
  it("says how many match in all, and that it shows the first ten", () => {
    const m = choicesMessage("falcon", ten, { total: 12, atLeast: false });
    expect(m.text).toBe('12 accounts match "falcon"');
    expect(JSON.stringify(m.blocks)).toContain("The first 10; type more of the name");
  });

  it("says 'or more' when the search stopped counting", () => {
    expect(choicesMessage("falcon", ten, { total: 50, atLeast: true }).text).toBe(
      '50 or more accounts match "falcon"',
    );
  });

  it("needs no 'first' when it shows them all", () => {
    const m = choicesMessage("falcon", [match(1), match(2)], { total: 2, atLeast: false });
    expect(m.text).toBe('2 accounts match "falcon"');
    expect(JSON.stringify(m.blocks)).not.toContain("The first");
  });
});
