// Reads a YAML or JSON file (YAML is a superset of JSON, so one parser serves both) and validates it
// with a zod schema. Every issue names its path in the file (`components[2].scale.max`) and, where
// the text shows it, the line: the scoring model and the playbook are read this way.
import { LineCounter, parseDocument, isNode } from "yaml";
import type { z } from "zod";

export interface FileIssue {
  /** e.g. `components[2].scale.max`; empty for the file as a whole. */
  path: string;
  line: number | null;
  message: string;
}

export function formatIssue(source: string, issue: FileIssue): string {
  const where = issue.line === null ? source : `${source}:${issue.line}`;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** `["components", 2, "scale", "max"]` -> `components[2].scale.max` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/**
 * Parses `text` and validates it with `schema`: the value, or the issues. `notAMapping` is the
 * message when the document is not a mapping at all.
 */
export function parseYamlFile<S extends z.ZodType>(
  text: string,
  schema: S,
  notAMapping: string,
): { ok: true; value: z.output<S> } | { ok: false; issues: FileIssue[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => ({
        path: "",
        line: e.linePos?.[0].line ?? null,
        message: e.message.split("\n")[0] ?? e.message,
      })),
    };
  }
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    return { ok: false, issues: [{ path: "", line: null, message: notAMapping }] };
  }
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: result.error.issues.map((issue) => toIssue(issue, doc, lineCounter)) };
}

function toIssue(
  issue: z.core.$ZodIssue,
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
): FileIssue {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  let message = issue.message;
  if (issue.code === "unrecognized_keys")
    message = `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  return { path: formatPath(path), line: lineOf(doc, lines, path), message };
}

/**
 * The line of a path in `text` (a YAML or JSON file already read with parseYamlFile), for issues
 * found after validation: a playbook checked against the scoring model names its lines too.
 */
export function lineFinder(text: string): (path: readonly (string | number)[]) => number | null {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  return (path) => lineOf(doc, lineCounter, [...path]);
}

/** The line of the deepest node of `path` that exists in the document (a missing field points at its parent). */
function lineOf(
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  path: (string | number)[],
): number | null {
  for (let depth = path.length; depth >= 0; depth--) {
    const node: unknown = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return null;
}
