import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseDay } from "../domain/dates.ts";
import { generatePortfolio } from "./generate-portfolio.ts";
import { writePortfolio } from "./write-portfolio.ts";

const END = parseDay("2026-03-31")!;

describe("writePortfolio", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "css-demo-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes the three files with their headers and one row per record", async () => {
    const portfolio = generatePortfolio({ seed: 3, accounts: 30, days: 14, endDay: END });
    const files = await writePortfolio(portfolio, join(dir, "nested"));

    const accounts = await readFile(files.accounts, "utf8");
    expect(accounts.split("\n")[0]).toBe(
      "account_id,name,segment,owner,mrr,seats,renewal_date,created_at,status,churned_at,domain",
    );
    const metrics = await readFile(files.metrics, "utf8");
    expect(metrics.split("\n")[0]).toBe("account_id,metric,value,observed_at");
    const responses = await readFile(files.responses, "utf8");
    expect(responses.split("\n")[0]).toBe("account_id,survey,score,responded_at");

    const read = (text: string) => parse<Record<string, string>>(text, { columns: true });
    expect(read(accounts)).toHaveLength(30);
    expect(read(metrics)).toHaveLength(portfolio.metrics.length);
    expect(read(responses)).toHaveLength(portfolio.responses.length);

    const first = portfolio.metrics[0]!;
    expect(read(metrics)[0]).toEqual({
      account_id: first.accountId,
      metric: first.metric,
      value: String(first.value),
      observed_at: "2026-03-18",
    });
  });

  it("quotes what needs quoting and writes missing values as empty cells", async () => {
    const files = await writePortfolio(
      {
        accounts: [
          {
            accountId: "ACC-00001",
            name: 'Northwind "North", Analytics',
            domain: "northwind-analytics.com",
            segment: "smb",
            owner: null,
            mrr: 120,
            seats: 4,
            renewalDate: parseDay("2026-06-01"),
            createdAt: parseDay("2023-06-01"),
            status: "churned",
            churnedAt: parseDay("2026-02-14"),
          },
        ],
        metrics: [],
        responses: [],
      },
      dir,
    );
    const text = await readFile(files.accounts, "utf8");
    expect(text.split("\n")[1]).toBe(
      'ACC-00001,"Northwind ""North"", Analytics",smb,,120,4,2026-06-01,2023-06-01,churned,2026-02-14,northwind-analytics.com',
    );
    expect(await readFile(files.metrics, "utf8")).toBe("account_id,metric,value,observed_at\n");
  });
});
