// `/css <account>` through the real Bolt app over HTTP: signed requests in, replies out (in the ack,
// or to a response URL on the fake Slack).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isValidSlackRequest } from "@slack/bolt";
import { formatDay } from "../../src/domain/dates.ts";
import { recomputeWorkspace } from "../../src/services/recompute.ts";
import { ACTIONS, encodeAccountValue } from "../../src/slack/ids.ts";
import { importPortfolio, PORTFOLIO_END } from "../support/portfolio.ts";
import { HOSTILE_NAME, liveMarkup, visible } from "../support/mrkdwn.ts";
import { startSlackHarness, type SlackHarness } from "../support/slack-app.ts";
import { buttonActionBody, commandBody, postSigned, slackSignature } from "../support/slack-requests.ts";

let h: SlackHarness;
let acme: { id: number; externalId: string };

interface Reply {
  response_type?: string;
  text?: string;
  blocks?: {
    type: string;
    text?: { text: string };
    fields?: { text: string }[];
    elements?: { text?: string; action_id?: string; value?: string }[];
  }[];
}

const allText = (reply: Reply) => JSON.stringify(reply.blocks ?? []) + (reply.text ?? "");

async function css(text: string, user = "U0ALICE"): Promise<Reply> {
  const res = await postSigned(
    h.eventsUrl,
    commandBody({ text, user_id: user, response_url: h.fake.responseUrl() }),
  );
  expect(res.status).toBe(200);
  return res.json as Reply;
}

beforeAll(async () => {
  h = await startSlackHarness();
  await importPortfolio(h.db.prisma, h.workspace.id, { accounts: 30, days: 45 });
  for (const day of [PORTFOLIO_END - 9, PORTFOLIO_END - 8, PORTFOLIO_END - 3, PORTFOLIO_END]) {
    await recomputeWorkspace(h.db, h.workspace.id, day);
  }
  const first = await h.db.prisma.account.findFirstOrThrow({
    where: { workspaceId: h.workspace.id },
    orderBy: { id: "asc" },
  });
  await h.db.prisma.account.update({
    where: { id: first.id },
    data: {
      name: "Acme Rocket Works",
      domain: "acme-rockets.example",
      mrr: 12345,
      ownerSlackUserId: "U0ALICE",
    },
  });
  acme = { id: first.id, externalId: first.externalId };
}, 120_000);

afterAll(async () => h?.close());

