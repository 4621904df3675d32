import { describe, expect, it } from "vitest";
import { DEFAULT_MODEL } from "../model/default-model.ts";
import { parseModel } from "../model/parse-model.ts";
import { checkAgainstModel } from "./check-against-model.ts";
import { DEFAULT_PLAYBOOK } from "./default-playbook.ts";
import { parsePlaybook } from "./parse-playbook.ts";

// A model whose enterprise segment has a band and a component of its own.
const model = parseModel(`
name: two-tier
bands:
  - { key: good, min: 70 }
  - { key: bad, min: 0 }
components:
  - { key: usage, input: { metric: active, agg: avg, window_days: 30 }, scale: { min: 0, max: 1 }, weight: 1 }
segments:
  enterprise:
    bands:
      - { key: good, min: 80 }
      - { key: watch, min: 60 }
      - { key: bad, min: 0 }
    components:
      seats_used:
        input: { metric: seats_used, agg: last, window_days: 30 }
        scale: { min: 0, max: 1 }
        weight: 1
`);

const playbook = (plays: string) => parsePlaybook(`name: p\nplays:\n${plays}`, "p.yaml");
const post = "actions: [{ post: { channel: alert_channel, text: hi } }]";

describe("checkAgainstModel", () => {
  it("accepts the default playbook against the default model", () => {
    expect(checkAgainstModel(DEFAULT_PLAYBOOK, DEFAULT_MODEL)).toEqual([]);
  });

  it("accepts the model's bands, a segment's own band and component, lowest, insufficient_data, and any segment", () => {
    const p = playbook(`
  - { key: a, trigger: { band_entered: [bad, watch, lowest] }, ${post} }
  - { key: b, trigger: { band_left: [good, insufficient_data] }, ${post} }
  - { key: c, trigger: { renewal: { within_days: 60, bands: [watch] } }, ${post} }
  - { key: d, trigger: { component: { key: seats_used, below: 40 } }, ${post} }
  - key: e
    trigger: { component: { key: usage, below: 40 } }
    when: { segment: [smb, not_in_the_model], band: [good], account: { band: [bad, 3], score: { min: 2 } } }
    ${post}
`);
    expect(checkAgainstModel(p, model)).toEqual([]);
  });

  it("names each unknown band and component by its path, in file order", () => {
    const p = playbook(`
  - { key: a, trigger: { band_entered: [bad, gold] }, ${post} }
  - { key: b, trigger: { band_left: [silver] }, ${post} }
  - { key: c, trigger: { renewal: { within_days: 60, bands: [good, bronze] } }, ${post} }
  - { key: d, trigger: { component: { key: nps, below: 40 } }, ${post} }
  - key: e
    trigger: { score_drop: { points: 10, within_days: 7 } }
    when: { band: [red], account: { band: amber } }
    ${post}
`);
    const bands = `the model "two-tier" has good, bad, watch (or lowest: the lowest band of the account's segment)`;
    expect(checkAgainstModel(p, model).map(({ path, message }) => ({ path, message }))).toEqual([
      { path: "plays[0].trigger.band_entered[1]", message: `unknown band "gold": ${bands}` },
      { path: "plays[1].trigger.band_left[0]", message: `unknown band "silver": ${bands}` },
      { path: "plays[2].trigger.renewal.bands[1]", message: `unknown band "bronze": ${bands}` },
      {
        path: "plays[3].trigger.component.key",
        message: 'unknown component "nps": the model "two-tier" has usage, seats_used',
      },
      { path: "plays[4].when.band[0]", message: `unknown band "red": ${bands}` },
      { path: "plays[4].when.account.band", message: `unknown band "amber": ${bands}` },
    ]);
  });

  it("gives the path as keys too, for the file's line", () => {
    const p = playbook(`  - { key: a, trigger: { band_entered: [gold] }, ${post} }`);
    expect(checkAgainstModel(p, model)[0]?.keys).toEqual(["plays", 0, "trigger", "band_entered", 0]);
  });

  it("accepts the default playbook against any model: it names only lowest", () => {
    expect(checkAgainstModel(DEFAULT_PLAYBOOK, model)).toEqual([]);
  });
});
