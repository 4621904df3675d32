import { describe, expect, it } from "vitest";
import { esc, escCut, link, mentionUser, truncate } from "./text.ts";

describe("mrkdwn text", () => {
  it("escapes control characters so nobody is mentioned by an account name", () => {
    expect(esc("<!channel> & <@U123> <https://x|y>")).toBe(
      "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://x|y&gt;",
    );
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
  });

  it("mentions only real user ids and links only http(s) URLs", () => {
    expect(mentionUser("U0ABC123")).toBe("<@U0ABC123>");
    expect(mentionUser("ana@example.com")).toBe("ana@example.com");
    expect(mentionUser("<!here>")).toBe("&lt;!here&gt;");
    expect(mentionUser(null)).toBe("nobody");
    expect(link("https://ex.com/a", "a <b>|c")).toBe("<https://ex.com/a|a &lt;b&gt;¦c>");
    expect(link("javascript:alert(1)", "x")).toBe("x");
  });
});
