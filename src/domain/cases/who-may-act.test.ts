import { describe, expect, it } from "vitest";
import { mayActOnCase, type Actor, type CaseParties } from "./who-may-act.ts";

const member: Actor = { userId: "U0ANN", teamId: "T0TEAM", guest: false, deleted: false };
const parties: CaseParties = {
  workspaceTeamId: "T0TEAM",
  accountOwner: "U0OWNER",
  caseOwner: null,
  escalationLead: "U0LEAD",
};

describe("who may act on a case", () => {
  it("lets a member of the workspace's own team act by default", () => {
    expect(mayActOnCase("members", member, parties)).toEqual({ allowed: true });
  });

  it("refuses a guest, a user of another organisation and a deactivated user, saying why", () => {
    expect(mayActOnCase("members", { ...member, guest: true }, parties)).toEqual({
      allowed: false,
      reason: "guests cannot act on at-risk cases",
    });
    expect(mayActOnCase("members", { ...member, teamId: "T0OTHER" }, parties)).toMatchObject({
      allowed: false,
      reason: expect.stringContaining("only members of the workspace") as string,
    });
    expect(mayActOnCase("members", { ...member, teamId: null }, parties).allowed).toBe(false);
    expect(mayActOnCase("members", { ...member, deleted: true }, parties).allowed).toBe(false);
  });

  it("narrowed to the owner and leads: the account's owner, the case's owner, the lead, nobody else", () => {
    const as = (userId: string) => mayActOnCase("owner_and_leads", { ...member, userId }, parties).allowed;
    expect(as("U0OWNER")).toBe(true);
    expect(as("U0LEAD")).toBe(true);
    expect(as("U0ANN")).toBe(false);
    expect(mayActOnCase("owner_and_leads", member, { ...parties, caseOwner: "U0ANN" }).allowed).toBe(true);
    // A guest stays refused even when named.
    expect(
      mayActOnCase("owner_and_leads", { ...member, userId: "U0OWNER", guest: true }, parties).allowed,
    ).toBe(false);
  });

  it("narrowed to a user group: its members only, the group named in the reason", () => {
    const group = { handle: "cs-team", members: new Set(["U0ANN"]) };
    expect(mayActOnCase("S0CS", member, { ...parties, group })).toEqual({ allowed: true });
    expect(mayActOnCase("S0CS", { ...member, userId: "U0OWNER" }, { ...parties, group })).toEqual({
      allowed: false,
      reason: "in this workspace only members of the user group @cs-team can act on at-risk cases",
    });
    // A group whose members cannot be read lets nobody act, and says why.
    expect(mayActOnCase("S0CS", member, { ...parties, group: { unknown: "it is gone" } })).toEqual({
      allowed: false,
      reason: "it is gone",
    });
    expect(mayActOnCase("S0CS", member, parties).allowed).toBe(false);
    // Guests and other organisations stay refused, members of the group or not.
    expect(mayActOnCase("S0CS", { ...member, guest: true }, { ...parties, group }).allowed).toBe(false);
    expect(mayActOnCase("S0CS", { ...member, teamId: "T0OTHER" }, { ...parties, group }).allowed).toBe(false);
  });
});