describe("/css <account>", () => {
  it("answers privately with the card: score, band, trend, components, drivers, owner, MRR", async () => {
    const reply = await css("Acme Rocket Works");
    expect(reply.response_type).toBe("ephemeral");
    const text = allText(reply);
    expect(text).toContain("Acme Rocket Works");
    expect(text).toMatch(/30 days\* `[▁▂▃▄▅▆▇█·]{30}`/);
    expect(text).toContain(`Since ${formatDay(PORTFOLIO_END - 8)}`);
    expect(text).toContain("*Components* (points add up to the score)");
    expect(text).toContain("<@U0ALICE>");
    expect(text).toContain("12,345/mo");
    expect(reply.blocks!.at(-1)!.elements![0]!.action_id).toBe(ACTIONS.shareCard);
  });

  it("shows the renewal date and the open follow-up, its owner and a link to its thread", async () => {
    expect(allText(await css("Acme Rocket Works"))).toContain("*Follow-up*\\n_none open_");
    await h.db.prisma.account.update({
      where: { id: acme.id },
      data: { renewalDate: new Date("2027-01-15") },
    });
    const followUp = await h.db.prisma.followUp.create({
      data: {
        workspaceId: h.workspace.id,
        accountId: acme.id,
        status: "snoozed",
        ownerSlackUserId: "U0BOB",
        snoozedUntil: new Date("2026-12-01"),
        channelId: "C0ALERTS",
        threadTs: "1700000000.123456",
      },
    });
    try {
      const text = allText(await css("Acme Rocket Works"));
      expect(text).toContain("2027-01-15");
      expect(text).toContain("snoozed to 2026-12-01, <@U0BOB>");
      expect(text).toContain("https://slack.com/archives/C0ALERTS/p1700000000123456");
    } finally {
      await h.db.prisma.followUp.delete({ where: { id: followUp.id } });
      await h.db.prisma.account.update({ where: { id: acme.id }, data: { renewalDate: null } });
    }
  });

  it("finds the account by id, domain, part of the name, any case, and with a typo", async () => {
    for (const query of [
      acme.externalId,
      acme.externalId.toLowerCase(), // a part of an id, any case: the last rule
      "acme-rockets.example",
      "rockets.exam", // a part of the domain
      "rocket",
      "ACME ROCKET",
      "Acme Rockte Works",
    ]) {
      const reply = await css(query);
      expect(allText(reply), query).toContain("Acme Rocket Works");
      expect(allText(reply), query).toContain("12,345/mo");
    }
  });

  it("shows the account whose whole name the query is, in any case, not the names containing it", async () => {
    const other = await h.db.prisma.account.findFirstOrThrow({
      where: { workspaceId: h.workspace.id, id: { not: acme.id } },
      orderBy: { id: "desc" },
    });
    await h.db.prisma.account.update({ where: { id: other.id }, data: { name: "Acme Rocket Works Intl" } });
    try {
      const exact = await css("ACME rocket WORKS");
      expect(allText(exact)).toContain("12,345/mo");
      expect(allText(exact)).not.toContain("Acme Rocket Works Intl");
      expect((await css("acme rocket wor")).text).toMatch(/^2 accounts match/);
    } finally {
      await h.db.prisma.account.update({ where: { id: other.id }, data: { name: other.name } });
    }
  });

  it("lists the accounts that share a whole name or domain, and shows the one whose id the query is", async () => {
    const twin = await h.db.prisma.account.findFirstOrThrow({
      where: { workspaceId: h.workspace.id, id: { not: acme.id } },
      orderBy: { id: "desc" },
    });
    await h.db.prisma.account.update({
      where: { id: twin.id },
      data: { name: "ACME Rocket Works", domain: "acme-rockets.example" },
    });
    try {
      for (const query of ["acme rocket works", "acme-rockets.example"]) {
        expect((await css(query)).text, query).toMatch(/^2 accounts match/);
      }
      // Another account named as this one's id: the id names one account, and wins.
      await h.db.prisma.account.update({ where: { id: twin.id }, data: { name: acme.externalId } });
      const byId = await css(acme.externalId);
      expect(allText(byId)).toContain("Acme Rocket Works");
      expect(allText(byId)).toContain("12,345/mo");
    } finally {
      await h.db.prisma.account.update({
        where: { id: twin.id },
        data: { name: twin.name, domain: twin.domain },
      });
    }
  });

  it("offers a short list when several accounts match, and shows the one picked", async () => {
    const second = await h.db.prisma.account.findFirstOrThrow({
      where: { workspaceId: h.workspace.id, id: { not: acme.id } },
    });
    await h.db.prisma.account.update({ where: { id: second.id }, data: { name: "Acme Rocket Parts" } });
    const reply = await css("acme rocket");
    expect(reply.text).toMatch(/^2 accounts match/);
    const buttons = reply.blocks!.flatMap((b) =>
      (b as { accessory?: { value: string } }).accessory ? [b] : [],
    );
    expect(buttons).toHaveLength(2);

    const url = h.fake.responseUrl("pick");
    const res = await postSigned(
      h.eventsUrl,
      buttonActionBody({
        action_id: `${ACTIONS.showAccount}_${second.id}`,
        value: encodeAccountValue(second.id),
        response_url: url,
      }),
    );
    expect(res.status).toBe(200);
    await waitForResponse("pick");
    const shown = h.fake.responses.filter((r) => r.id === "pick").at(-1)!.body as Reply & {
      replace_original?: boolean;
    };
    expect(shown.replace_original).toBe(true);
    expect(allText(shown)).toContain("Acme Rocket Parts");
  });

  it("counts every account that matches, not only the ten it offers", async () => {
    const twelve = await h.db.prisma.account.findMany({
      where: { workspaceId: h.workspace.id, id: { not: acme.id } },
      orderBy: { id: "asc" },
      take: 12,
    });
    for (const [i, a] of twelve.entries()) {
      await h.db.prisma.account.update({ where: { id: a.id }, data: { name: `Zyxquill ${i + 1} Ltd` } });
    }
    try {
      const reply = await css("zyxquill");
      expect(reply.text).toBe('12 accounts match "zyxquill"');
      expect(allText(reply)).toContain(
        "12 accounts match *zyxquill*. Which one? The first 10; type more of the name to narrow it down.",
      );
      expect(reply.blocks!.filter((b) => (b as { accessory?: unknown }).accessory)).toHaveLength(10);
    } finally {
      for (const a of twelve) {
        await h.db.prisma.account.update({ where: { id: a.id }, data: { name: a.name } });
      }
    }
  });

  it("shows a segment's own bands on the card, and no bands where the model's apply", async () => {
    const segmentOf = async (segment: string) =>
      h.db.prisma.account.findFirstOrThrow({
        where: { workspaceId: h.workspace.id, segment, currentBand: { not: null } },
      });
    // The default model's enterprise segment has bands of its own.
    const enterprise = await segmentOf("enterprise");
    expect(allText(await css(enterprise.externalId))).toContain(
      "enterprise bands: Healthy 85+ · Caution 72+ · At risk below 72",
    );
    const smb = await segmentOf("smb");
    expect(allText(await css(smb.externalId))).not.toContain("bands:");
  });

  it("shares a version without revenue figures in the channel", async () => {
    const url = h.fake.responseUrl("share");
    await postSigned(
      h.eventsUrl,
      buttonActionBody({
        action_id: ACTIONS.shareCard,
        value: encodeAccountValue(acme.id),
        response_url: url,
        user_id: "U0BOB",
      }),
    );
    await waitForResponse("share");
    const shared = h.fake.responses.find((r) => r.id === "share")!.body as Reply;
    expect(shared.response_type).toBe("in_channel");
    const text = allText(shared);
    expect(text).toContain("Acme Rocket Works");
    expect(text).not.toContain("12,345");
    expect(text).not.toContain("MRR");
    expect(text).toContain("Shared by <@U0BOB>");
  });

  it("escapes account names, so an account called <!channel> mentions nobody", async () => {
    await h.db.prisma.account.update({ where: { id: acme.id }, data: { name: "<!channel> & <@U0BOSS>" } });
    try {
      const reply = await css(acme.externalId);
      const text = allText(reply);
      expect(text).toContain("&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;");
      expect(text).not.toContain("<!channel>");
      expect(text).not.toContain("<@U0BOSS>");
    } finally {
      await h.db.prisma.account.update({ where: { id: acme.id }, data: { name: "Acme Rocket Works" } });
    }
  });

  it("shows a hostile account name literally: no formatting pair, emoji, mention or bidi control", async () => {
    const before = await h.db.prisma.account.findUniqueOrThrow({ where: { id: acme.id } });
    await h.db.prisma.account.update({
      where: { id: acme.id },
      data: { name: HOSTILE_NAME, segment: "_ent_ :skull:", domain: "*x*.example" },
    });
    try {
      const reply = await css(acme.externalId);
      const text = allText(reply);
      expect(liveMarkup(text)).toEqual([]);
      for (const raw of ["_ent_", "*x*"]) {
        expect(text).not.toContain(raw);
        expect(visible(text)).toContain(raw);
      }
      expect(visible(reply.text!)).toMatch(/^\*bold\* _it_ ~s~ `code` :skull: &lt;!channel&gt; gnp\.exe: /);
      // The builder's own bold still wraps the name.
      expect(text).toMatch(/ \*\u2060\*\u2060bold[^"]*gnp\.exe\* · \*\d+\*/u);
      // The replies of watch and unwatch, built in the listener, name it literally too.
      for (const command of ["watch", "unwatch"]) {
        const watched = allText(await css(`${command} ${acme.externalId}`));
        expect(watched).toContain("gnp.exe");
        expect(liveMarkup(watched)).toEqual([]);
      }
    } finally {
      await h.db.prisma.account.update({
        where: { id: acme.id },
        data: { name: before.name, segment: before.segment, domain: before.domain },
      });
    }
  });

  it("escapes a segment typed after at-risk, in the reply and its text", async () => {
    const reply = await css("at-risk *nowhere* <!here> \u202E");
    const text = allText(reply);
    expect(text).toContain("No account is at risk in");
    expect(liveMarkup(text)).toEqual([]);
    expect(text).not.toContain("*nowhere*");
    expect(text).not.toContain("<!here>");
  });

  it("says clearly what went wrong with unknown accounts, empty and over-long queries, stale buttons", async () => {
    expect(allText(await css("zzqx nothing like it"))).toContain("No account matches *zzqx nothing like it*");
    expect(allText(await css(""))).toContain("/css at-risk");
    expect(allText(await css("x".repeat(300)))).toContain("at most 200");
    const url = h.fake.responseUrl("stale");
    await postSigned(
      h.eventsUrl,
      buttonActionBody({
        action_id: ACTIONS.shareCard,
        value: encodeAccountValue(999_999),
        response_url: url,
      }),
    );
    await waitForResponse("stale");
    const body = h.fake.responses.find((r) => r.id === "stale")!.body as Reply;
    expect(body.response_type).toBe("ephemeral");
    expect(allText(body)).toContain("no longer exists");
  });

  it("answers text with NUL or another control character with a clear private message", async () => {
    for (const [text, code] of [
      ["acme\u0000", "U+0000 at character 5"],
      ["watch ac\u001bme", "U+001B at character 9"],
    ] as const) {
      const reply = await css(text);
      expect(reply.response_type).toBe("ephemeral");
      expect(allText(reply)).toContain(
        `That text contains a control character (${code}), which no account name holds: type it again without it.`,
      );
    }
  });

  it("never shows another workspace's accounts", async () => {
    const other = await h.db.prisma.workspace.create({
      data: { slug: "other", name: "Other", slackTeamId: "T0OTHER" },
    });
    await h.db.prisma.account.create({
      data: { workspaceId: other.id, externalId: "secret-1", name: "Zebra Secret Corp" },
    });
    expect(allText(await css("Zebra Secret Corp"))).toContain("No account matches");
    // A request signed by the app but from the other team sees only that team's workspace.
    const res = await postSigned(
      h.eventsUrl,
      commandBody({ text: "Acme Rocket Works", team_id: "T0OTHER", response_url: h.fake.responseUrl() }),
    );
    expect(JSON.stringify(res.json)).toContain("No account matches");
    // A button naming the first workspace's account, pressed from the other team, finds nothing.
    const url = h.fake.responseUrl("cross");
    await postSigned(
      h.eventsUrl,
      buttonActionBody({
        action_id: ACTIONS.shareCard,
        value: encodeAccountValue(acme.id),
        response_url: url,
        team_id: "T0OTHER",
      }),
    );
    await waitForResponse("cross");
    expect(JSON.stringify(h.fake.responses.find((r) => r.id === "cross")!.body)).toContain(
      "no longer exists",
    );
  });
});

describe("/css when the database is slow", () => {
  // Holds a lock that makes every read of `table` wait, for `ms`, on a connection of its own.
  async function holdLock(table: string, ms: number): Promise<() => Promise<void>> {
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const held = h.db.prisma.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
        locked();
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
      { timeout: ms + 5_000 },
    );
    await isLocked;
    return () => held;
  }

  it("acks in time and sends the card to the response URL when the search is slow", async () => {
    const released = await holdLock("accounts", 2_600);
    const url = h.fake.responseUrl("slow-search");
    const started = Date.now();
    const res = await postSigned(h.eventsUrl, commandBody({ text: "Acme Rocket Works", response_url: url }));
    expect(Date.now() - started).toBeLessThan(2_900);
    expect(res.status).toBe(200);
    expect(allText(res.json as Reply)).toContain("Looking it up");
    await released();
    await waitForResponse("slow-search");
    const body = h.fake.responses.find((r) => r.id === "slow-search")!.body as Reply;
    expect(allText(body)).toContain("Acme Rocket Works");
    expect(allText(body)).toContain("Share in channel");
  });

  it("still answers through the response URL when the request waited past Slack's 3 s before the listener", async () => {
    // A team seen for the first time: its workspace lookup waits on the lock, Bolt gives Slack up
    // after 3 s, and the reply ("not connected") must not be lost with the ack.
    const released = await holdLock("workspaces", 3_600);
    const url = h.fake.responseUrl("late-ack");
    const res = await postSigned(
      h.eventsUrl,
      commandBody({ text: "Acme Rocket Works", team_id: "T0LATE", response_url: url }),
    );
    expect(res.status).not.toBe(200);
    await released();
    await waitForResponse("late-ack");
    const body = h.fake.responses.find((r) => r.id === "late-ack")!.body as Reply;
    expect(body.response_type).toBe("ephemeral");
    expect(allText(body)).toContain("not connected to css-bot");
  });
});

describe("/css at-risk, mine, movers", () => {
  it("lists the accounts at risk, lowest first, by segment too", async () => {
    // The lowest score of the portfolio, made certain, so the list has a known first line.
    const lowest = await h.db.prisma.account.findFirstOrThrow({
      where: { workspaceId: h.workspace.id, id: { not: acme.id }, segment: { not: null } },
      orderBy: { id: "desc" },
    });
    await h.db.prisma.account.update({
      where: { id: lowest.id },
      data: { currentBand: "at_risk", currentScore: 1, name: "Lowest Lumber Ltd" },
    });
    const atRisk = await h.db.prisma.account.count({
      where: { workspaceId: h.workspace.id, currentBand: "at_risk" },
    });
    const reply = await css("at-risk");
    expect(reply.text).toBe(`At risk: ${atRisk}`);
    expect(reply.blocks![1]!.text!.text).toContain("*Lowest Lumber Ltd* 1");
    const bySegment = await css(`at-risk ${lowest.segment!.toUpperCase()}`);
    expect(allText(bySegment)).toContain(`At risk in ${lowest.segment!.toUpperCase()}`);
    expect(allText(bySegment)).toContain("Lowest Lumber Ltd");
    expect(allText(await css("at-risk no-such-segment"))).toContain(
      "No account is at risk in no-such-segment",
    );
  });

  it("lists the accounts I own", async () => {
    const mine = await css("mine", "U0ALICE");
    expect(allText(mine)).toContain("Acme Rocket Works");
    expect(allText(await css("mine", "U0NOBODY"))).toContain("You own no account yet");
  });

  it("lists the week's biggest falls and rises against the snapshot of a week before", async () => {
    const reply = await css("movers");
    const text = allText(reply);
    expect(text).toMatch(/Biggest (falls|rises) this week/);
    expect(text).toMatch(/from \d+\)/);
  });
});

