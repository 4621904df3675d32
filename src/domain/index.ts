// The scoring domain: pure functions of (model, inputs, as-of date). No I/O.
export * from "./dates.ts";
export * from "./records.ts";
export * from "./model/schema.ts";
export * from "./model/parse-model.ts";
export * from "./model/resolve-segment.ts";
export * from "./model/default-model.ts";
export * from "./scoring/scale.ts";
export * from "./scoring/window-inputs.ts";
export * from "./scoring/score.ts";
export * from "./scoring/bands.ts";
export * from "./scoring/explain.ts";
export * from "./scoring/portfolio-inputs.ts";
