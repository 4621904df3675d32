// Notes and the timeline through the real Bolt app: signed `/css note` commands, a case's Log note
// button -> modal -> view_submission, and the card's latest entries with its Timeline button, on
// the fake Slack over loopback.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caseView } from "../../src/services/at-risk-cases.ts";
import { caseParentMessage } from "../../src/slack/blocks/at-risk-case.ts";
import { ACTIONS, encodeAccountValue, NOTE_BLOCKS, VIEWS } from "../../src/slack/ids.ts";
import { blockActions, viewSubmission, type ElementAction } from "../../src/sandbox/bot-requests.ts";
import { liveMarkup, visible } from "../support/mrkdwn.ts";
import { waitFor } from "../support/queues.ts";
import { BOT_TOKEN, startSlackHarness, TEAM, type SlackHarness } from "../support/slack-app.ts";
import { buttonActionBody, commandBody, postSigned } from "../support/slack-requests.ts";

const ALERTS = "C0ALERTS";
const HOSTILE = "<!channel> *bold*";
let h: SlackHarness;
let acme: number;
let caseId: bigint;
let parentTs: string;

interface Reply {
  response_type?: string;
  text?: string;
  blocks?: {
    type: string;
    text?: { text: string };
    elements?: { text?: string; action_id?: string; value?: string }[];
  }[];
}

async function css(text: string, user = "U0ALICE"): Promise<Reply> {
  const res = await postSigned(
    h.eventsUrl,
    commandBody({ text, user_id: user, response_url: h.fake.responseUrl() }),
  );
  expect(res.status).toBe(200);
  return res.json as Reply;
}

const until = (check: () => boolean, what: string) =>
  waitFor(() => Promise.resolve(check() || undefined), 10_000, what);

const notes = () =>
  h.db.prisma.accountNote.findMany({ where: { workspaceId: h.workspace.id }, orderBy: { id: "asc" } });

