// Writes a calibrated model as an edit of the input file's text: only the numbers that changed are
// replaced (located through the YAML document's node ranges), and the evidence is prepended as a
// comment, so every other byte (comments, order, quoting, flow style) stays as the author wrote it.
import { isScalar, parseDocument } from "yaml";

export interface ModelEdits {
  /** New weight of `components[i]`, by index in the file. */
  weights?: readonly { index: number; weight: number }[];
  /** New min of `bands[index]`. */
  bandMin?: { index: number; min: number } | null;
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
  if (edits.bandMin) replace(["bands", edits.bandMin.index, "min"], edits.bandMin.min);
  let text = source;
  for (const r of replacements.sort((a, b) => b.start - a.start))
    text = text.slice(0, r.start) + r.text + text.slice(r.end);
  const header = comment.map((line) => (line === "" ? "#" : `# ${line}`)).join("\n");
  return `${header}\n${text}`;
}
