// What a change of a workspace's settings sets in motion on the queues: its schedules move, and a
// notification pass opens the cases of the accounts already at risk and posts what waits (a newly
// set alert channel gets its backlog, triaged, without waiting for the next run).
import type { WorkspaceSettings } from "../config/workspace-settings.ts";
import { notifyBandChanges } from "./definitions/notify-band-changes.ts";
import { enqueue } from "./enqueue.ts";
import type { Queues } from "./queues.ts";
import { upsertWorkspaceSchedules } from "./schedules.ts";

export async function settingsChanged(
  queues: Queues,
  workspaceId: number,
  settings: WorkspaceSettings,
): Promise<void> {
  await upsertWorkspaceSchedules(queues, workspaceId, settings);
  await enqueue(
    queues,
    notifyBandChanges,
    { workspaceId },
    `cases-${workspaceId}-${Date.now().toString(36)}`,
  );
}