describe("/css watch", () => {
  it("watches and unwatches one account, and asks for an id when the name is ambiguous", async () => {
    expect(allText(await css(`watch ${acme.externalId}`, "U0WATCH"))).toContain(
      "Watching *Acme Rocket Works*",
    );
    expect(allText(await css(`watch ${acme.externalId}`, "U0WATCH"))).toContain("You already watch");
    expect(await h.db.prisma.accountWatch.count({ where: { slackUserId: "U0WATCH" } })).toBe(1);
    expect(allText(await css("watch acme rocket", "U0WATCH"))).toContain("matches several accounts");
    expect(allText(await css("watch zzqx none", "U0WATCH"))).toContain("No account matches");
    expect(allText(await css(`unwatch ${acme.externalId}`, "U0WATCH"))).toContain("Stopped watching");
    expect(await h.db.prisma.accountWatch.count({ where: { slackUserId: "U0WATCH" } })).toBe(0);
  });

  it("ends two watch requests at once in one watch, and neither fails", async () => {
    const replies = await Promise.all([
      css(`watch ${acme.externalId}`, "U0TWICE"),
      css(`watch ${acme.externalId}`, "U0TWICE"),
    ]);
    const texts = replies.map(allText);
    expect(texts.filter((t) => t.includes("Watching *Acme Rocket Works*"))).toHaveLength(1);
    expect(texts.filter((t) => t.includes("You already watch"))).toHaveLength(1);
    expect(await h.db.prisma.accountWatch.count({ where: { slackUserId: "U0TWICE" } })).toBe(1);
  });
});