beforeAll(async () => {
  h = await startSlackHarness();
  h.fake.addChannel({ id: ALERTS, name: "cs-alerts" });
  for (const id of ["U0ALICE", "U0BOB"]) h.fake.addUser({ id, name: id.slice(2).toLowerCase() });
  await h.db.prisma.workspace.update({ where: { id: h.workspace.id }, data: { slackTeamId: TEAM } });
  const create = (externalId: string, name: string, domain: string | null = null) =>
    h.db.prisma.account.create({ data: { workspaceId: h.workspace.id, externalId, name, domain } });
  acme = (await create("acme-1", "Acme Corp", "acme.example")).id;
  await create("acme-2", "Acme Corporation");
  // The case's parent message, as the bot posts it, so its real buttons are clicked.
  const followUp = await h.db.prisma.followUp.create({
    data: { workspaceId: h.workspace.id, accountId: acme, lastScore: 41, channelId: ALERTS },
  });
  caseId = followUp.id;
  const res = await fetch(`${h.fake.apiUrl}chat.postMessage`, {
    method: "POST",
    headers: { authorization: `Bearer ${BOT_TOKEN}`, "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify({ channel: ALERTS, ...caseParentMessage(await caseView(h.db.prisma, followUp)) }),
  });
  parentTs = ((await res.json()) as { ts: string }).ts;
  await h.db.prisma.followUp.update({ where: { id: caseId }, data: { threadTs: parentTs } });
}, 60_000);

afterAll(async () => h?.close());

describe("/css note", () => {
  it("stores the note on the account named by id, domain or quoted name, and says so privately", async () => {
    const reply = await css("note acme-1 Called their CTO, renewal call on Friday");
    expect(reply.response_type).toBe("ephemeral");
    expect(reply.text).toBe("Noted on *Acme Corp*.");
    await css('note "acme corp" second', "U0BOB");
    await css("note acme.example third");
    expect((await notes()).map((n) => [n.accountId, n.author, n.text, n.caseId])).toEqual([
      [acme, "U0ALICE", "Called their CTO, renewal call on Friday", null],
      [acme, "U0BOB", "second", null],
      [acme, "U0ALICE", "third", null],
    ]);
    const audited = await h.db.prisma.auditLogEntry.findMany({
      where: { workspaceId: h.workspace.id, action: "account.note" },
    });
    expect(audited.map((a) => [a.actor, a.target])).toEqual([
      ["U0ALICE", `account:${acme}`],
      ["U0BOB", `account:${acme}`],
      ["U0ALICE", `account:${acme}`],
    ]);
  });

  it("stores nothing when the account is not named exactly, offering the choices", async () => {
    const before = (await notes()).length;
    const several = await css("note Acme hello");
    expect(several.text).toMatch(/^Nothing was noted: name one account exactly/);
    expect(JSON.stringify(several.blocks)).toContain("Acme Corporation");
    // One account that only looks like the query is a choice too, not a note.
    expect((await css("note Corporation hello")).text).toMatch(/^Nothing was noted/);
    expect((await css("note nosuch hello")).text).toMatch(/^No account matches/);
    expect((await css("note acme-1")).text).toMatch(/^Write `\/css note <account> <text>`/);
    expect((await css(`note acme-1 ${"x".repeat(2001)}`)).text).toBe(
      "Nothing was noted: the note is 2001 characters; at most 2000.",
    );
    expect(await notes()).toHaveLength(before);
  });
});

describe("Log note on a case", () => {
  const bob = { teamId: TEAM, userId: "U0BOB", userName: "bob", channelId: ALERTS, channelName: "cs-alerts" };

  async function clickLogNote() {
    const parent = h.fake.messages(ALERTS).find((m) => m.ts === parentTs)!;
    const actions = (parent.blocks as { type: string; block_id: string; elements: ElementAction[] }[]).find(
      (b) => b.type === "actions",
    )!;
    const button = actions.elements.find((e) => e.action_id === ACTIONS.logNote)!;
    const click = blockActions(
      bob,
      { ...button, block_id: actions.block_id },
      { responseUrl: h.fake.responseUrl(), message: { ts: parentTs, text: parent.text, ephemeral: false } },
    );
    expect((await postSigned(h.eventsUrl, click.body)).status).toBe(200);
  }

  const submit = (modal: Record<string, unknown>, text: string) =>
    postSigned(
      h.eventsUrl,
      viewSubmission(bob, modal, {
        [NOTE_BLOCKS.text]: { [NOTE_BLOCKS.text]: { type: "plain_text_input", value: text } },
      }).body,
    );

  it("opens a modal whose submission stores the note with the case and tells the thread, escaped", async () => {
    await clickLogNote();
    await until(() => h.fake.views.some((v) => v.method === "views.open"), "the note modal");
    const modal = h.fake.views.find((v) => v.method === "views.open")!.view as Record<string, unknown> & {
      callback_id: string;
      blocks: { type: string; element?: { multiline?: boolean } }[];
    };
    expect(modal.callback_id).toBe(VIEWS.logNote);
    expect(modal.blocks.find((b) => b.type === "input")!.element!.multiline).toBe(true);

    const empty = await submit(modal, "   ");
    expect(empty.json).toEqual({
      response_action: "errors",
      errors: { [NOTE_BLOCKS.text]: "the note is empty" },
    });

    expect((await submit(modal, `${HOSTILE}\nsecond line`)).status).toBe(200);
    await until(() => h.fake.replies(ALERTS, parentTs).length > 0, "the thread reply");
    const reply = h.fake.replies(ALERTS, parentTs)[0]!;
    expect(reply.text).toBe("<@U0BOB> noted: &lt;!channel&gt; \u2060*\u2060bold\u2060*\u2060\nsecond line");
    expect(liveMarkup(JSON.stringify(reply.blocks))).toEqual([]);
    expect(visible(JSON.stringify(reply.blocks))).toContain("&lt;!channel&gt; *bold*");
    const note = (await notes()).at(-1)!;
    expect([note.author, note.text, note.caseId, note.accountId]).toEqual([
      "U0BOB",
      `${HOSTILE}\nsecond line`,
      caseId,
      acme,
    ]);
  });
});

describe("the card's timeline", () => {
  it("shows the last three entries and a Timeline button that lists them all", async () => {
    const card = await css("acme-1");
    const latest = card.blocks!.at(-2)!;
    expect(latest.type).toBe("context");
    const lines = latest.elements![0]!.text!.split("\n");
    expect(lines[0]).toBe("*Latest* (newest first)");
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^\d{4}-\d{2}-\d{2} :memo: &lt;!channel&gt; .*second line · <@U0BOB>$/);
    expect(lines[2]).toMatch(/ :memo: third · <@U0ALICE>$/);
    expect(lines[3]).toMatch(/ :memo: second · <@U0BOB>$/);
    expect(liveMarkup(latest.elements![0]!.text!)).toEqual([]);
    const button = card.blocks!.at(-1)!.elements!.find((e) => e.action_id === ACTIONS.showTimeline)!;
    expect(button.value).toBe(encodeAccountValue(acme));

    const url = h.fake.responseUrl("timeline");
    const res = await postSigned(
      h.eventsUrl,
      buttonActionBody({ action_id: ACTIONS.showTimeline, value: button.value!, response_url: url }),
    );
    expect(res.status).toBe(200);
    await until(() => h.fake.responses.some((r) => r.id === "timeline"), "the timeline answer");
    const answer = h.fake.responses.find((r) => r.id === "timeline")!.body as Reply & {
      replace_original?: boolean;
    };
    expect(answer).toMatchObject({ response_type: "ephemeral", replace_original: false });
    const text = JSON.stringify(answer.blocks);
    expect(text).toContain("*Timeline of Acme Corp* (newest first)");
    // All four notes and the case's opening, newest first.
    for (const line of ["Called their CTO", "second", "third", "Case opened: at risk"])
      expect(text).toContain(line);
    expect(text.indexOf("third")).toBeLessThan(text.indexOf("Called their CTO"));
    expect(liveMarkup(text)).toEqual([]);
  });

  it("answers for an account of this workspace only", async () => {
    const url = h.fake.responseUrl("elsewhere");
    await postSigned(
      h.eventsUrl,
      buttonActionBody({
        action_id: ACTIONS.showTimeline,
        value: encodeAccountValue(acme + 1000),
        response_url: url,
      }),
    );
    await until(() => h.fake.responses.some((r) => r.id === "elsewhere"), "the answer");
    expect((h.fake.responses.find((r) => r.id === "elsewhere")!.body as Reply).text).toBe(
      "That account no longer exists.",
    );
  });
});

describe("/css note, its text as Slack sends it", () => {
  it("stores the note as typed: Slack's escaping of &, < and > in a command's text is undone", async () => {
    // Slack sends `/css note acme-1 Q&A <2 days> left` with those three characters as entities.
    const reply = await css("note acme-1 Q&amp;A &lt;2 days&gt; left, &amp;lt; stays");
    expect(reply.text).toBe("Noted on *Acme Corp*.");
    expect((await notes()).at(-1)!.text).toBe("Q&A <2 days> left, &lt; stays");
  });
});
