// A model as it applies to one segment: the segment's overrides merged over the base model.
import type { Band, Component, ComponentInput, ScoringModel } from "./schema.ts";

export interface EffectiveModel {
  segment: string | null;
  minCoverage: number;
  hysteresis: number;
  /** Ordered from the highest min down, as they are evaluated. */
  bands: Band[];
  components: Component[];
}

/** Resolves the model for `segment` (null or an unknown segment: the base model). */
export function resolveSegment(model: ScoringModel, segment: string | null): EffectiveModel {
  const override = segment === null ? undefined : model.segments?.[segment];
  const components = model.components.map((c) => {
    const change = override?.components?.[c.key];
    return change ? { ...c, ...change } : c;
  });
  for (const [key, change] of Object.entries(override?.components ?? {})) {
    // The schema guarantees a new component is given in full.
    if (!components.some((c) => c.key === key)) components.push({ key, ...change } as Component);
  }
  return {
    segment: override ? segment : null,
    minCoverage: override?.min_coverage ?? model.min_coverage,
    hysteresis: override?.hysteresis ?? model.hysteresis,
    bands: sortBands(override?.bands ?? model.bands),
    components,
  };
}

/** The bands of `segment`, highest first, when it overrides the model's; null when the model's apply. */
export function segmentBands(model: ScoringModel, segment: string | null): Band[] | null {
  const bands = segment === null ? undefined : model.segments?.[segment]?.bands;
  return bands ? sortBands(bands) : null;
}

export function sortBands(bands: readonly Band[]): Band[] {
  return [...bands].sort((a, b) => b.min - a.min);
}

/** Resolves every segment once; scoring thousands of accounts then costs a map lookup each. */
export class SegmentResolver {
  private readonly cache = new Map<string | null, EffectiveModel>();
  constructor(readonly model: ScoringModel) {}

  for(segment: string | null): EffectiveModel {
    const key = segment !== null && this.model.segments?.[segment] ? segment : null;
    let resolved = this.cache.get(key);
    if (!resolved) {
      resolved = resolveSegment(this.model, key);
      this.cache.set(key, resolved);
    }
    return resolved;
  }
}

/** The input of every component the model scores with, in any segment (repeats included). */
export function modelInputs(model: ScoringModel): ComponentInput[] {
  const segments = [null, ...Object.keys(model.segments ?? {})];
  return segments.flatMap((s) => resolveSegment(model, s).components.map((c) => c.input));
}
