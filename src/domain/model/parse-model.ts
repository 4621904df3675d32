// Reads a scoring model from YAML or JSON text. Errors name the path in the model
// (`components[2].scale.max: ...`) and, where the text shows it, the line.
import { LineCounter, parseDocument, isNode } from "yaml";
import type { z } from "zod";
import { KnownError } from "../../errors.ts";
import { modelSchema, type ScoringModel } from "./schema.ts";

export interface ModelIssue {
  /** e.g. `components[2].scale.max`; empty for the model as a whole. */
  path: string;
  line: number | null;
  message: string;
}

export class ModelError extends KnownError {
  readonly code = "MODEL_INVALID";
  constructor(
    readonly source: string,
    readonly issues: ModelIssue[],
  ) {
    super(`${source}: invalid scoring model\n${issues.map((i) => `  ${formatIssue(source, i)}`).join("\n")}`);
  }
}

function formatIssue(source: string, issue: ModelIssue): string {
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

/** Parses and validates a model. `source` names the file in error messages. Throws ModelError. */
export function parseModel(text: string, source = "model"): ScoringModel {
  const lineCounter = new LineCounter();
  // YAML is a superset of JSON, so one parser serves both formats.
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ModelError(
      source,
      doc.errors.map((e) => ({
        path: "",
        line: e.linePos?.[0].line ?? null,
        message: e.message.split("\n")[0] ?? e.message,
      })),
    );
  }
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new ModelError(source, [
      { path: "", line: null, message: "a model is a mapping with name, bands and components" },
    ]);
  }
  const result = modelSchema.safeParse(data);
  if (result.success) return result.data;
  throw new ModelError(
    source,
    result.error.issues.map((issue) => toModelIssue(issue, doc, lineCounter)),
  );
}

function toModelIssue(
  issue: z.core.$ZodIssue,
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
): ModelIssue {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  let message = issue.message;
  if (issue.code === "unrecognized_keys")
    message = `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  return { path: formatPath(path), line: lineOf(doc, lines, path), message };
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
