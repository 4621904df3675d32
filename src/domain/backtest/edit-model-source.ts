// Writes a calibrated model as an edit of the input file's text: only the numbers that changed are
// replaced (located through the YAML document's node ranges), and the evidence is prepended as a
// comment, so every other byte (comments, order, quoting, flow style) stays as the author wrote it.
import { isScalar, parseDocument } from "yaml";
import type { Scale } from "../model/schema.ts";

export interface ModelEdits {
  /** New weight of `components[i]`, by index in the file. */
  weights?: readonly { index: number; weight: number }[];
  /** New scale of `components[i]`, by index in the file (written in flow style, on one line). */
  scales?: readonly { index: number; scale: Scale }[];
  /** New mins of `bands[index]`. */
  bandMins?: readonly { index: number; min: number }[];
}

export function editModelSource(source: string, edits: ModelEdits, comment: readonly string[]): string {
  const doc = parseDocument(source);
  const replacements: { start: number; end: number; text: string }[] = [];
  const replace = (path: (string | number)[], value: number) => {
    const node = doc.getIn(path, true);
    if (!isScalar(node) || !node.range) throw new Error(`the model file has no ${path.join(".")} to edit`);
    if (node.value === value) return;
    replacements.push({ start: node.range[0], end: node.range[1], text: String(value) });
  };
  for (const w of edits.weights ?? []) replace(["components", w.index, "weight"], w.weight);
  for (const s of edits.scales ?? []) {
    const path = ["components", s.index, "scale"];
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    if (!node?.range) throw new Error(`the model file has no ${path.join(".")} to edit`);
    const text = scaleText(s.scale);
    // A block mapping's range runs on to the next line's indentation: that stays where it is.
    let end = node.range[1];
    while (end > node.range[0] && /\s/.test(source[end - 1]!)) end--;
    if (source.slice(node.range[0], end) !== text) replacements.push({ start: node.range[0], end, text });
  }
  for (const b of edits.bandMins ?? []) replace(["bands", b.index, "min"], b.min);
  let text = source;
  for (const r of replacements.sort((a, b) => b.start - a.start))
    text = text.slice(0, r.start) + r.text + text.slice(r.end);
  const header = comment.map((line) => (line === "" ? "#" : `# ${line}`)).join("\n");
  return `${header}\n${text}`;
}

/** A scale as one line of YAML flow style, as the example models write them. */
export function scaleText(scale: Scale): string {
  if ("points" in scale) return `{ points: [${scale.points.map(([x, y]) => `[${x}, ${y}]`).join(", ")}] }`;
  return `{ min: ${scale.min}, max: ${scale.max} }`;
}
