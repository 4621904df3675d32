// What writing scores back to a CRM takes of a vendor: its fields made ready (created when missing,
// refused when unusable), a batch of records written, its batch size and pace. The runner
// (services/crm-write-back.ts) does the rest: what changed, the write log, the refusal alert.
import type { RecordValues } from "../../domain/crm/write-back.ts";
import { KnownError } from "../../errors.ts";
import type { SourceHttp } from "../contract.ts";

export interface CrmWriter {
  /** For messages: "HubSpot". */
  title: string;
  /** What the credentials must be allowed, for messages: "scopes crm.objects.companies.write, ...". */
  permissions: string;
  /** Records a batch call takes at most (HubSpot: 100). */
  batchSize: number;
  /** Time between two batch calls at least, to keep within the vendor's rate limit. */
  paceMs: number;
  /** The vendor's side of one write-back run, from the connector's checked settings and secret. */
  open(context: { settings: unknown; secret: unknown; http: SourceHttp }): CrmSession;
}

export interface CrmSession {
  /** css-bot's fields exist with the right types (created when missing); a refusal throws WriteRefusedError. */
  prepare(): Promise<void>;
  /** Writes one batch; the ids the CRM no longer has (deleted, merged) come back, the rest were written. */
  write(batch: readonly RecordValues[]): Promise<{ notFound: string[] }>;
}

/**
 * The CRM refused a field (missing and not creatable, of the wrong type, not permitted): no retry
 * can fix it, so write-back stops for the connector until an admin turns it on again.
 */
export class WriteRefusedError extends KnownError {
  readonly code = "CRM_WRITE_REFUSED";
}
