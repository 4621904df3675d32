// Where a metric observation came from, and whose value stands when several sources write the same
// account, metric and day. Pure: the writers turn a precedence into the guard of their upsert
// (db/repositories/observations.ts), and the workspace settings hold the per-workspace overrides.

/**
 * Every writer of metric observations, in the default precedence (first wins): the most specific
 * source of a value first. The customer's warehouse holds the figure their own team computed from
 * all their data; a vendor's connector reads the system of record of its own domain; the ingest API
 * and a file import carry values computed elsewhere (the API is the integration that keeps sending,
 * a file is a copy made once); the track webhook's counts are derived here from whatever events
 * Segment sent, so they rank last.
 */
export const OBSERVATION_SOURCES = [
  "connector:sql",
  "connector:stripe",
  "connector:hubspot",
  "connector:salesforce",
  "connector:zendesk",
  "api",
  "import",
  "track",
] as const;

export type ObservationSource = (typeof OBSERVATION_SOURCES)[number];

/**
 * The source of observations stored before sources were recorded. It is in no precedence list, so
 * it ranks below every source: the first write after the upgrade replaces it, as any write did.
 */
export const UNKNOWN_SOURCE = "unknown";

/** A precedence: the order of a workspace's sources, and the order of single metrics that differ. */
export interface SourcePrecedence {
  default: readonly ObservationSource[];
  metrics: Readonly<Record<string, readonly ObservationSource[]>>;
}

export const DEFAULT_SOURCE_PRECEDENCE: SourcePrecedence = { default: OBSERVATION_SOURCES, metrics: {} };

export function isObservationSource(value: string): value is ObservationSource {
  return (OBSERVATION_SOURCES as readonly string[]).includes(value);
}

/**
 * What a write from `source` must not overwrite: the sources ranked above it, for every metric
 * (`default`) and for the metrics with an order of their own. A source missing from an order ranks
 * below every listed one, and sources of the same rank replace each other (the newer write wins).
 */
export interface SourceGuard {
  source: ObservationSource;
  above: string[];
  aboveByMetric: Record<string, string[]>;
}

export function sourceGuard(precedence: SourcePrecedence, source: ObservationSource): SourceGuard {
  return {
    source,
    above: ranksAbove(precedence.default, source),
    aboveByMetric: Object.fromEntries(
      Object.entries(precedence.metrics).map(([metric, order]) => [metric, ranksAbove(order, source)]),
    ),
  };
}

function ranksAbove(order: readonly string[], source: string): string[] {
  const rank = order.indexOf(source);
  return rank === -1 ? [...order] : order.slice(0, rank);
}
