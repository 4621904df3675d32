// Which of a playbook's component plays' bounds a snapshot's components were in, stored with the
// snapshot (score_snapshots.play_bounds) by a run whose playbook has component plays. The next run
// under the same playbook version then tells "not in the bound at the snapshot before" (triggers.ts
// componentCrossing) from these marks instead of parsing that snapshot's components, so the shards'
// work follows what changed, not the size of the portfolio (run-candidates.ts; BENCHMARKS.md, Plays).
//
// The form is text, "<playbook id>:<bits>", e.g. "17:0101": one character per component play of
// version 17, in the playbook's order, 1 when the component was in the play's bound. A version's
// plays never change, so its id says which play each bit is; text reaches the shard as a string, with
// nothing for the driver to convert.
import type { ComponentState } from "./facts.ts";
import type { Play } from "./schema.ts";
import { componentCrossing } from "./triggers.ts";

/** A play with a component trigger. */
export type ComponentPlay = Play & { trigger: Extract<Play["trigger"], { component: unknown }> };

/** The plays the marks have a bit for, in order: the component plays of `plays`. */
export const markedPlays = (plays: readonly Play[]): ComponentPlay[] =>
  plays.filter((p): p is ComponentPlay => "component" in p.trigger);

/** Whether the component of `play` is in its bound in `components` (no data: not in it). */
export const inPlayBound = (play: ComponentPlay, components: readonly ComponentState[]): boolean =>
  componentCrossing(play.trigger.component, components, null) !== null;

/** One character per play of `plays` (markedPlays): 1 when `components` are in its bound, else 0. */
export function boundBits(plays: readonly ComponentPlay[], components: readonly ComponentState[]): string {
  let bits = "";
  for (const play of plays) bits += inPlayBound(play, components) ? "1" : "0";
  return bits;
}

/**
 * The marks of `components` for playbook version `playbookId`, whose component plays are `plays`
 * (markedPlays): `bits` (boundBits, which the shard's runCandidates reads too, rather than test the
 * bounds again) and the text stored, null when it has none (nothing to mark: the column stays null).
 */
export function boundMarks(
  playbookId: number,
  plays: readonly ComponentPlay[],
  components: readonly ComponentState[],
): { bits: string; stored: string | null } {
  if (plays.length === 0) return { bits: "", stored: null };
  const bits = boundBits(plays, components);
  return { bits, stored: `${playbookId}:${bits}` };
}

/**
 * Reads stored marks for playbook version `playbookId` with `count` component plays: their bits, or
 * null when there are none or they are of another version (the components must then be read).
 */
export function marksReader(playbookId: number, count: number): (stored: string | null) => string | null {
  const prefix = `${playbookId}:`;
  return (stored) =>
    stored !== null && stored.length === prefix.length + count && stored.startsWith(prefix)
      ? stored.slice(prefix.length)
      : null;
}

/**
 * Whether the `index`th component play crossed into its bound, given whether its component is in it
 * now and the bits of the snapshot before: in it now and not then. The same answer as
 * componentCrossing(play, now, before) !== null when `bits` are the marks of `before`.
 */
export const crossedFromMarks = (inBoundNow: boolean, bits: string, index: number): boolean =>
  inBoundNow && bits[index] !== "1";
