// Every job the workers run, by name.
import type { RegisteredJob } from "./define-job.ts";
import { connectorSync } from "./definitions/connector-sync.ts";
import { crmWriteBack } from "./definitions/crm-write-back.ts";
import { deliverWebhooksJob } from "./definitions/deliver-webhooks.ts";
import { digestTick } from "./definitions/digest-tick.ts";
import { notifyBandChanges } from "./definitions/notify-band-changes.ts";
import { recomputeFinalize } from "./definitions/recompute-finalize.ts";
import { recomputeShard } from "./definitions/recompute-shard.ts";
import { recomputeTick } from "./definitions/recompute-tick.ts";
import { refreshRollupsJob } from "./definitions/refresh-rollups.ts";

export const JOBS: readonly RegisteredJob[] = [
  recomputeTick,
  recomputeShard,
  recomputeFinalize,
  notifyBandChanges,
  digestTick,
  connectorSync,
  refreshRollupsJob,
  deliverWebhooksJob,
  crmWriteBack,
];

export const JOBS_BY_NAME: ReadonlyMap<string, RegisteredJob> = new Map(JOBS.map((j) => [j.name, j]));
