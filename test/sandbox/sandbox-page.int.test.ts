// The sandbox page itself, in a real browser, with a stand-in for the bot that only records what it
// is sent: Slack's refusals shown in red on the message, data text never run as HTML, the signed
// requests the page sends, and its JSON API refusing bad bodies by field.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slackSignature } from "../../src/sandbox/bot-requests.ts";
import { Sandbox } from "../../src/sandbox/sandbox.ts";
import { startSandboxServer, type SandboxServer } from "../../src/sandbox/server.ts";
import { SANDBOX_BOT_TOKEN, SANDBOX_TEAM } from "../../src/sandbox/team.ts";
import { silentLogger } from "../../src/log.ts";
import { startFakeSlack, type FakeSlack } from "../../src/sandbox/slack-api.ts";

const CHROMIUM = process.env.CSS_CHROMIUM ?? "/usr/bin/chromium";
const SECRET = "sandbox-page-test-secret";

describe("the sandbox page", () => {
  let fake: FakeSlack;
  let app: Server;
  let received: { body: string; headers: Record<string, unknown> }[];
  let server: SandboxServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    fake = await startFakeSlack({
      tokens: [SANDBOX_BOT_TOKEN],
      teams: { [SANDBOX_BOT_TOKEN]: { teamId: SANDBOX_TEAM.id, botUserId: "U0CSSBOT" } },
    });
    received = [];
    // The bot's stand-in: it records each request and answers a slash command with a message.
    app = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        received.push({ body, headers: req.headers });
        const text = new URLSearchParams(body).get("text");
        res.writeHead(200, { "content-type": "application/json" });
        res.end(text === null ? "" : JSON.stringify({ response_type: "ephemeral", text: `echo: ${text}` }));
      });
    });
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    const sandbox = new Sandbox({
      fake,
      appUrl: `http://127.0.0.1:${(app.address() as AddressInfo).port}/slack/events`,
      signingSecret: SECRET,
    });
    server = await startSandboxServer({ sandbox, port: 0, log: silentLogger });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage();
    page.on("dialog", (d) => {
      throw new Error(`a dialog opened: ${d.message()}`);
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((resolve) => app?.close(resolve));
    await fake?.close();
  });

  const post = (method: string, args: Record<string, unknown>) =>
    fetch(`${fake.apiUrl}${method}`, {
      method: "POST",
      headers: { authorization: `Bearer ${SANDBOX_BOT_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(args),
    }).then((r) => r.json() as Promise<Record<string, unknown>>);

  const open = async (place: string) => {
    await page.goto(`${server.url}/?user=U0MAYA#${place}`);
    await page.reload();
  };

  it("shows a message Slack would refuse, in red, with Slack's reasons", async () => {
    const answer = await post("chat.postMessage", {
      channel: "C0GENERAL",
      text: "too long",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "x".repeat(3001) } }],
    });
    expect(answer.ok).toBe(false);
    await open("c/C0GENERAL");
    const alert = page.getByRole("log", { name: "Messages in #general" }).getByRole("alert");
    await expect.poll(() => alert.textContent()).toContain("A real Slack would have refused this message");
    expect(await alert.textContent()).toContain("chat.postMessage: invalid_blocks");
    expect(await alert.textContent()).toMatch(/3000|3001/);
  });

  it("shows data text literally: no HTML, no script, no javascript: link", async () => {
    await post("chat.postMessage", {
      channel: "C0ALERTS",
      text: "hostile",
      blocks: [
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: "*Acme &lt;img src=x onerror=alert(1)&gt;* <javascript:alert(2)|click me> &lt;script&gt;alert(3)&lt;/script&gt;",
          },
        },
      ],
    });
    await open("c/C0ALERTS");
    const log = page.getByRole("log", { name: "Messages in #cs-alerts" });
    await expect.poll(() => log.textContent()).toContain("Acme <img src=x onerror=alert(1)>");
    expect(await log.textContent()).toContain("<script>alert(3)</script>");
    expect(await log.locator("img[src=x], script").count()).toBe(0);
    const link = log.getByText("click me");
    expect(await link.getAttribute("href")).toBeNull();
  });

  it("sends a typed command to the bot signed, and shows its answer only to the sender", async () => {
    await open("c/C0GENERAL");
    const box = page.getByRole("textbox", { name: "Message #general" });
    await box.fill("/css Acme & Co");
    await box.press("Enter");
    const log = page.getByRole("log", { name: "Messages in #general" });
    await expect.poll(() => log.textContent()).toContain("echo: Acme & Co");
    const request = received.at(-1)!;
    const form = new URLSearchParams(request.body);
    expect(form.get("command")).toBe("/css");
    expect(form.get("user_id")).toBe("U0MAYA");
    expect(form.get("channel_id")).toBe("C0GENERAL");
    expect(form.get("team_id")).toBe(SANDBOX_TEAM.id);
    const timestamp = Number(request.headers["x-slack-request-timestamp"]);
    expect(request.headers["x-slack-signature"]).toBe(slackSignature(SECRET, timestamp, request.body));
    await page.goto(`${server.url}/?user=U0DANIEL#c/C0GENERAL`);
    await page.reload();
    await expect.poll(() => page.getByRole("log", { name: "Messages in #general" }).isVisible()).toBe(true);
    expect(await page.getByRole("log", { name: "Messages in #general" }).textContent()).not.toContain(
      "echo:",
    );
  });

  it("refuses a bad body naming the field, and a stranger", async () => {
    const bad = await fetch(`${server.url}/sandbox/command`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user: "U0NOBODY", channel: "C0GENERAL", text: "/css x" }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "user: not a member of the sandbox" });
    const empty = await fetch(`${server.url}/sandbox/command`, { method: "POST", body: "{" });
    expect(await empty.json()).toEqual({ error: "body: Invalid input: expected object, received undefined" });
  });
});
