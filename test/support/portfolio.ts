// A generated portfolio imported into a workspace through the ordinary import path.
import { join } from "node:path";
import { parseDay } from "../../src/domain/dates.ts";
import { generatePortfolio } from "../../src/demo/generate-portfolio.ts";
import { writePortfolio, type PortfolioFiles } from "../../src/demo/write-portfolio.ts";
import type { PrismaClient } from "../../src/generated/prisma/client.ts";
import { importFile } from "../../src/services/import-records.ts";
import { tempDir } from "./files.ts";

export const PORTFOLIO_END = parseDay("2026-06-30")!;

export async function importPortfolio(
  prisma: PrismaClient,
  workspaceId: number,
  options: { accounts: number; days?: number; seed?: number },
): Promise<PortfolioFiles> {
  const portfolio = generatePortfolio({
    seed: options.seed ?? 11,
    accounts: options.accounts,
    days: options.days ?? 45,
    endDay: PORTFOLIO_END,
  });
  const files = await writePortfolio(portfolio, join(tempDir(), "portfolio"));
  for (const kind of ["accounts", "metrics", "responses"] as const)
    await importFile(prisma, workspaceId, kind, files[kind]);
  return files;
}
