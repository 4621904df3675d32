// Writes the churn map into a model file's text as its `churn_probability` section: replaced where
// the file has one, appended where it has none, every other byte left as the author wrote it (as
// edit-model-source.ts does for weights). Block YAML gets a block section with one point a line;
// a file written as JSON (a flow mapping) gets JSON.
import { isMap, isScalar, parseDocument } from "yaml";
import type { ChurnCurve, ChurnMap } from "../model/schema.ts";

export const CHURN_MAP_KEY = "churn_probability";

export function writeChurnMap(source: string, map: ChurnMap): string {
  const doc = parseDocument(source);
  const root = doc.contents;
  if (!isMap(root) || !root.range) throw new Error("the model file is not a mapping");
  const pair = root.items.find((p) => isScalar(p.key) && p.key.value === CHURN_MAP_KEY);
  const keyRange = pair && isScalar(pair.key) ? pair.key.range : null;
  const valueRange = (pair?.value as { range?: [number, number, number] } | null)?.range ?? null;
  if (root.flow) {
    if (keyRange && valueRange) return splice(source, valueRange[0], valueRange[1], JSON.stringify(map));
    // Before the closing brace.
    const close = source.lastIndexOf("}", root.range[1]);
    return splice(source, close, close, `, ${JSON.stringify(CHURN_MAP_KEY)}: ${JSON.stringify(map)}`);
  }
  const block = churnMapYaml(map);
  // From the end of the key to the end of its value: the colon and the old value go.
  if (keyRange && valueRange)
    return splice(source, keyRange[1], valueRange[1], `:\n${block.slice(1).join("\n")}\n`);
  return `${source}${source.endsWith("\n") ? "" : "\n"}${block.join("\n")}\n`;
}

/** The section as block YAML: `churn_probability:`, then two spaces a level, one point a line. */
export function churnMapYaml(map: ChurnMap): string[] {
  const lines = [`${CHURN_MAP_KEY}:`, `  horizon_days: ${map.horizon_days}`, `  method: ${map.method}`];
  lines.push("  portfolio:", ...curveYaml(map.portfolio, "    "));
  const segments = Object.entries(map.segments ?? {});
  if (segments.length > 0) {
    lines.push("  segments:");
    for (const [name, curve] of segments) lines.push(`    ${yamlKey(name)}:`, ...curveYaml(curve, "      "));
  }
  return lines;
}

function curveYaml(curve: ChurnCurve, indent: string): string[] {
  return [
    ...(curve.accounts === undefined ? [] : [`${indent}accounts: ${curve.accounts}`]),
    ...(curve.churned === undefined ? [] : [`${indent}churned: ${curve.churned}`]),
    `${indent}points:`,
    ...curve.points.map(([score, p]) => `${indent}  - [${score}, ${p}]`),
  ];
}

/**
 * A segment name as a YAML key: plain when it is a simple word that no YAML reader takes for a boolean
 * or null, else double-quoted (JSON's quoting is valid YAML).
 */
const yamlKey = (name: string) =>
  /^[A-Za-z][A-Za-z0-9_-]*$/.test(name) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(name)
    ? name
    : JSON.stringify(name);

function splice(text: string, start: number, end: number, insert: string): string {
  return text.slice(0, start) + insert + text.slice(end);
}
