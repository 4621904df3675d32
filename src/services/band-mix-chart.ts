// The digest's chart: how many of the workspace's accounts were in each band on each of the last 30
// days (from the daily snapshots), drawn and rendered to PNG.
import { findActiveModel } from "../db/repositories/models.ts";
import { formatDay, parseDay, type Day } from "../domain/dates.ts";
import { DEFAULT_MODEL } from "../domain/model/default-model.ts";
import { INSUFFICIENT_DATA } from "../domain/model/schema.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { bandMixSummary, bandMixSvg, type BandMixInput } from "../slack/charts/band-mix.ts";
import { renderPng } from "../slack/charts/render-png.ts";
import { bandLabel, bandTone } from "./account-card.ts";

export const CHART_DAYS = 30;

export interface BandMixChart {
  input: BandMixInput;
  /** The chart in words: alt text, and the message for those who cannot see images. */
  summary: string;
  svg: string;
  png: Buffer;
}

export async function bandMixChart(
  prisma: PrismaClient,
  workspaceId: number,
  localDate: Day,
): Promise<BandMixChart> {
  const model = (await findActiveModel(prisma, workspaceId))?.model ?? DEFAULT_MODEL;
  const rows = await prisma.$queryRawUnsafe<{ day: string; band: string; accounts: number }[]>(
    `SELECT to_char(as_of, 'YYYY-MM-DD') AS day, band, count(*)::int AS accounts
     FROM score_snapshots WHERE workspace_id = $1 AND as_of BETWEEN $2::date AND $3::date
     GROUP BY as_of, band`,
    workspaceId,
    formatDay(localDate - (CHART_DAYS - 1)),
    formatDay(localDate),
  );
  const counts = new Map<Day, Map<string, number>>();
  const seen = new Set<string>();
  for (const r of rows) {
    const day = parseDay(r.day)!;
    let byBand = counts.get(day);
    if (!byBand) counts.set(day, (byBand = new Map<string, number>()));
    byBand.set(r.band, r.accounts);
    seen.add(r.band);
  }
  // The model's bands best first, then any band only a segment or an older model has, then "no data".
  const keys = [...model.bands].sort((a, b) => b.min - a.min).map((b) => b.key);
  for (const band of [...seen].sort())
    if (!keys.includes(band) && band !== INSUFFICIENT_DATA) keys.push(band);
  if (seen.has(INSUFFICIENT_DATA)) keys.push(INSUFFICIENT_DATA);
  const input: BandMixInput = {
    days: Array.from({ length: CHART_DAYS }, (_, i) => localDate - (CHART_DAYS - 1) + i),
    bands: keys.map((band) => ({
      band,
      label: bandLabel(model, null, band),
      tone: bandTone(model, null, band),
    })),
    counts,
  };
  const svg = bandMixSvg(input);
  return { input, summary: bandMixSummary(input), svg, png: renderPng(svg) };
}
