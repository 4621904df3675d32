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
  });

  it("takes anything else as an account, including names that start like a subcommand", () => {
    expect(parseCssCommand("acme  corp")).toEqual({ kind: "lookup", query: "acme corp" });
    expect(parseCssCommand("Mine Safety Inc")).toEqual({ kind: "lookup", query: "Mine Safety Inc" });
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
});
