// Why a score is what it is, and why it moved: each component's points, and against a previous
// snapshot the components that moved the score, by how many points.
import type { ComponentResult } from "./score.ts";
import { scoreMoveText } from "./score-move.ts";

export type DriverChange = "moved" | "appeared" | "disappeared";

export interface Driver {
  key: string;
  /** Points contributed before and now (null: the component had no data then / now). */
  from: number | null;
  to: number | null;
  /** Points gained (+) or lost (-) by this component. */
  delta: number;
  change: DriverChange;
}

export interface ScoreLike {
  score: number | null;
  band: string;
  components: readonly Pick<ComponentResult, "key" | "points">[];
}

/**
 * The drivers from `previous` to `current`, biggest first. Points sum to the score, so when both are
 * scored the deltas sum to the change in score. A component that gained or lost data is marked, since
 * renormalising the weights then moves the other components' points too.
 */
export function driversBetween(previous: ScoreLike, current: ScoreLike): Driver[] {
  const before = new Map(previous.components.map((c) => [c.key, c.points]));
  const keys = new Set([...before.keys(), ...current.components.map((c) => c.key)]);
  const now = new Map(current.components.map((c) => [c.key, c.points]));
  const drivers: Driver[] = [];
  for (const key of keys) {
    const from = before.get(key) ?? null;
    const to = now.get(key) ?? null;
    if (from === null && to === null) continue;
    const change: DriverChange = from === null ? "appeared" : to === null ? "disappeared" : "moved";
    // Points are kept to 4 decimals (score.ts); so is their difference, without float residue.
    const delta = Math.round(((to ?? 0) - (from ?? 0)) * 1e4) / 1e4;
    if (change === "moved" && Math.abs(delta) < 1e-9) continue;
    drivers.push({ key, from, to, delta, change });
  }
  return drivers.sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || a.key.localeCompare(b.key));
}

/**
 * "78 -> 61: usage -12, tickets -5" (drivers in whole points, those under half a point left out; the
 * scores with a decimal when whole numbers would look alike: "81.6 -> 82.0").
 */
export function summariseChange(
  previous: ScoreLike,
  current: ScoreLike,
  drivers: readonly Driver[],
  limit = 3,
): string {
  const parts = drivers
    .filter((d) => Math.abs(d.delta) >= 0.5 || d.change !== "moved")
    .slice(0, limit)
    .map((d) => {
      const points = `${d.delta >= 0 ? "+" : "-"}${Math.abs(Math.round(d.delta))}`;
      const note =
        d.change === "appeared" ? " (new data)" : d.change === "disappeared" ? " (no data now)" : "";
      return `${d.key} ${points}${note}`;
    });
  const head = scoreMoveText(previous.score, current.score);
  return parts.length > 0 ? `${head}: ${parts.join(", ")}` : head;
}
