import { describe, expect, it } from "vitest";
import { esc, escCode, escCut, link, mentionUser, slackDate, truncate, unescSlack } from "./text.ts";

const WJ = "\u2060";

describe("mrkdwn text", () => {
  it("reads text Slack sent as typed: its three entities undone, once", () => {
    expect(unescSlack("AT&amp;T &lt;b&gt; &amp;lt; &quot; &#39;")).toBe("AT&T <b> &lt; &quot; &#39;");
    for (const typed of ["AT&T", "<!channel>", "&lt;", "a && b > c"]) {
      const sent = typed.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
      expect(unescSlack(sent)).toBe(typed);
    }
  });

  it("escapes control characters so nobody is mentioned by an account name", () => {
    expect(esc("<!channel> & <@U123> <https://x|y>")).toBe(
      "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://x|y&gt;",
    );
  });

  it("keeps *, _, ~ and backticks from pairing: a word joiner on each side, the text reads the same", () => {
    expect(esc("*Acme*")).toBe(`${WJ}*${WJ}Acme${WJ}*${WJ}`);
    expect(esc("_it_ ~s~ `code`")).toBe(
      `${WJ}_${WJ}it${WJ}_${WJ} ${WJ}~${WJ}s${WJ}~${WJ} ${WJ}\`${WJ}code${WJ}\`${WJ}`,
    );
    expect(esc("Acme_Corp").replaceAll(WJ, "")).toBe("Acme_Corp");
    expect(esc("**x__")).toBe(`${WJ}*${WJ}*${WJ}x${WJ}_${WJ}_${WJ}`);
  });

  it("breaks emoji codes after their first colon, and leaves other colons alone", () => {
    expect(esc(":skull: :+1: :it's:")).toBe(`:${WJ}skull: :${WJ}+1: :${WJ}it's:`);
    expect(esc("timeout: see https://x.example/a")).toBe("timeout: see https://x.example/a");
  });

  it("keeps a > at the start of a line from opening a quote", () => {
    expect(esc("> quoted\nline\n>>> all")).toBe(`${WJ}&gt; quoted\nline\n${WJ}&gt;&gt;&gt; all`);
    expect(esc("a > b")).toBe("a &gt; b");
  });

  it("drops bidi and invisible controls, keeps tabs, newlines and emoji joiners", () => {
    expect(esc("\u202Egnp.exe")).toBe("gnp.exe");
    expect(esc("a\u202Ab\u202Bc\u202Cd\u202De\u2066f\u2067g\u2068h\u2069i\u200Ej\u200Fk\u061Cl")).toBe(
      "abcdefghijkl",
    );
    expect(esc("a\u200Bb\u2060c\uFEFFd\u0000e\u001Bf\u007Fg\u0085h")).toBe("abcdefgh");
    expect(esc("a\tb\r\nc\rd")).toBe("a\tb\ncd");
    expect(esc("👩\u200D💻 \u200Cx")).toBe("👩\u200D💻 \u200Cx");
  });

  it("neutralises a word joiner sent in the text too, so joiners of its own cannot undo the escape", () => {
    expect(esc(`${WJ}*${WJ}`)).toBe(`${WJ}*${WJ}`);
  });

  it("keeps an id inside the builder's backticks copyable: only mentions, controls and backticks escaped", () => {
    expect(escCode("acct_1 *x* :y: <!here>\u202E")).toBe("acct_1 *x* :y: &lt;!here&gt;");
    expect(escCode("a`b\nc")).toBe(`a${WJ}\`${WJ}b c`);
    expect(escCut("acct_1234567890", 8, escCode)).toBe("acct_12…");
  });

  it("cuts on code points and marks the cut", () => {
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
    expect(truncate("😀😀😀😀😀", 3)).toBe("😀😀…");
  });

  it("keeps an escaped text within its limit without splitting an escape", () => {
    const out = escCut("<".repeat(100), 20);
    expect([...out].length).toBeLessThanOrEqual(20);
    expect(out).toMatch(/^(&lt;)*…$/);
    const joined = escCut("_".repeat(100), 20);
    expect([...joined].length).toBeLessThanOrEqual(20);
    expect(joined).toMatch(/^(\u2060_)+\u2060…$/u);
  });

  it("mentions only real user ids and links only http(s) URLs", () => {
    expect(mentionUser("U0ABC123")).toBe("<@U0ABC123>");
    expect(mentionUser("ana@example.com")).toBe("ana@example.com");
    expect(mentionUser("<!here>")).toBe("&lt;!here&gt;");
    expect(mentionUser(null)).toBe("nobody");
    expect(link("https://ex.com/a", "a <b>|c")).toBe("<https://ex.com/a|a &lt;b&gt;¦c>");
    expect(link("javascript:alert(1)", "x")).toBe("x");
    expect(slackDate(1795161600, "2026-11-19T10:00", "{time}")).toBe(
      "<!date^1795161600^{time}|2026-11-19T10:00>",
    );
  });
});
