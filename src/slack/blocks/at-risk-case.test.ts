import { describe, expect, it } from "vitest";
import { caseParentMessage, movedReply, type CaseView } from "./at-risk-case.ts";

const view = (fromScore: number, score: number): CaseView => ({
  caseId: 7n,
  version: 1,
  status: "open",
  account: {
    name: "Acme",
    externalId: "A1",
    ownerSlackUserId: null,
    owner: null,
    mrr: null,
    renewalDate: null,
  },
  score,
  fromScore,
  drivers: [],
  caseOwner: null,
  dueDate: null,
  snoozedUntil: null,
  recovered: false,
  resolvedBy: null,
  tasks: [],
  opener: null,
});

describe("case messages", () => {
  it("show a move in whole points", () => {
    expect(JSON.stringify(caseParentMessage(view(74.2, 61.4)).blocks)).toContain("*61 (−13 from 74)*");
  });

  it("show a decimal when whole points would make the move look like none", () => {
    expect(JSON.stringify(caseParentMessage(view(59.61, 59.98)).blocks)).toContain("*60.0 (+0.4 from 59.6)*");
    expect(movedReply("back", view(60.4, 59.6), "at_risk").text).toContain("59.6 (−0.8 from 60.4)");
  });
});

describe("a case's tasks and opener", () => {
  const blocks = (v: CaseView) =>
    caseParentMessage(v).blocks as { type: string; text?: { text: string }; accessory?: { value: string } }[];

  it("lists each task with a Done button carrying the case, its version and the task", () => {
    const v = {
      ...view(70, 60),
      version: 4,
      tasks: [
        { text: "Call *the* champion", doneBy: null },
        { text: "Review usage", doneBy: "U0BOB" },
      ],
    };
    const tasks = blocks(v).filter((b) => b.text?.text.includes("white_"));
    expect(tasks.map((b) => b.text!.text)).toEqual([
      ":white_large_square: Call \u2060*\u2060the\u2060*\u2060 champion",
      ":white_check_mark: ~Review usage~ · <@U0BOB>",
    ]);
    expect(JSON.parse(tasks[0]!.accessory!.value)).toEqual({ v: 1, c: "7", n: 4, t: 0 });
    // A ticked task has no button; a resolved case none at all.
    expect(tasks[1]!.accessory).toBeUndefined();
    expect(blocks({ ...v, status: "resolved" }).some((b) => b.accessory)).toBe(false);
  });

  it("says why a case an edge play opened is open, escaped", () => {
    const v = {
      ...view(81, 69),
      opener: { label: "Sharp <!here> drop", summary: "score fell 12 points in 7 days" },
    };
    expect(blocks(v)[0]!.text!.text).toBe(
      ":red_circle: *Acme*: Sharp &lt;!here&gt; drop, score fell 12 points in 7 days · now 69",
    );
  });
});