describe("request signatures", () => {
  it("rejects forged and stale requests with 401 and runs nothing", async () => {
    const before = h.fake.calls.length + h.fake.responses.length;
    const body = commandBody({ text: "Acme Rocket Works", response_url: h.fake.responseUrl() });
    const forged = await postSigned(h.eventsUrl, body, { signature: "v0=" + "0".repeat(64) });
    expect(forged.status).toBe(401);
    const wrongSecret = await postSigned(h.eventsUrl, body, { secret: "another-secret-entirely" });
    expect(wrongSecret.status).toBe(401);
    const stale = await postSigned(h.eventsUrl, body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(401);
    expect(forged.text + wrongSecret.text + stale.text).not.toContain("Acme");
    await new Promise((r) => setTimeout(r, 100));
    expect(h.fake.calls.length + h.fake.responses.length).toBe(before);
  });

  it("rejects validly signed requests dated more than 5 minutes ahead, and runs nothing", async () => {
    const now = Math.floor(Date.now() / 1000);
    const before = h.fake.calls.length + h.fake.responses.length;
    const body = commandBody({ text: "Acme Rocket Works", response_url: h.fake.responseUrl() });
    for (const ahead of [60 * 60, 24 * 60 * 60, 365 * 24 * 60 * 60]) {
      const future = await postSigned(h.eventsUrl, body, { timestamp: now + ahead });
      expect(future.status, `+${ahead} s`).toBe(401);
      expect(future.text).toBe("");
    }
    const stale = await postSigned(h.eventsUrl, body, { timestamp: now - 10 * 60 });
    expect(stale.status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.fake.calls.length + h.fake.responses.length).toBe(before);
    // A sender's clock a little ahead is within Slack's window, as a little behind is.
    const early = await postSigned(h.eventsUrl, body, { timestamp: now + 4 * 60 });
    expect(early.status).toBe(200);
    expect(allText(early.json as Reply)).toContain("Acme Rocket Works");
  });

  it("agrees with Slack's published example", () => {
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const secret = "8f742231b10e8888abcd99yyyzzz85a5";
    const signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    expect(slackSignature(secret, 1531420618, body)).toBe(signature);
    const headers = { "x-slack-signature": signature, "x-slack-request-timestamp": 1531420618 };
    // The verification Bolt runs on every request, at the example's time and five minutes later.
    expect(
      isValidSlackRequest({ signingSecret: secret, body, headers, nowMilliseconds: 1531420618_000 }),
    ).toBe(true);
    expect(
      isValidSlackRequest({
        signingSecret: secret,
        body,
        headers,
        nowMilliseconds: 1531420618_000 + 301_000,
      }),
    ).toBe(false);
    expect(
      isValidSlackRequest({
        signingSecret: secret,
        body: body + "x",
        headers,
        nowMilliseconds: 1531420618_000,
      }),
    ).toBe(false);
  });
});

async function waitForResponse(id: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!h.fake.responses.some((r) => r.id === id)) {
    if (Date.now() > deadline) throw new Error(`nothing was posted to response URL ${id}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
