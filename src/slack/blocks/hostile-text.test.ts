// Every builder that puts data into mrkdwn, given a hostile name: the name shows literally, once
// escaped (never twice), in the blocks and in the text fallback used by notifications.
import { describe, expect, it } from "vitest";
import { HOSTILE_NAME, liveMarkup, visible } from "../../../test/support/mrkdwn.ts";
import type { ListedAccount } from "../../db/repositories/account-lists.ts";
import { parseDay } from "../../domain/dates.ts";
import type { AccountCard } from "../../services/account-card.ts";
import { accountCardMessage } from "./account-card.ts";
import { accountListMessage, moversMessage } from "./account-list.ts";
import { caseParentMessage, movedReply, type CaseView } from "./at-risk-case.ts";
import { authFailureText, writeBackRefusedText } from "../../connectors/failure-alert.ts";
import { connectorNotes } from "./connector-notes.ts";
import { homeView } from "./home.ts";
import { playsMessage } from "./plays.ts";
import { choicesMessage, noMatchMessage } from "./replies.ts";
import { deliveryFailureNote } from "./settings-modal.ts";
import { snoozeModal } from "./snooze-modal.ts";

const day = parseDay("2026-11-25")!;
const EVIL_EMAIL = "*ana*_x_@example.com";
/** What a person reads: the name without its bidi override, mention characters escaped once. */
const SHOWN = "*bold* _it_ ~s~ `code` :skull: &lt;!channel&gt; gnp.exe";

