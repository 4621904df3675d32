// The digest's chart: the portfolio's band mix over the last 30 days, as 100% stacked bars (one per
// day, the worst band at the bottom), drawn as SVG. Pure: the same input gives the same bytes, so it
// is tested as text; render-png.ts turns it into the image Slack shows.
import { formatDay, type Day } from "../../domain/dates.ts";
import type { BandTone } from "../../services/account-card.ts";

export interface BandMixInput {
  /** The days shown, oldest first (a day without snapshots is a gap). */
  days: Day[];
  /** The bands, best first (as the model lists them), with their tone and label. */
  bands: { band: string; label: string; tone: BandTone }[];
  /** Accounts per band per day. */
  counts: Map<Day, Map<string, number>>;
}

export const TONE_COLOURS: Record<BandTone, string> = {
  good: "#2EB67D",
  warn: "#ECB22E",
  bad: "#E01E5A",
  none: "#9AA0A6",
};

const WIDTH = 800;
const HEIGHT = 400;
const MARGIN = { left: 52, right: 20, top: 70, bottom: 40 };
const FONT = `font-family="DejaVu Sans, Arial, Helvetica, sans-serif"`;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function bandMixSvg(input: BandMixInput): string {
  const plot = {
    x: MARGIN.left,
    y: MARGIN.top,
    w: WIDTH - MARGIN.left - MARGIN.right,
    h: HEIGHT - MARGIN.top - MARGIN.bottom,
  };
  const slot = plot.w / Math.max(1, input.days.length);
  const gap = Math.min(2, slot * 0.2);
  const parts: string[] = [];
  parts.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#FFFFFF"/>`);
  const last = input.days.at(-1);
  const today = last === undefined ? undefined : input.counts.get(last);
  const total = today ? [...today.values()].reduce((a, b) => a + b, 0) : 0;
  parts.push(text(MARGIN.left, 28, `Band mix, last ${input.days.length} days`, 18, "start", "#1D1C1D", true));
  if (last !== undefined) {
    parts.push(
      text(
        MARGIN.left,
        50,
        `${total.toLocaleString("en-US")} accounts on ${formatDay(last)}`,
        12,
        "start",
        "#616061",
      ),
    );
  }

  // Grid: 0, 25, 50, 75, 100 %.
  for (const pct of [0, 25, 50, 75, 100]) {
    const y = plot.y + plot.h - (plot.h * pct) / 100;
    parts.push(`<line x1="${plot.x}" y1="${r(y)}" x2="${plot.x + plot.w}" y2="${r(y)}" stroke="#E8E8E8"/>`);
    parts.push(text(plot.x - 8, y + 4, `${pct}%`, 11, "end", "#616061"));
  }

  // Bars, the worst band at the bottom.
  const bottomUp = [...input.bands].reverse();
  input.days.forEach((day, i) => {
    const counts = input.counts.get(day);
    const sum = counts ? [...counts.values()].reduce((a, b) => a + b, 0) : 0;
    if (!counts || sum === 0) return;
    let y = plot.y + plot.h;
    for (const b of bottomUp) {
      const n = counts.get(b.band) ?? 0;
      if (n === 0) continue;
      const h = (plot.h * n) / sum;
      y -= h;
      parts.push(
        `<rect x="${r(plot.x + i * slot + gap / 2)}" y="${r(y)}" width="${r(slot - gap)}" height="${r(h)}" fill="${TONE_COLOURS[b.tone]}"/>`,
      );
    }
  });

  // Dates: the first, every 7th, and the last day.
  input.days.forEach((day, i) => {
    if (i % 7 !== 0 && i !== input.days.length - 1) return;
    const lastIndex = input.days.length - 1;
    if (i !== 0 && i !== lastIndex && lastIndex - i < 4) return; // too close to the last
    parts.push(
      text(plot.x + i * slot + slot / 2, plot.y + plot.h + 20, shortDate(day), 11, "middle", "#616061"),
    );
  });

  // Legend, top right: each band with its share on the last day.
  let x = WIDTH - MARGIN.right;
  for (const b of bottomUp) {
    const n = today?.get(b.band) ?? 0;
    const share = total > 0 ? ` ${Math.round((100 * n) / total)}%` : "";
    const label = `${b.label}${share}`;
    const w = 14 + label.length * 7;
    x -= w + 12;
    parts.push(`<rect x="${r(x)}" y="40" width="10" height="10" fill="${TONE_COLOURS[b.tone]}"/>`);
    parts.push(text(x + 14, 49.5, label, 12, "start", "#1D1C1D"));
  }

  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">` +
    parts.join("") +
    `</svg>`
  );
}

/** What the image shows, in words (the file's alt text and the message's fallback). */
export function bandMixSummary(input: BandMixInput): string {
  const first = input.days.find((d) => (input.counts.get(d)?.size ?? 0) > 0);
  const last = input.days.at(-1);
  const share = (day: Day | undefined) => {
    const counts = day === undefined ? undefined : input.counts.get(day);
    const sum = counts ? [...counts.values()].reduce((a, b) => a + b, 0) : 0;
    return input.bands
      .map((b) => `${b.label} ${sum > 0 ? Math.round((100 * (counts?.get(b.band) ?? 0)) / sum) : 0}%`)
      .join(", ");
  };
  if (first === undefined || last === undefined)
    return `Band mix: no scores in the last ${input.days.length} days.`;
  return `Band mix on ${formatDay(first)}: ${share(first)}; on ${formatDay(last)}: ${share(last)}.`;
}

function shortDate(day: Day): string {
  const [, month, date] = formatDay(day).split("-");
  return `${MONTHS[Number(month) - 1]} ${Number(date)}`;
}

function text(
  x: number,
  y: number,
  content: string,
  size: number,
  anchor: "start" | "middle" | "end",
  fill: string,
  bold = false,
): string {
  const weight = bold ? ` font-weight="bold"` : "";
  return `<text x="${r(x)}" y="${r(y)}" font-size="${size}" text-anchor="${anchor}" fill="${fill}"${weight} ${FONT}>${xml(content)}</text>`;
}

/** Labels come from the workspace's model: escaped as XML text. */
export function xml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

const r = (n: number) => Math.round(n * 10) / 10;
