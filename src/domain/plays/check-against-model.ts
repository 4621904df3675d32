// A playbook checked against the scoring model it will run with. The playbook's schema cannot know
// the model's bands and components, and a play naming a band no account can be in would never fire,
// silently: so `plays validate` and `plays set` refuse it, naming the play's path as a parse error does.
//
// Segments are not checked: they come from the accounts' data, so a segment no model override names
// is still a segment an account may be in.
import { INSUFFICIENT_DATA, type ScoringModel } from "../model/schema.ts";
import { formatPath } from "../parse-yaml-file.ts";
import { LOWEST_BAND, triggerKind, type FieldTest, type Playbook } from "./schema.ts";

export interface ModelMismatch {
  /** e.g. `plays[1].trigger.band_entered[0]` (formatPath). */
  path: string;
  /** The same path as keys, to find its line in the file (lineFinder). */
  keys: (string | number)[];
  message: string;
}

/** Every band key and component key of `playbook` that `model` does not have, in file order. */
export function checkAgainstModel(playbook: Playbook, model: ScoringModel): ModelMismatch[] {
  const bands = modelBands(model);
  const components = modelComponents(model);
  const issues: ModelMismatch[] = [];
  const band = (keys: (string | number)[], value: string) => {
    if (value === LOWEST_BAND || value === INSUFFICIENT_DATA || bands.includes(value)) return;
    issues.push({
      path: formatPath(keys),
      keys,
      message:
        `unknown band "${value}": the model "${model.name}" has ${bands.join(", ")} ` +
        `(or ${LOWEST_BAND}: the lowest band of the account's segment)`,
    });
  };
  const bandList = (keys: (string | number)[], values: readonly string[]) =>
    values.forEach((v, i) => band([...keys, i], v));

  playbook.plays.forEach((play, i) => {
    const trigger = play.trigger;
    const at = ["plays", i, "trigger", triggerKind(trigger)];
    if ("band_entered" in trigger) bandList(at, trigger.band_entered);
    if ("band_left" in trigger) bandList(at, trigger.band_left);
    if ("renewal" in trigger) bandList([...at, "bands"], trigger.renewal.bands);
    if ("component" in trigger && !components.includes(trigger.component.key))
      issues.push({
        path: formatPath([...at, "key"]),
        keys: [...at, "key"],
        message: `unknown component "${trigger.component.key}": the model "${model.name}" has ${components.join(", ")}`,
      });
    if (play.when.band) bandList(["plays", i, "when", "band"], play.when.band);
    const bandTest = play.when.account?.band;
    if (bandTest !== undefined) bandTestValues(bandTest, ["plays", i, "when", "account", "band"], band);
  });
  return issues;
}

/** An `account: { band: ... }` test's band names: a value or a list (ranges and set: true have none). */
function bandTestValues(
  test: FieldTest,
  keys: (string | number)[],
  band: (keys: (string | number)[], value: string) => void,
): void {
  if (typeof test === "string") band(keys, test);
  else if (Array.isArray(test))
    test.forEach((v, i) => {
      if (typeof v === "string") band([...keys, i], v);
    });
}

/** The model's band keys, then those only some segment has, each once. */
function modelBands(model: ScoringModel): string[] {
  const keys = model.bands.map((b) => b.key);
  for (const segment of Object.values(model.segments ?? {}))
    for (const b of segment.bands ?? []) if (!keys.includes(b.key)) keys.push(b.key);
  return keys;
}

/** The model's component keys, then those a segment adds, each once. */
function modelComponents(model: ScoringModel): string[] {
  const keys = model.components.map((c) => c.key);
  for (const segment of Object.values(model.segments ?? {}))
    for (const key of Object.keys(segment.components ?? {})) if (!keys.includes(key)) keys.push(key);
  return keys;
}
