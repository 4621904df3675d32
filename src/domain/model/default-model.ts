// The model every workspace starts with, until an admin stores its own (`css-bot model set`).
// Kept as the YAML an admin would write, so `css-bot model show` prints a file to start from.
import { parseModel } from "./parse-model.ts";
import type { ScoringModel } from "./schema.ts";

export const DEFAULT_MODEL_SOURCE = `# css-bot default scoring model.
# Each component maps one input to a 0-100 sub-score; the score is the weighted mean of the
# sub-scores of the components that have data. Copy it, change it, and store it with
# \`css-bot model set FILE\`.
name: default
description: Usage, satisfaction, support load and payments, weighted by how early they warn.
min_coverage: 0.5   # below half of the weight with data, no score (insufficient_data)
hysteresis: 2       # an account leaves its band only 2 points past the boundary
bands:              # benchmark bands: 80-100 healthy, 70-79 caution, below 70 act now
  - { key: healthy, min: 80, label: Healthy }
  - { key: caution, min: 70, label: Caution }
  - { key: at_risk, min: 0, label: At risk }
components:
  - key: usage
    label: Product usage
    input: { metric: weekly_active_ratio, agg: avg, window_days: 30 }   # share of seats active weekly
    scale: { points: [[0.1, 0], [0.5, 70], [0.8, 100]] }
    weight: 40
  - key: nps
    label: NPS
    input: { survey: nps, window_days: 180 }                            # -100..100
    scale: { min: -100, max: 100 }
    weight: 20
  - key: tickets
    label: Open tickets
    input: { metric: open_tickets, agg: last, window_days: 30 }
    scale: { min: 10, max: 0 }                                          # fewer is better
    weight: 15
  - key: csat
    label: CSAT
    input: { survey: csat, window_days: 90 }                            # % of 4-5 ratings
    scale: { points: [[50, 0], [80, 70], [95, 100]] }
    weight: 10
  - key: payments
    label: Failed payments
    input: { metric: failed_payments, agg: sum, window_days: 90, empty_value: 0 }   # none = 0
    scale: { min: 3, max: 0 }
    weight: 10
  - key: ces
    label: Customer effort
    input: { survey: ces, window_days: 90 }                             # mean 1-7, lower is easier
    scale: { min: 5, max: 1 }
    weight: 5
segments:
  enterprise:                 # larger accounts: stricter bands, usage spread over more seats
    components: { usage: { weight: 30 } }
    bands:
      - { key: healthy, min: 85, label: Healthy }
      - { key: caution, min: 72, label: Caution }
      - { key: at_risk, min: 0, label: At risk }
`;

export const DEFAULT_MODEL: ScoringModel = parseModel(DEFAULT_MODEL_SOURCE, "default model");
