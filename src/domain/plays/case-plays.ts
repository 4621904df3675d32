// The plays that open cases, as the case machinery (services/at-risk-cases) needs them.
//
// A play whose trigger is band_entered and which opens a case keeps the rule css-bot always had: every
// active account in those bands that meets the play's conditions has one case (also an account that
// was already there when the playbook was set, or when the alert channel was first configured), a
// resolved case stays closed until a recovery or a further fall. These are "level" case plays. A case
// play with any other trigger opens the case when it fires (an "edge" case play), or replies in the
// account's open case. There is one open case per account whatever play opened it; the first play in
// the file that claims an account opens its case.
import type { Playbook, Play, Conditions, CaseOwner } from "./schema.ts";
import { LOWEST_BAND, triggerKind } from "./schema.ts";

export interface CasePlay {
  key: string;
  label: string;
  /** band_entered: the case exists while the account is in the bands. */
  level: boolean;
  /** The bands of a level play as written (`lowest` unresolved); empty for an edge play. */
  bands: string[];
  when: Conditions;
  /** "alert_channel", "digest_channel" or a channel id. */
  channel: string;
  owner: CaseOwner;
  dueBusinessDays: number;
  tasks: string[];
  /** Whether quiet hours hold its threads and replies (the play's respect_quiet_hours). */
  quiet: boolean;
  /** Null: the play's cases are never escalated. */
  /** `to`: "escalation_lead" or a user id. */
  escalate: { afterBusinessDays: number | null; to: string } | null;
}

/** The label people see for a play. */
export const playLabel = (play: Pick<Play, "key" | "label">): string => play.label ?? play.key;

export function casePlays(playbook: Playbook): CasePlay[] {
  return playbook.plays.flatMap((play): CasePlay[] => {
    let open: Extract<Play["actions"][number], { open_case: unknown }>["open_case"] | null = null;
    let escalate: CasePlay["escalate"] = null;
    for (const action of play.actions) {
      if ("open_case" in action) open = action.open_case;
      if ("escalate" in action)
        escalate = { afterBusinessDays: action.escalate.after_business_days ?? null, to: action.escalate.to };
    }
    if (!open) return [];
    const level = triggerKind(play.trigger) === "band_entered";
    return [
      {
        key: play.key,
        label: playLabel(play),
        level,
        bands: "band_entered" in play.trigger ? play.trigger.band_entered : [],
        when: play.when,
        channel: open.channel,
        owner: open.owner,
        dueBusinessDays: open.due_business_days,
        tasks: open.tasks,
        quiet: play.respect_quiet_hours,
        escalate,
      },
    ];
  });
}

/** The bands a list names, `lowest` replaced by the model's lowest bands (each segment's). */
export function resolveBands(bands: readonly string[], lowestBands: readonly string[]): string[] {
  return [...new Set(bands.flatMap((b) => (b === LOWEST_BAND ? lowestBands : [b])))];
}
