// Maps a component's raw value to a 0..100 sub-score.
import type { Scale } from "../model/schema.ts";

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * `{ min, max }`: linear, min -> 0 and max -> 100, clamped; min > max means lower is better.
 * `{ points }`: piecewise linear through the points (x increasing), clamped at both ends.
 */
export function applyScale(scale: Scale, raw: number): number {
  if ("points" in scale) {
    const points = scale.points;
    const first = points[0]!;
    const last = points[points.length - 1]!;
    if (raw <= first[0]) return first[1];
    if (raw >= last[0]) return last[1];
    for (let i = 1; i < points.length; i++) {
      const [x1, y1] = points[i]!;
      if (raw <= x1) {
        const [x0, y0] = points[i - 1]!;
        return y0 + ((raw - x0) / (x1 - x0)) * (y1 - y0);
      }
    }
    return last[1];
  }
  return clamp(((raw - scale.min) / (scale.max - scale.min)) * 100, 0, 100);
}

/** +1 when a higher raw value never lowers the sub-score, -1 when it never raises it, 0 otherwise. */
export function scaleDirection(scale: Scale): 1 | -1 | 0 {
  if ("points" in scale) {
    const ys = scale.points.map((p) => p[1]);
    const up = ys.every((y, i) => i === 0 || y >= ys[i - 1]!);
    const down = ys.every((y, i) => i === 0 || y <= ys[i - 1]!);
    return up ? 1 : down ? -1 : 0;
  }
  return scale.max > scale.min ? 1 : -1;
}
