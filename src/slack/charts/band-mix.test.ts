import { describe, expect, it } from "vitest";
import { parseDay } from "../../domain/dates.ts";
import { bandMixSummary, bandMixSvg, TONE_COLOURS, type BandMixInput } from "./band-mix.ts";
import { renderPng } from "./render-png.ts";

const day0 = parseDay("2026-11-01")!;
const bands: BandMixInput["bands"] = [
  { band: "healthy", label: "Healthy", tone: "good" },
  { band: "caution", label: "Caution", tone: "warn" },
  { band: "at_risk", label: "At <risk> & co", tone: "bad" },
];

function input(): BandMixInput {
  const counts = new Map<number, Map<string, number>>([
    [
      day0,
      new Map([
        ["healthy", 6],
        ["caution", 2],
        ["at_risk", 2],
      ]),
    ],
    // day0 + 1 has no snapshots: a gap.
    [
      day0 + 2,
      new Map([
        ["healthy", 5],
        ["at_risk", 5],
      ]),
    ],
  ]);
  return { days: [day0, day0 + 1, day0 + 2], bands, counts };
}

/** The bars' rects, by colour: [x, y, width, height]. */
function bars(svg: string, colour: string): number[][] {
  return [
    ...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="(#\w+)"\/>/g),
  ]
    .filter((m) => m[5] === colour && Number(m[4]) > 10)
    .map((m) => m.slice(1, 5).map(Number));
}

describe("band-mix chart", () => {
  it("stacks each day's bands to 100%, the worst at the bottom, with a gap for a day without scores", () => {
    const svg = bandMixSvg(input());
    const red = bars(svg, TONE_COLOURS.bad);
    const green = bars(svg, TONE_COLOURS.good);
    const amber = bars(svg, TONE_COLOURS.warn);
    expect(red).toHaveLength(2);
    expect(green).toHaveLength(2);
    expect(amber).toHaveLength(1); // day 3 has no caution account
    // Plot height 290: 20% at risk is 58, 60% healthy 174; 50/50 on day 3.
    expect(red[0]![3]).toBeCloseTo(58, 0);
    expect(amber[0]![3]).toBeCloseTo(58, 0);
    expect(green[0]![3]).toBeCloseTo(174, 0);
    expect(red[1]![3]).toBeCloseTo(145, 0);
    // At risk sits on the baseline (y + height = 360), healthy on top of the rest.
    expect(red[0]![1]! + red[0]![3]!).toBeCloseTo(360, 0);
    expect(green[0]![1]).toBeCloseTo(70, 0);
    // Nothing is drawn in the middle day's slot.
    const slot = (800 - 52 - 20) / 3;
    const xs = [...red, ...green, ...amber].map((b) => b[0]!);
    expect(xs.some((x) => x > 52 + slot && x < 52 + 2 * slot)).toBe(false);
  });

  it("labels the legend with the last day's shares and escapes the model's labels", () => {
    const svg = bandMixSvg(input());
    expect(svg).toContain(">Healthy 50%<");
    expect(svg).toContain(">Caution 0%<");
    expect(svg).toContain(">At &lt;risk&gt; &amp; co 50%<");
    expect(svg).not.toContain("<risk>");
    expect(svg).toContain(">10 accounts on 2026-11-03<");
    expect(svg).toContain(">Nov 1<");
  });

  it("says in words what it shows", () => {
    expect(bandMixSummary(input())).toBe(
      "Band mix on 2026-11-01: Healthy 60%, Caution 20%, At <risk> & co 20%; on 2026-11-03: Healthy 50%, Caution 0%, At <risk> & co 50%.",
    );
    expect(bandMixSummary({ ...input(), counts: new Map() })).toBe("Band mix: no scores in the last 3 days.");
  });

  it("renders a PNG at twice the size", () => {
    const png = renderPng(bandMixSvg(input()));
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(1600); // IHDR width
    expect(png.readUInt32BE(20)).toBe(800);
  });
});