/** Every string of a message or view as Slack would get it, fallback included. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

function expectNeutral(message: unknown, shown = SHOWN) {
  const texts = strings(message);
  const joined = texts.join("\n");
  expect(liveMarkup(joined)).toEqual([]);
  expect(visible(joined)).toContain(shown);
  expect(joined).not.toMatch(/&amp;(amp|lt|gt);/);
}

const caseView: CaseView = {
  caseId: 7n,
  version: 1,
  status: "open",
  account: {
    name: HOSTILE_NAME,
    externalId: "A1",
    ownerSlackUserId: null,
    owner: EVIL_EMAIL,
    mrr: null,
    renewalDate: null,
  },
  score: 41,
  fromScore: 74,
  drivers: [{ key: "_usage_", from: 30, to: 18, delta: -12, change: "moved" }],
  caseOwner: null,
  dueDate: null,
  snoozedUntil: null,
  recovered: false,
  resolvedBy: null,
  tasks: [],
  opener: null,
};

const listed = (id: number): ListedAccount => ({
  id,
  externalId: `acct_${id}`,
  name: HOSTILE_NAME,
  segment: "~ent~",
  score: 40,
  band: "at_risk",
  ownerSlackUserId: null,
  owner: EVIL_EMAIL,
  mrr: 100,
  renewalDate: day + 10,
  followUpOwner: null,
  weekAgoScore: 60,
});

describe("a hostile account name", () => {
  it("shows literally in the at-risk case's parent message, its fallback and its replies", () => {
    const parent = caseParentMessage(caseView);
    expectNeutral(parent);
    expect(visible(parent.text)).toBe(`${SHOWN} is at risk: 41`);
    const headline = JSON.stringify(parent.blocks[0]);
    // The builder's own bold around the name still pairs: its asterisks touch no joiner outside.
    expect(headline).toMatch(/ \*\u2060\*\u2060bold.*gnp\.exe\* is at risk/u);
    expect(JSON.stringify(parent.blocks)).not.toContain("_usage_");
    expect(visible(JSON.stringify(parent.blocks))).toContain("_usage_");
    expect(visible(JSON.stringify(parent.blocks))).toContain(EVIL_EMAIL);
    expectNeutral(movedReply("recovered", { ...caseView, recovered: true }, "healthy"), "_usage_");
    expectNeutral(caseParentMessage({ ...caseView, recovered: true }));
  });

  it("shows literally on the account card, with every data-derived field", () => {
    const card: AccountCard = {
      account: {
        id: 1,
        externalId: "acct_1`x",
        name: HOSTILE_NAME,
        domain: "*x*.example",
        segment: "_ent_",
        owner: EVIL_EMAIL,
        ownerSlackUserId: null,
        mrr: null,
        renewalDate: null,
        status: "active",
      },
      current: {
        asOf: day,
        score: 40,
        band: "at_risk",
        bandLabel: "~At risk~",
        tone: "bad",
        coverage: 0.5,
        components: [
          { key: "usage", label: ":skull: usage", raw: null, points: null, score: null, weight: 0 },
        ],
        segmentBands: { segment: "_ent_", bands: [{ key: "at_risk", min: 0, label: "*Bad*" }] },
        churn: null,
      },
      trend: [],
      sinceLastWeek: { asOf: day - 7, score: 50, band: "caution", drivers: [], summary: "`dropped`" },
      followUp: null,
      timeline: [
        { at: "2026-11-24T00:00:00.000Z", kind: "note", text: HOSTILE_NAME, actor: EVIL_EMAIL, details: {} },
      ],
    };
    const message = accountCardMessage(card, { revenue: true, today: day });
    expectNeutral(message);
    const text = JSON.stringify(message.blocks);
    for (const raw of ["*x*", "_ent_", "~At risk~", ":skull:", "*Bad*", "`dropped`"]) {
      expect(text).not.toContain(raw);
      expect(visible(text)).toContain(raw);
    }
    // The id stays copyable inside its code span; only its backtick is kept from closing it.
    expect(text).toContain("`acct_1\u2060`\u2060x`");
    expect(visible(message.text)).toBe(`${SHOWN}: 40 (~At risk~)`);
  });

  it("shows literally in lists, movers, the App Home, search replies, the snooze modal and connector notes", () => {
    expectNeutral(
      accountListMessage(`At risk in ${HOSTILE_NAME}`, { accounts: [listed(1)], total: 1 }, day, "-"),
    );
    expect(
      visible(accountListMessage(`In ${HOSTILE_NAME}`, { accounts: [listed(1)], total: 1 }, day, "-").text),
    ).toBe(`In ${SHOWN}: 1`);
    expectNeutral(moversMessage({ down: [listed(1)], up: [] }, day));
    expectNeutral(
      homeView(
        {
          accounts: { list: [listed(1)], total: 1 },
          trends: new Map(),
          cases: [
            {
              caseId: 1n,
              version: 1,
              status: "open",
              accountName: HOSTILE_NAME,
              score: 40,
              dueDate: null,
              snoozedUntil: null,
              channelId: null,
              threadTs: null,
            },
          ],
        },
        day,
      ),
    );
    const match = { id: 1, externalId: "acct_1", name: HOSTILE_NAME, segment: null, domain: null };
    const choices = choicesMessage(HOSTILE_NAME, [{ ...match, match: "similar", similarity: 0.5 }], {
      total: 1,
      atLeast: false,
    });
    expectNeutral(choices);
    expect(JSON.stringify(choices.blocks)).toContain("`acct_1`");
    expectNeutral(noMatchMessage(HOSTILE_NAME));
    expectNeutral(snoozeModal(HOSTILE_NAME, "1:1"));
  });

  it("shows a connector's name and its vendor's error literally, the command to fix it copyable", () => {
    const notes = connectorNotes([
      {
        id: 1,
        workspaceId: 1,
        name: "my_crm",
        kind: "hubspot",
        settings: {},
        status: "auth_failed",
        lastError: `401 from vendor: ${HOSTILE_NAME}\n> quoted`,
        lastSyncAt: null,
        createdAt: new Date(0),
        writeBack: false,
        writeBackError: null,
        lastRun: null,
      },
    ]);
    expectNeutral(notes);
    const text = notes.join("\n");
    expect(text).toContain("`css-bot connectors add my_crm`");
    expect(text).toContain("*my\u2060_\u2060crm*");
    expect(text).toContain("\n\u2060&gt; quoted");
  });

  it("shows a vendor's error literally in the alerts that a connector stopped syncing or writing back", () => {
    const connector = { name: "my_crm", kind: "hubspot" };
    const error = `401 from vendor: ${HOSTILE_NAME}`;
    for (const text of [
      authFailureText(connector, "HubSpot", error),
      writeBackRefusedText(connector, "HubSpot", error),
    ]) {
      expectNeutral(text);
    }
  });

  it("shows a refused delivery's method, error and channel from the audit log as text", () => {
    const note = deliveryFailureNote(new Date("2026-11-25T10:00:00Z"), {
      method: "chat.postMessage",
      error: `*${HOSTILE_NAME}*`,
      channel: "<!channel>",
    });
    expect(liveMarkup(note)).toEqual([]);
    expect(note).not.toContain("<#");
    expect(deliveryFailureNote(new Date(0), { error: "channel_not_found", channel: "C0ALERTS" })).toContain(
      "(channel\u2060_\u2060not\u2060_\u2060found in <#C0ALERTS>)",
    );
  });

  it("shows a play's label, its words and the accounts it would fire for literally", () => {
    const message = playsMessage({
      playbook: { name: HOSTILE_NAME, version: 2, isDefault: false },
      from: day - 6,
      today: day,
      plays: [
        {
          key: "risk",
          label: HOSTILE_NAME,
          when: `the account enters ${HOSTILE_NAME}`,
          conditions: `segment is ${HOSTILE_NAME}`,
          actions: [`post to ${HOSTILE_NAME}`],
          guards: "no cooldown",
          fires: 1,
          accounts: 1,
          capped: 0,
          preview: { accounts: 1, names: [HOSTILE_NAME] },
        },
      ],
      previewRun: { asOf: day },
      previewAsked: true,
    });
    expectNeutral(message);
  });
});
