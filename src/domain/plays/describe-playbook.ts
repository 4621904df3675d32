// A playbook in words, play by play: what makes it fire, what must hold, what it does, and what keeps
// it quiet. `plays validate` prints it, so an admin reads back what the file means before storing it.
import {
  LOWEST_BAND,
  type Action,
  type Bound,
  type Conditions,
  type FieldTest,
  type Play,
  type Playbook,
  type Trigger,
} from "./schema.ts";

/** `playbook "NAME": 2 plays, quiet hours 20:00-08:00` and a block per play; ends with a newline. */
export function describePlaybook(playbook: Playbook): string {
  const quiet = playbook.quiet_hours
    ? `quiet hours ${playbook.quiet_hours.from}-${playbook.quiet_hours.to}`
    : "no quiet hours";
  const count = `${playbook.plays.length} play${playbook.plays.length === 1 ? "" : "s"}`;
  return [
    `playbook "${playbook.name}": ${count}, ${quiet}`,
    ...playbook.plays.flatMap(describePlay),
    "",
  ].join("\n");
}

function describePlay(play: Play): string[] {
  return [
    `  ${play.key}${play.label ? ` (${play.label})` : ""}`,
    `    when:   ${describeTrigger(play.trigger)}`,
    `    if:     ${describeConditions(play.when)}`,
    `    then:   ${play.actions.map(describeAction).join("; ")}`,
    `    guards: ${describeGuards(play)}`,
  ];
}

const band = (key: string) => (key === LOWEST_BAND ? "the lowest band" : key);
const either = (values: readonly (string | number)[]) =>
  values.length === 1 ? String(values[0]) : `${values.slice(0, -1).join(", ")} or ${values.at(-1)}`;
const bands = (keys: readonly string[]) => either(keys.map(band));

/** `< 40 and >= 10` */
function describeBound(b: Bound): string {
  const parts: string[] = [];
  if (b.below !== undefined) parts.push(`< ${b.below}`);
  if (b.at_most !== undefined) parts.push(`<= ${b.at_most}`);
  if (b.above !== undefined) parts.push(`> ${b.above}`);
  if (b.at_least !== undefined) parts.push(`>= ${b.at_least}`);
  return parts.join(" and ");
}

export function describeTrigger(trigger: Trigger): string {
  if ("band_entered" in trigger) return `the account enters ${bands(trigger.band_entered)}`;
  if ("band_left" in trigger) return `the account leaves ${bands(trigger.band_left)}`;
  if ("score_drop" in trigger) {
    const { points, within_days } = trigger.score_drop;
    return `the score falls ${points} points or more below its highest of the last ${within_days} days`;
  }
  if ("component" in trigger) {
    const c = trigger.component;
    const what = c.value === "raw" ? "raw input" : "sub-score";
    return `the ${what} of component ${c.key} becomes ${describeBound(c)}`;
  }
  if ("no_data" in trigger)
    return `no ${trigger.no_data.metric} observation for ${trigger.no_data.days} days`;
  if ("renewal" in trigger)
    return `the renewal comes within ${trigger.renewal.within_days} days while in ${bands(trigger.renewal.bands)}`;
  if ("survey_answer" in trigger)
    return `${trigger.survey_answer.survey === "nps" ? "an" : "a"} ${trigger.survey_answer.survey.toUpperCase()} answer ${describeBound(trigger.survey_answer)} arrives`;
  const connector = trigger.connector_failed.connector;
  return connector === undefined ? "a connector's sync fails" : `connector ${connector}'s sync fails`;
}

function describeRange(r: { min?: number | string | undefined; max?: number | string | undefined }): string {
  if (r.min !== undefined && r.max !== undefined) return `${r.min} to ${r.max}`;
  return r.min !== undefined ? `>= ${r.min}` : `<= ${r.max}`;
}

function describeFieldTest(field: string, test: FieldTest): string {
  if (Array.isArray(test)) return `${field} is ${either(test)}`;
  if (typeof test !== "object") return `${field} is ${test}`;
  if ("set" in test) return `${field} is ${test.set ? "set" : "not set"}`;
  return `${field} ${describeRange(test)}`;
}

export function describeConditions(when: Conditions): string {
  const parts: string[] = [];
  if (when.segment) parts.push(`segment is ${either(when.segment)}`);
  if (when.mrr) parts.push(`MRR ${describeRange(when.mrr)}`);
  if (when.arr) parts.push(`ARR ${describeRange(when.arr)}`);
  if (when.owner) parts.push(when.owner === "set" ? "the account has an owner" : "the account has no owner");
  if (when.band) parts.push(`band is ${bands(when.band)}`);
  for (const [field, test] of Object.entries(when.account ?? {}))
    if (test !== undefined) parts.push(describeFieldTest(field, test));
  return parts.length === 0 ? "always" : parts.join(", and ");
}

const channel = (ref: string) =>
  ref === "alert_channel" ? "the alert channel" : ref === "digest_channel" ? "the digest channel" : ref;

export function describeAction(action: Action): string {
  if ("open_case" in action) {
    const c = action.open_case;
    const owner =
      c.owner === "none"
        ? "claimed with its buttons"
        : c.owner === "account_owner"
          ? "owned by the account's owner"
          : typeof c.owner === "string"
            ? `owned by ${c.owner}`
            : `owned in turn by ${c.owner.round_robin.join(", ")}`;
    const tasks = c.tasks.length > 0 ? `, ${c.tasks.length} task${c.tasks.length === 1 ? "" : "s"}` : "";
    return `open a case in ${channel(c.channel)} (${owner}, due in ${c.due_business_days} business days${tasks})`;
  }
  if ("reply_in_case" in action) return "reply in the account's open case";
  if ("dm_owner" in action) return "DM the account's owner";
  if ("post" in action) return `post to ${channel(action.post.channel)}`;
  if ("webhook" in action) return `call the webhook ${action.webhook.url}`;
  if ("escalate" in action) {
    const e = action.escalate;
    const after =
      e.after_business_days === undefined
        ? "the workspace's escalate_after_business_days"
        : `${e.after_business_days} business days`;
    return `escalate the case to ${e.to === "escalation_lead" ? "the escalation lead" : e.to} when unclaimed after ${after}`;
  }
  return action.digest === "include"
    ? "show the band change in the digest"
    : "leave the band change out of the digest";
}

/** `silent for 3 days per account after a fire, at most 5 fires a day, held in quiet hours` */
export function describeGuards(play: Play): string {
  return [
    play.cooldown_days > 0 ? `silent for ${play.cooldown_days} days per account after a fire` : "no cooldown",
    play.max_per_day !== undefined ? `at most ${play.max_per_day} fires a day` : "no daily cap",
    play.respect_quiet_hours ? "held in quiet hours" : "ignores quiet hours",
  ].join(", ");
}
