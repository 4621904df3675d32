import { describe, expect, it } from "vitest";
import type { TimelineEntry } from "../../services/timeline.ts";
import { noteReply, timelineLine, timelineMessage } from "./timeline.ts";

const entry = (text: string, over: Partial<TimelineEntry> = {}): TimelineEntry => ({
  at: "2026-11-24T15:00:00.000Z",
  kind: "note",
  text,
  actor: "U0ALICE",
  details: {},
  ...over,
});

const sectionTexts = (blocks: unknown[]) =>
  (blocks as { type: string; text?: { text: string } }[])
    .filter((b) => b.type === "section")
    .map((b) => b.text!.text);

describe("timeline blocks", () => {
  it("writes one line per entry: date, kind, text on one line, who; the bot's own entries unsigned", () => {
    expect(timelineLine(entry("first\n  second"))).toBe("2026-11-24 :memo: first second · <@U0ALICE>");
    expect(timelineLine(entry("Band caution → at risk", { kind: "band_change", actor: "css-bot" }))).toBe(
      "2026-11-24 :chart_with_downwards_trend: Band caution → at risk",
    );
    // A respondent's address is not a Slack user: no actor, and an email actor would be escaped.
    expect(timelineLine(entry("NPS 3: “slow”", { kind: "survey_comment", actor: null }))).toBe(
      "2026-11-24 :speech_balloon: NPS 3: “slow”",
    );
  });

  it("keeps every section within Slack's 3,000 characters, however the text escapes", () => {
    const worst = "&".repeat(2000); // each & escapes to five characters
    const reply = noteReply("U0BOB", worst);
    for (const text of sectionTexts(reply.blocks)) expect([...text].length).toBeLessThanOrEqual(3000);
    expect(reply.text).toBe(`<@U0BOB> noted: ${"&amp;".repeat(2000)}`);
    const message = timelineMessage(
      "Acme",
      Array.from({ length: 20 }, () => entry(worst)),
    );
    const sections = sectionTexts(message.blocks);
    expect(sections).toHaveLength(3); // the title, then two of ten entries
    for (const text of sections) expect([...text].length).toBeLessThanOrEqual(3000);
    expect(sectionTexts(timelineMessage("Acme", []).blocks)[1]).toBe("_Nothing has happened yet._");
  });
});
