// The records the scoring core works on, whatever they came from (files, the database, a connector).
// Field names follow the public file formats (see docs/data.md, "File formats").
import type { Day } from "./dates.ts";

export const SURVEYS = ["nps", "csat", "ces"] as const;
export type SurveyKind = (typeof SURVEYS)[number];

export type AccountStatus = "active" | "churned";

export interface AccountRecord {
  accountId: string;
  name: string;
  domain: string | null;
  segment: string | null;
  owner: string | null;
  mrr: number | null;
  seats: number | null;
  renewalDate: Day | null;
  /** When the account became a customer (the `created_at` column). */
  createdAt: Day | null;
  status: AccountStatus;
  churnedAt: Day | null;
}

export interface MetricRecord {
  accountId: string;
  metric: string;
  value: number;
  observedOn: Day;
}

export interface ResponseRecord {
  accountId: string;
  survey: SurveyKind;
  score: number;
  respondedOn: Day;
}
