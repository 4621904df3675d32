// `/css renewals [days]` through the real Bolt app: signed commands in, private replies out, on the
// real PostgreSQL with snapshots that carry churn probabilities (test/support/risk-portfolio.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureWorkspace } from "../../src/db/repositories/workspaces.ts";
import { parseDay } from "../../src/domain/dates.ts";
import { HOSTILE_NAME, liveMarkup } from "../support/mrkdwn.ts";
import { activateModelWithoutMap, writeRiskPortfolio } from "../support/risk-portfolio.ts";
import { startSlackHarness, type SlackHarness } from "../support/slack-app.ts";
import { commandBody, postSigned } from "../support/slack-requests.ts";

const TODAY = parseDay("2026-12-07")!;

let h: SlackHarness;

interface Reply {
  response_type?: string;
  text?: string;
  blocks?: { type: string; text?: { text: string }; elements?: { text?: string }[] }[];
}

async function css(text: string): Promise<Reply> {
  const res = await postSigned(
    h.eventsUrl,
    commandBody({ text, user_id: "U0ALICE", response_url: h.fake.responseUrl() }),
  );
  expect(res.status).toBe(200);
  return res.json as Reply;
}

/** The listed accounts' lines, in order. */
const lines = (reply: Reply) =>
  reply
    .blocks!.filter((b) => b.type === "section")
    .slice(1)
    .map((b) => b.text!.text);
const allText = (reply: Reply) => JSON.stringify(reply.blocks ?? []);

beforeAll(async () => {
  h = await startSlackHarness({ today: TODAY });
  await writeRiskPortfolio(h.db.prisma, h.workspace.id, TODAY);
  // Another workspace's renewal, far worse, must not show.
  const other = await ensureWorkspace(h.db.prisma, "other");
  await writeRiskPortfolio(h.db.prisma, other.id, TODAY, [
    { name: "Elsewhere", mrr: 1_000_000, renewsIn: 3, snapshot: [5, "at_risk", 0.99] },
  ]);
}, 120_000);

afterAll(async () => h?.close());

describe("/css renewals", () => {
  it("lists the window's renewals privately, worst expected loss first, with the sums", async () => {
    const reply = await css("renewals 60");
    expect(reply.response_type).toBe("ephemeral");
    const listed = lines(reply);
    expect(listed).toHaveLength(5);
    expect(listed[0]).toBe(
      ":red_circle: *Acme* · 35 At risk · 50% · 10,000/mo · expected loss *5,000/mo* · <@U0ANA> · renews 2026-12-27 (in 20 days)",
    );
    expect(listed[1]).toMatch(
      /^:large_green_circle: \*Gamma\* · 85 Healthy · 2% · 50,000\/mo · expected loss \*1,000\/mo\* · bo@example\.com/,
    );
    expect(listed[2]).toContain("· 60 Caution · 20% · 2,000/mo · expected loss *400/mo*");
    // With a probability but no MRR, then not scored: after the others, lowest score first.
    expect(listed[3]).toMatch(/^:red_circle: \*Echo\* · 40 At risk · 45% · MRR unknown · _no owner_/);
    expect(listed[4]).toMatch(/^:white_circle: \*Delta\* · not scored · no probability · 3,000\/mo/);
    const text = allText(reply);
    expect(text).toContain(
      "*Renewals in the next 60 days*: 5 accounts · expected MRR lost within 90 days *6,400/mo* of 62,000/mo (10.3%)",
    );
    expect(text).toContain("Not in the sum: 1 without a probability (not scored yet), 1 without MRR");
    // Outside the window, churned, or another workspace's: not listed.
    expect(text).not.toMatch(/Far|Gone|Elsewhere/);
    expect(liveMarkup(text.replace(HOSTILE_NAME, ""))).toEqual([]);
  });

  it("takes 90 days by default, and a wider window reaches further", async () => {
    expect(allText(await css("renewals"))).toContain("*Renewals in the next 90 days*: 5 accounts");
    const year = await css("renewals 365");
    expect(lines(year)[0]).toContain("*Far* · 30 At risk · 60% · 9,000/mo · expected loss *5,400/mo*");
  });

  it("refuses days outside 1..365 with the command's usage", async () => {
    const reply = await css("renewals 400");
    expect(reply.response_type).toBe("ephemeral");
    expect(reply.text).toBe(
      "Write `/css renewals [days]`: the days ahead are a whole number from 1 to 365 (default 90), e.g. `/css renewals 30`.",
    );
  });

  it("without a churn map shows no probability, says it needs outcomes, and lists lowest score first", async () => {
    await activateModelWithoutMap(h.db.prisma, h.workspace.id);
    const reply = await css("renewals 60");
    const text = allText(reply);
    expect(text).toContain("No churn probabilities yet: they need churn history");
    expect(text).toContain("`css-bot calibrate`");
    expect(text).not.toMatch(/expected|\d%/);
    expect(
      lines(reply).map((l) => / · (\d+|not) (?:At risk|Caution|Healthy|scored) · /.exec(l)?.[1]),
    ).toEqual(["35", "40", "60", "85", "not"]);
  });
});
