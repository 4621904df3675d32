import { describe, expect, it } from "vitest";
import { parseDay } from "../../domain/dates.ts";
import type { ListedPlay, PlaysView } from "../../services/plays/list-plays.ts";
import { playsMessage } from "./plays.ts";

const TODAY = parseDay("2026-11-25")!;
const HOSTILE = "<!channel> *x*";

function play(key: string, extra: Partial<ListedPlay> = {}): ListedPlay {
  return {
    key,
    label: key,
    when: "the account enters the lowest band",
    conditions: "always",
    actions: ["open a case in the alert channel"],
    guards: "no cooldown, no daily cap, held in quiet hours",
    fires: 0,
    accounts: 0,
    capped: 0,
    preview: null,
    ...extra,
  };
}

function view(plays: ListedPlay[], extra: Partial<PlaysView> = {}): PlaysView {
  return {
    playbook: { name: "team", version: 3, isDefault: false },
    from: TODAY - 6,
    today: TODAY,
    plays,
    previewRun: null,
    previewAsked: false,
    ...extra,
  };
}

const texts = (m: ReturnType<typeof playsMessage>) => JSON.stringify(m.blocks);

describe("playsMessage", () => {
  it("lists each play in words with its fires of the week, and no preview for members", () => {
    const m = playsMessage(
      view([
        play("at_risk_case", { label: "At-risk case", fires: 3, accounts: 2, capped: 1 }),
        play("quiet"),
      ]),
    );
    expect(m.text).toBe("Plays: 2 plays, 3 fires in the last 7 days");
    const sections = m.blocks
      .filter((b) => b.type === "section")
      .map((b) => (b as { text: { text: string } }).text.text);
    expect(sections[0]).toBe(
      [
        "*At-risk case* `at_risk_case`",
        "*When:* the account enters the lowest band",
        "*If:* always",
        "*Then:* open a case in the alert channel",
        "*Guards:* no cooldown, no daily cap, held in quiet hours",
        "*Last 7 days:* 3 fires on 2 accounts · 1 capped",
      ].join("\n"),
    );
    expect(sections[1]).toContain("*Last 7 days:* no fire");
    expect(texts(m)).toContain("playbook *team*, version 3 · fires from 2026-11-19 to 2026-11-25");
    expect(texts(m)).not.toContain("Next fires");
  });

  it("shows admins who each play would fire for, with the rest counted", () => {
    const m = playsMessage(
      view(
        [
          play("a", { preview: { accounts: 7, names: ["Delta", "Acme", "Gamma", "Beta", "Eps"] } }),
          play("b", { preview: { accounts: 0, names: [] } }),
          play("c"),
        ],
        { previewAsked: true, previewRun: { asOf: TODAY } },
      ),
    );
    const all = texts(m);
    expect(all).toContain("*Next fires:* 7 accounts: Delta, Acme, Gamma, Beta, Eps and 2 more");
    expect(all).toContain("*Next fires:* no account");
    expect(all).toContain("*Next fires:* on a connector's failed sync (no preview)");
    expect(all).toContain("after the run of 2026-11-25; cooldowns, daily caps and quiet hours still apply");
  });

  it("says when there is no run to preview", () => {
    const m = playsMessage(view([play("a")], { previewAsked: true }));
    expect(texts(m)).toContain("No recompute run has finished yet");
    expect(texts(m)).not.toContain("*Next fires:*");
  });

  it("escapes a hostile label, play text and account names", () => {
    const m = playsMessage(
      view(
        [
          play("a", {
            label: HOSTILE,
            conditions: `segment is ${HOSTILE}`,
            preview: { accounts: 1, names: [HOSTILE] },
          }),
        ],
        {
          playbook: { name: HOSTILE, version: 1, isDefault: false },
          previewAsked: true,
          previewRun: { asOf: TODAY },
        },
      ),
    );
    const all = [m.text, ...m.blocks.map((b) => JSON.stringify(b))].join("\n");
    expect(all).not.toContain("<!channel>");
    expect(all).not.toContain("*x*");
    const section = (m.blocks[3] as { text: { text: string } }).text.text;
    expect(section.replaceAll("\u2060", "")).toContain("*&lt;!channel&gt; *x**");
  });

  it("keeps to 50 blocks, ending with how many plays were left out", () => {
    const m = playsMessage(
      view(
        Array.from({ length: 60 }, (_, i) => play(`p${i}`)),
        {
          previewAsked: true,
          previewRun: { asOf: TODAY },
        },
      ),
    );
    expect(m.blocks).toHaveLength(50);
    // header, playbook line, preview note, 46 plays, then the rest.
    expect(m.blocks.filter((b) => b.type === "section")).toHaveLength(46);
    expect(JSON.stringify(m.blocks.at(-1))).toContain(
      "and 14 more plays: `css-bot plays show` lists them all.",
    );
    expect(playsMessage(view(Array.from({ length: 48 }, (_, i) => play(`p${i}`)))).blocks).toHaveLength(50);
  });

  it("keeps a play's section under Slack's 3,000 characters at every piece's longest", () => {
    const long = (HOSTILE + "_").repeat(400);
    const m = playsMessage(
      view(
        [
          {
            key: "k".repeat(200),
            label: long,
            when: long,
            conditions: long,
            actions: [long, long],
            guards: long,
            fires: 10_000,
            accounts: 10_000,
            capped: 10_000,
            preview: { accounts: 100_000, names: Array.from({ length: 5 }, () => long) },
          },
        ],
        { previewAsked: true, previewRun: { asOf: TODAY } },
      ),
    );
    for (const b of m.blocks) {
      if (b.type === "section")
        expect([...(b as { text: { text: string } }).text.text].length).toBeLessThan(3000);
    }
  });
});
