// Slack as the connectors' admin alerts use it (SlackAccess: a workspace's postMessage), keeping
// what was posted instead of sending it: for tests of what a connector tells the alert channel.
import type { WorkspaceSlack } from "../../src/slack/gateway.ts";

export function recordingSlack(): {
  posted: { channel: string; text: string }[];
  slack: { forWorkspace(): Promise<WorkspaceSlack> };
} {
  const posted: { channel: string; text: string }[] = [];
  const slack = {
    forWorkspace: () =>
      Promise.resolve({
        postMessage: (m: { channel: string; text: string }) => {
          posted.push(m);
          return Promise.resolve({ channel: m.channel, ts: "1.2" });
        },
      } as unknown as WorkspaceSlack),
  };
  return { posted, slack };
}
