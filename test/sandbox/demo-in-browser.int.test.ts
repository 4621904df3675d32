// `npm run demo` as a newcomer meets it, in a real browser: the demo (on the embedded database, as on
// a fresh clone) runs the bot in the sandbox, and Chromium, driven by playwright-core, uses the page
// the way a person would, by the accessible names the page promises (a "Message" textbox, buttons
// named by their Slack text, channels as "#name" links, a "Home" link). Each test saves a screenshot;
// with CSS_UPDATE_SCREENSHOTS=1 they go to docs/images/ (the README's pictures).
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../support/files.ts";
import { REPO, spawnCssBot, type CssBotProcess } from "../support/processes.ts";
import { openTestQueues, testRedisUrl, waitFor } from "../support/queues.ts";

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it), or CSS_CHROMIUM. */
const CHROMIUM = process.env.CSS_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS =
  process.env.CSS_UPDATE_SCREENSHOTS === "1" ? path.join(REPO, "docs/images") : tempDir("css-shots-");

describe("the demo in the sandbox, in a browser", () => {
  let bot: CssBotProcess;
  let browser: Browser;
  let page: Page;
  let url: string;
  let queues: ReturnType<typeof openTestQueues>;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (or set CSS_CHROMIUM)`);
    }
    mkdirSync(SHOTS, { recursive: true });
    queues = openTestQueues();
    bot = spawnCssBot(
      ["demo", "--serve", "--accounts", "80", "--recompute-days", "8", "--end", "2026-11-30"],
      {
        CSS_DATA_DIR: tempDir("css-demo-"),
        REDIS_URL: testRedisUrl,
        CSS_QUEUE_PREFIX: queues.prefix,
        PORT: "0",
        CSS_HEALTH_PORT: "0",
        CSS_SANDBOX_PORT: "0",
      },
    );
    url = await waitFor(
      () => Promise.resolve(/Sandbox: (http:\/\/127\.0\.0\.1:\d+)/.exec(bot.output())?.[1]),
      150_000,
      "the sandbox's line",
    );
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    // A locator that finds nothing fails within a test's time, naming itself.
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (error) => {
      throw error;
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await bot?.dispose();
    await queues?.dispose();
  });

  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  const as = async (userId: string, place: string) => {
    await page.goto(`${url}/?user=${userId}#${place}`);
    // The same address again but for its #fragment does not load the page again: this does.
    await page.reload();
    await expect.poll(() => page.getByRole("combobox", { name: "You are" }).inputValue()).toBe(userId);
  };

  it("opens on the demo's at-risk threads and its first digest, with the chart", async () => {
    await as("U0MAYA", "c/C0ALERTS");
    await page.getByRole("link", { name: "#cs-alerts" }).click();
    const alerts = page.getByRole("log", { name: "Messages in #cs-alerts" });
    await expect.poll(() => alerts.getByRole("article").count(), { timeout: 60_000 }).toBeGreaterThan(3);
    await expect.poll(() => alerts.textContent()).toContain("is at risk");
    await page.getByRole("link", { name: "#cs-digest" }).click();
    const digest = page.getByRole("log", { name: "Messages in #cs-digest" });
    await expect
      .poll(() => digest.getByRole("img", { name: /Band mix/ }).count(), { timeout: 60_000 })
      .toBe(1);
    await shot("digest");
  });

  it("answers /css <account> with the card, only to the person who asked", async () => {
    await as("U0MAYA", "c/C0ALERTS");
    const alert = page.getByRole("log", { name: "Messages in #cs-alerts" }).getByRole("article").first();
    const name = (await alert.locator("strong").first().textContent())!;
    await page.getByRole("link", { name: "#general" }).click();
    const box = page.getByRole("textbox", { name: /Message #general/ });
    await box.fill(`/css ${name}`);
    await box.press("Enter");
    const log = page.getByRole("log", { name: "Messages in #general" });
    await expect.poll(() => log.textContent(), { timeout: 30_000 }).toContain("Components");
    const text = (await log.textContent()) ?? "";
    expect(text).toContain(`${name} · `);
    expect(text).toMatch(/ · \d+ At risk/);
    expect(text).toContain("Only visible to you");
    await shot("css-card");
    // The card's link to the case's thread opens it, in the alerts channel.
    await log.getByRole("link", { name: "thread" }).click();
    const thread = page.getByRole("complementary", { name: "Thread" });
    await expect.poll(() => thread.textContent(), { timeout: 30_000 }).toContain(`${name} is at risk`);
    expect(await page.getByRole("link", { name: "#cs-alerts" }).getAttribute("aria-current")).toBe("page");
    // Someone else in the channel does not see it.
    await as("U0DANIEL", "c/C0GENERAL");
    await page.getByRole("link", { name: "#general" }).click();
    await expect
      .poll(() => page.getByRole("log", { name: "Messages in #general" }).textContent())
      .not.toContain("Components");
  });

  it("assigns an at-risk case from its thread: the message updates, a reply and a DM follow", async () => {
    await as("U0MAYA", "c/C0ALERTS");
    const alerts = page.getByRole("log", { name: "Messages in #cs-alerts" });
    const first = alerts.getByRole("article").filter({ hasText: "Nobody owns this yet" }).first();
    const name = (await first.locator("strong").first().textContent())!;
    await first.getByRole("combobox", { name: "Assign…" }).selectOption({ label: "Daniel Okafor" });
    const parent = alerts.getByRole("article").filter({ hasText: `${name} is at risk` });
    await expect
      .poll(() => parent.textContent(), { timeout: 30_000 })
      .toContain("Daniel Okafor owns the save");
    await expect.poll(() => parent.textContent()).toContain("(edited)");
    await parent.getByRole("button", { name: /repl/ }).click();
    const thread = page.getByRole("complementary", { name: "Thread" });
    await expect.poll(() => thread.textContent()).toContain("Assigned to @Daniel Okafor by @Maya Chen");
    await shot("assigned");
    await as("U0DANIEL", "c/D0DANIEL");
    await page.getByRole("link", { name: "css-bot" }).click();
    await expect
      .poll(() => page.getByRole("log", { name: "Messages in css-bot" }).textContent(), { timeout: 30_000 })
      .toContain(`asked you to own the save of ${name}`);
  });

  it("snoozes a case through its modal", async () => {
    await as("U0MAYA", "c/C0ALERTS");
    const alerts = page.getByRole("log", { name: "Messages in #cs-alerts" });
    const open = alerts.getByRole("article").filter({ hasText: "Nobody owns this yet" }).first();
    const name = (await open.locator("strong").first().textContent())!;
    await open.getByRole("button", { name: "Snooze…" }).click();
    const modal = page.getByRole("dialog", { name: "Snooze the case" });
    await expect.poll(() => modal.isVisible(), { timeout: 30_000 }).toBe(true);
    await modal.getByRole("textbox", { name: "Why" }).fill("Renewal call booked with their CFO");
    await shot("snooze-modal");
    await modal.getByRole("button", { name: "Snooze" }).click();
    await expect.poll(() => modal.isVisible(), { timeout: 30_000 }).toBe(false);
    const parent = alerts.getByRole("article").filter({ hasText: `${name} is at risk` });
    await expect.poll(() => parent.textContent(), { timeout: 30_000 }).toContain("Snoozed until");
  });

  it("shows my accounts on the App Home", async () => {
    // Someone who owns an account at risk: the owner named on an alert.
    await as("U0MAYA", "c/C0ALERTS");
    const alert = page.getByRole("log", { name: "Messages in #cs-alerts" }).getByRole("article").first();
    const owner = /Account owner: @(\w+) /.exec((await alert.textContent()) ?? "")?.[1];
    expect(owner).toBeDefined();
    await as(`U0${owner!.toUpperCase()}`, "home");
    await page.getByRole("link", { name: "Home" }).click();
    const home = page.getByRole("region", { name: "App Home" });
    await expect.poll(() => home.textContent(), { timeout: 30_000 }).toContain("Your accounts");
    await expect
      .poll(
        async () =>
          `${await home.getByRole("button", { name: "Details" }).count()} ${await home.textContent()}`,
      )
      .toMatch(/^[1-9]/);
    await shot("home");
  });

  it("moves to the next day: a new digest, dated that day", async () => {
    await as("U0MAYA", "c/C0DIGEST");
    await page.getByRole("link", { name: "#cs-digest" }).click();
    await expect.poll(() => page.getByText("Day: 2026-11-30").isVisible()).toBe(true);
    const digest = page.getByRole("log", { name: "Messages in #cs-digest" });
    const before = await digest.getByRole("img", { name: /Band mix/ }).count();
    await page.getByRole("button", { name: "Next day" }).click();
    await expect.poll(() => page.getByText("Day: 2026-12-01").isVisible(), { timeout: 60_000 }).toBe(true);
    await expect
      .poll(() => digest.getByRole("img", { name: /Band mix/ }).count(), { timeout: 60_000 })
      .toBe(before + 1);
    expect(await digest.textContent()).toContain("Customer Success digest · 2026-12-01");
  });
});
