// The playbook every workspace runs until an admin stores its own (`css-bot plays set`): what css-bot
// did before playbooks existed, as a file to start from (`css-bot plays show`).
import { parsePlaybook } from "./parse-playbook.ts";
import type { Playbook } from "./schema.ts";

export const DEFAULT_PLAYBOOK_SOURCE = `# css-bot default playbook: one case for every account at risk, in the alert channel, escalated
# when nobody claims it. Copy it, add plays, check it with \`css-bot plays validate FILE\`, try it on
# your history with \`css-bot plays test FILE --from ... --to ...\`, and store it with
# \`css-bot plays set FILE\`. docs/playbooks.md describes every trigger, condition and action.
name: default
description: The at-risk case of every account in the lowest band.
plays:
  - key: at_risk_case
    label: At-risk case
    trigger: { band_entered: [lowest] }   # the lowest band of the account's segment
    actions:
      # A thread in the alert channel (settings), claimed with its buttons; threads open at most
      # case_threads_per_day a day, highest MRR first.
      - open_case: { channel: alert_channel, owner: none }
      # Unclaimed after the workspace's escalate_after_business_days (2): the escalation lead is asked.
      - escalate: { to: escalation_lead }
`;

export const DEFAULT_PLAYBOOK: Playbook = parsePlaybook(DEFAULT_PLAYBOOK_SOURCE, "default playbook");
