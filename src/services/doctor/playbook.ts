// The active playbook against what it runs with: a model stored after the playbook may have dropped
// a band or a component a play names (that play would never fire, silently), and a play may post to
// a channel setting left empty (its messages would go nowhere).
import type { WorkspaceSettings } from "../../config/workspace-settings.ts";
import type { ScoringModel } from "../../domain/model/schema.ts";
import { checkAgainstModel } from "../../domain/plays/check-against-model.ts";
import type { Playbook } from "../../domain/plays/schema.ts";
import { fail, ok, warn, type Check } from "./check.ts";

const NAME = "playbook";

export function checkPlaybook(
  active: { playbook: Playbook; version: number; isDefault: boolean },
  model: ScoringModel,
  settings: Pick<WorkspaceSettings, "alert_channel" | "digest_channel">,
): Check {
  const which = active.isDefault ? "the default playbook" : `version ${active.version}`;
  const mismatches = checkAgainstModel(active.playbook, model);
  if (mismatches.length > 0) {
    const first = mismatches
      .slice(0, 3)
      .map((m) => `${m.path}: ${m.message}`)
      .join("; ");
    return fail(
      NAME,
      `${which} names what the active model "${model.name}" lacks, so those plays never fire: ${first}`,
      "npx css-bot plays show > playbook.yaml, fix it, then npx css-bot plays set playbook.yaml",
    );
  }
  const unset = new Set<string>();
  // The default playbook's one channel is the alert channel, which the channels' own check reports.
  for (const play of active.isDefault ? [] : active.playbook.plays) {
    for (const action of play.actions) {
      const channel =
        "post" in action ? action.post.channel : "open_case" in action ? action.open_case.channel : null;
      if (channel === "alert_channel" && settings.alert_channel === null)
        unset.add(`${play.key} (alert_channel)`);
      if (channel === "digest_channel" && settings.digest_channel === null)
        unset.add(`${play.key} (digest_channel)`);
    }
  }
  if (unset.size > 0) {
    return warn(
      NAME,
      `${which}: ${[...unset].join(", ")} post${unset.size === 1 ? "s" : ""} to a channel that is not set, so nothing is posted`,
      "npx css-bot settings set --alert-channel '#cs-alerts' --digest-channel '#cs-digest'",
    );
  }
  const plays = active.playbook.plays.length;
  return ok(NAME, `${which}, "${active.playbook.name}": ${plays} play${plays === 1 ? "" : "s"}`);
}
