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
