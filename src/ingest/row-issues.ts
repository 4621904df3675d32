// Collects the bad rows of one or more files into one report.
import { KnownError } from "../errors.ts";
import { formatIssue, type RowIssue } from "./read-records.ts";

export interface FileRowIssue extends RowIssue {
  file: string;
}

/** Detailed issues kept in memory; past this only the count grows (a file can be all bad rows). */
const MAX_DETAILED = 10_000;

export class IssueReport {
  readonly issues: FileRowIssue[] = [];
  private badRows = 0;

  add(file: string, issues: readonly RowIssue[]): void {
    this.badRows += 1;
    for (const issue of issues) {
      if (this.issues.length < MAX_DETAILED) this.issues.push({ file, ...issue });
    }
  }

  get rows(): number {
    return this.badRows;
  }

  get empty(): boolean {
    return this.badRows === 0;
  }

  /** One line per problem, by file (in the order first seen) and line. */
  lines(): string[] {
    const files = [...new Set(this.issues.map((i) => i.file))];
    const sorted = [...this.issues].sort(
      (a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line,
    );
    const out = sorted.map((i) => formatIssue(i.file, i));
    if (this.issues.length >= MAX_DETAILED)
      out.push(`... only the first ${MAX_DETAILED} problems are listed`);
    return out;
  }
}

/** Thrown when input has bad rows and --skip-invalid was not given; nothing has been written. */
export class InvalidRowsError extends KnownError {
  readonly code = "INVALID_ROWS";
  constructor(readonly report: IssueReport) {
    super(
      `${report.rows} invalid row${report.rows === 1 ? "" : "s"}; nothing was written (use --skip-invalid to import the valid rows)`,
    );
  }
}
