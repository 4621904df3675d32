// `settings set --source-precedence ITEM` (repeatable): edits of a workspace's source precedence.
//   connector:sql,api,import,track     the workspace's order (first wins)
//   weekly_active_ratio=api,track      one metric's order
//   default                            the workspace's order back to the built-in one
//   weekly_active_ratio=default        the metric follows the workspace's order again
// A metric name may hold "=" (sources never do): the order is what follows the last one.
import { sourceOrderSchema } from "../config/workspace-settings.ts";
import {
  DEFAULT_SOURCE_PRECEDENCE,
  type ObservationSource,
  type SourcePrecedence,
} from "../domain/source-precedence.ts";
import { UsageError } from "./errors.ts";

const OPTION = "--source-precedence";
const MAX_METRIC_LENGTH = 100;

/** `current` with the items applied in order; a bad item fails naming it and what is wrong. */
export function editSourcePrecedence(
  current: SourcePrecedence,
  items: readonly string[],
): { default: ObservationSource[]; metrics: Record<string, ObservationSource[]> } {
  let order = [...current.default];
  const metrics = Object.fromEntries(
    Object.entries(current.metrics).map(([metric, sources]) => [metric, [...sources]]),
  );
  for (const item of items) {
    const cut = item.lastIndexOf("=");
    const metric = cut === -1 ? null : item.slice(0, cut).trim();
    const value = item.slice(cut + 1).trim();
    if (metric !== null && (metric === "" || metric.length > MAX_METRIC_LENGTH))
      throw new UsageError(
        `${OPTION} ${JSON.stringify(item)}: the metric name must be 1 to ${MAX_METRIC_LENGTH} characters`,
      );
    const sources = value.toLowerCase() === "default" ? null : parseOrder(item, value);
    if (metric === null) order = sources ?? [...DEFAULT_SOURCE_PRECEDENCE.default];
    else if (sources === null) delete metrics[metric];
    else metrics[metric] = sources;
  }
  return { default: order, metrics };
}

function parseOrder(item: string, value: string): ObservationSource[] {
  const parsed = sourceOrderSchema.safeParse(value === "" ? [] : value.split(",").map((s) => s.trim()));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => i.message).join("; ");
  throw new UsageError(`${OPTION} ${JSON.stringify(item)}: ${problems}`);
}

/** The precedence as `settings show` prints it: one line per order, first wins. */
export function describeSourcePrecedence(p: SourcePrecedence): string[] {
  return [
    `source_precedence ${p.default.join(" > ")}`,
    ...Object.entries(p.metrics)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([metric, order]) => `  ${metric}: ${order.join(" > ")}`),
  ];
}
