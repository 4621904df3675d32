// Small formatting helpers for the CLI's readable output.
import Table from "cli-table3";

export const fmtScore = (s: number | null | undefined) =>
  s === null || s === undefined ? "–" : s.toFixed(1);
export const fmtPercent = (x: number | null | undefined, digits = 0) =>
  x === null || x === undefined ? "–" : `${(x * 100).toFixed(digits)}%`;
export const fmtNumber = (x: number | null | undefined, digits = 2) =>
  x === null || x === undefined ? "–" : Number.isInteger(x) ? String(x) : x.toFixed(digits);
export const fmtSigned = (x: number, digits = 1) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(digits)}`;

export function table(head: string[], rows: (string | number)[][], align?: ("left" | "right")[]): string {
  const t = new Table({ head, style: { head: [], border: [] }, colAligns: align ?? [] });
  for (const r of rows) t.push(r.map(String));
  return t.toString();
}
