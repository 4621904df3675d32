// A score history as a one-line chart of Unicode blocks: readable in a message, a notification and
// the text fallback alike. Days without a score are a thin dot; the scale is the data's own range
// (at least 10 points, so a flat line does not look like a cliff).
const BARS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
const GAP = "·";

export function sparkline(values: readonly (number | null)[]): string {
  const present = values.filter((v): v is number => v !== null);
  if (present.length === 0) return "";
  let low = Math.min(...present);
  let high = Math.max(...present);
  if (high - low < 10) {
    const mid = (high + low) / 2;
    low = Math.max(0, mid - 5);
    high = Math.min(100, low + 10);
    low = high - 10;
  }
  return values
    .map((v) => {
      if (v === null) return GAP;
      const i = Math.round(((v - low) / (high - low)) * (BARS.length - 1));
      return BARS[Math.min(BARS.length - 1, Math.max(0, i))];
    })
    .join("");
}
