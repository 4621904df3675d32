import { describe, expect, it } from "vitest";
import { MAX_QUERY, parseCssCommand } from "./parse-command.ts";

describe("parseCssCommand", () => {
  it("reads the subcommands", () => {
    expect(parseCssCommand("")).toEqual({ kind: "help" });
    expect(parseCssCommand("  HELP ")).toEqual({ kind: "help" });
    expect(parseCssCommand("at-risk")).toEqual({ kind: "at-risk", segment: null });
    expect(parseCssCommand("at-risk  enterprise")).toEqual({ kind: "at-risk", segment: "enterprise" });
    expect(parseCssCommand("mine")).toEqual({ kind: "mine" });
    expect(parseCssCommand("movers")).toEqual({ kind: "movers" });
    expect(parseCssCommand("watch Acme Corp")).toEqual({ kind: "watch", query: "Acme Corp" });
    expect(parseCssCommand("settings")).toEqual({ kind: "settings" });
    expect(parseCssCommand(" Plays ")).toEqual({ kind: "plays" });
  });

  it("reads renewals and its days ahead, 90 by default", () => {
    expect(parseCssCommand("renewals")).toEqual({ kind: "renewals", days: 90 });
    expect(parseCssCommand(" Renewals  30 ")).toEqual({ kind: "renewals", days: 30 });
    expect(parseCssCommand("renewals 1")).toEqual({ kind: "renewals", days: 1 });
    expect(parseCssCommand("renewals 365")).toEqual({ kind: "renewals", days: 365 });
    expect(parseCssCommand("renewals 60d")).toEqual({ kind: "renewals", days: 60 });
    expect(parseCssCommand("renewals 45 days")).toEqual({ kind: "renewals", days: 45 });
  });

  it("refuses renewal days outside 1..365, or not a whole number, saying what it takes", () => {
    for (const days of ["0", "366", "-5", "1.5", "ninety", "30 weeks", "99999"]) {
      const parsed = parseCssCommand(`renewals ${days}`);
      expect(parsed, days).toEqual({
        kind: "invalid",
        message:
          "Write `/css renewals [days]`: the days ahead are a whole number from 1 to 365 (default 90), e.g. `/css renewals 30`.",
      });
    }
  });

  it("takes anything else as an account, including names that start like a subcommand", () => {
    expect(parseCssCommand("acme  corp")).toEqual({ kind: "lookup", query: "acme corp" });
    expect(parseCssCommand("Mine Safety Inc")).toEqual({ kind: "lookup", query: "Mine Safety Inc" });
    expect(parseCssCommand("plays  ground")).toEqual({ kind: "lookup", query: "plays ground" });
    expect(parseCssCommand("<!channel>")).toEqual({ kind: "lookup", query: "<!channel>" });
  });

  it("refuses NUL and other control characters with a clear message; tabs and line breaks are spaces", () => {
    expect(parseCssCommand("acme\u0000corp")).toEqual({
      kind: "invalid",
      message:
        "That text contains a control character (U+0000 at character 5), which no account name holds: type it again without it.",
    });
    expect(parseCssCommand("watch ac\u001bme").kind).toBe("invalid");
    expect(parseCssCommand("acme\tcorp\r\n")).toEqual({ kind: "lookup", query: "acme corp" });
  });

  it("refuses over-long input and a watch without an account", () => {
    expect(parseCssCommand("x".repeat(MAX_QUERY + 1)).kind).toBe("invalid");
    expect(parseCssCommand("watch").kind).toBe("invalid");
  });

  it("reads a note: the account's first word or quoted name, then the text as typed", () => {
    expect(parseCssCommand("note acme-1 Called   them\nabout renewal ")).toEqual({
      kind: "note",
      query: "acme-1",
      text: "Called   them\nabout renewal",
    });
    expect(parseCssCommand('NOTE "Acme  Corp" <!channel> *bold*')).toEqual({
      kind: "note",
      query: "Acme Corp",
      text: "<!channel> *bold*",
    });
    expect(parseCssCommand("note “Acme Corp” hi")).toEqual({ kind: "note", query: "Acme Corp", text: "hi" });
    // Longer than a query may be: a note may hold 2,000 characters.
    expect(parseCssCommand(`note acme ${"x".repeat(2000)}`)).toMatchObject({ kind: "note" });
  });

  it("refuses a note without an account or text, too long, or holding a control character", () => {
    expect(parseCssCommand("note").kind).toBe("invalid");
    expect(parseCssCommand("note acme").kind).toBe("invalid");
    expect(parseCssCommand('note "Acme Corp"').kind).toBe("invalid");
    expect(parseCssCommand(`note acme ${"x".repeat(2001)}`)).toEqual({
      kind: "invalid",
      message: "Nothing was noted: the note is 2001 characters; at most 2000.",
    });
    expect(parseCssCommand("note acme bad\u0000text")).toEqual({
      kind: "invalid",
      message: "Nothing was noted: the note contains a control character (U+0000 at character 4); remove it.",
    });
    // A name that only starts like the subcommand is still an account.
    expect(parseCssCommand("Notebook Inc")).toEqual({ kind: "lookup", query: "Notebook Inc" });
  });
});
