// Back-testing the score against churn, and calibrating its scales and weights: pure statistics, no I/O.
export * from "./metrics.ts";
export * from "./report.ts";
export * from "./samples.ts";
export * from "./lead-time.ts";
export * from "./folds.ts";
export * from "./fit-weights.ts";
export * from "./logistic-fit.ts";
export * from "./fit-scales.ts";
export * from "./band-shares.ts";
export * from "./threshold.ts";
export * from "./calibrate.ts";
export * from "./edit-model-source.ts";
export * from "./isotonic.ts";
export * from "./probability-metrics.ts";
export * from "./fit-churn-map.ts";
export * from "./held-out-probability.ts";
export * from "./write-churn-map.ts";
