// The scoring model file, validated with zod. The validated object keeps the file's own field names
// (snake_case): it is what `model show` prints and what is stored per model version.
import { z } from "zod";
import { SURVEYS } from "../records.ts";

export const AGGREGATIONS = ["avg", "sum", "min", "max", "last", "count"] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/** Band key used when coverage is below min_coverage; no model may define it. */
export const INSUFFICIENT_DATA = "insufficient_data";

const key = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, "must be lower-case letters, digits and _ (starting with a letter)");
/** The longest window an input may have, in days (ten years). */
export const MAX_WINDOW_DAYS = 3650;
const windowDays = z.number().int("must be a whole number of days").min(1).max(MAX_WINDOW_DAYS);
const finite = z.number().finite();

const inputSchema = z
  .object({
    survey: z.enum(SURVEYS).optional(),
    metric: z.string().min(1).max(100).optional(),
    agg: z.enum(AGGREGATIONS).optional(),
    window_days: windowDays,
    empty_value: finite.optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    if ((input.survey === undefined) === (input.metric === undefined)) {
      ctx.addIssue({
        code: "custom",
        message: "an input names either a survey (nps, csat, ces) or a metric",
      });
      return;
    }
    if (input.metric !== undefined && input.agg === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["agg"],
        message: `required with a metric: one of ${AGGREGATIONS.join(", ")}`,
      });
    }
    if (input.survey !== undefined && input.agg !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["agg"],
        message: "a survey input takes no agg (its KPI is fixed)",
      });
    }
    if (input.survey !== undefined && input.empty_value !== undefined) {
      ctx.addIssue({ code: "custom", path: ["empty_value"], message: "only metric inputs take empty_value" });
    }
  });

const linearScale = z
  .object({ min: finite, max: finite })
  .strict()
  .refine((s) => s.min !== s.max, { message: "min and max must differ", path: ["max"] });

const pointsScale = z
  .object({
    points: z
      .array(z.tuple([finite, z.number().min(0).max(100)]))
      .min(2, "needs at least two points")
      .superRefine((points, ctx) => {
        for (let i = 1; i < points.length; i++) {
          if (points[i]![0] <= points[i - 1]![0]) {
            ctx.addIssue({ code: "custom", path: [i, 0], message: "x values must increase strictly" });
          }
        }
      }),
  })
  .strict();

const scaleSchema = z.union([linearScale, pointsScale], {
  error: "a scale is either { min, max } or { points: [[x, y], ...] }",
});

const weight = z.number().finite().gt(0, "must be greater than 0");

export const componentSchema = z
  .object({
    key,
    label: z.string().max(80).optional(),
    input: inputSchema,
    scale: scaleSchema,
    weight,
  })
  .strict();

const bandSchema = z
  .object({
    key: key.refine((k) => k !== INSUFFICIENT_DATA, `"${INSUFFICIENT_DATA}" is reserved`),
    min: z.number().min(0).max(100),
    label: z.string().max(40).optional(),
  })
  .strict();

const bandsSchema = z
  .array(bandSchema)
  .min(1)
  .superRefine((bands, ctx) => {
    const keys = new Map<string, number>();
    const mins = new Map<number, number>();
    bands.forEach((b, i) => {
      if (keys.has(b.key))
        ctx.addIssue({
          code: "custom",
          path: [i, "key"],
          message: `duplicate band "${b.key}" (also bands[${keys.get(b.key)}])`,
        });
      if (mins.has(b.min))
        ctx.addIssue({
          code: "custom",
          path: [i, "min"],
          message: `duplicate min ${b.min} (also bands[${mins.get(b.min)}])`,
        });
      keys.set(b.key, i);
      mins.set(b.min, i);
    });
    if (!bands.some((b) => b.min === 0)) {
      ctx.addIssue({
        code: "custom",
        message: "the lowest band must have min 0, so that every score has a band",
      });
    }
  });

const minCoverage = z.number().gt(0).max(1);
const hysteresis = z.number().min(0).max(50);

/** A segment's change to one component: any of input, scale, weight (or a whole new component). */
const componentOverrideSchema = z
  .object({
    label: z.string().max(80).optional(),
    input: inputSchema.optional(),
    scale: scaleSchema.optional(),
    weight: weight.optional(),
  })
  .strict();

const segmentSchema = z
  .object({
    components: z.record(key, componentOverrideSchema).optional(),
    bands: bandsSchema.optional(),
    min_coverage: minCoverage.optional(),
    hysteresis: hysteresis.optional(),
  })
  .strict();

/** A probability curve: [score, probability] points, scores increasing, probabilities non-increasing. */
const churnCurveSchema = z
  .object({
    /** The accounts (and churned among them) it was fitted on: evidence for a reader, not used. */
    accounts: z.number().int().min(1).optional(),
    churned: z.number().int().min(0).optional(),
    points: z
      .array(z.tuple([z.number().min(0).max(100), z.number().min(0).max(1)]))
      .min(1, "needs at least one [score, probability] point")
      .superRefine((points, ctx) => {
        for (let i = 1; i < points.length; i++) {
          const [x, p] = points[i]!;
          const [prevX, prevP] = points[i - 1]!;
          if (x <= prevX)
            ctx.addIssue({
              code: "custom",
              path: [i, 0],
              message: `scores must increase strictly (points[${i - 1}] has score ${prevX})`,
            });
          // (A probability above 1 has its own error already.)
          else if (p > prevP && p <= 1)
            ctx.addIssue({
              code: "custom",
              path: [i, 1],
              message: `a probability may not rise with the score (points[${i - 1}] has ${prevP} at score ${prevX})`,
            });
        }
      }),
  })
  .strict()
  .superRefine((curve, ctx) => {
    if (curve.accounts !== undefined && curve.churned !== undefined && curve.churned > curve.accounts)
      ctx.addIssue({ code: "custom", path: ["churned"], message: `more than accounts (${curve.accounts})` });
  });

/**
 * The map from score to the probability of churning within `horizon_days`, fitted from outcomes by
 * `css-bot calibrate`: the portfolio's curve, and a segment's own where it had enough churners.
 */
export const churnMapSchema = z
  .object({
    horizon_days: windowDays,
    method: z.literal("isotonic", { error: 'the only method is "isotonic"' }),
    portfolio: churnCurveSchema,
    segments: z.record(z.string().min(1).max(100), churnCurveSchema).optional(),
  })
  .strict();

export const modelSchema = z
  .object({
    name: z.string().min(1).max(100),
    description: z.string().max(2000).optional(),
    min_coverage: minCoverage.default(0.5),
    hysteresis: hysteresis.default(2),
    bands: bandsSchema,
    components: z
      .array(componentSchema)
      .min(1)
      .superRefine((components, ctx) => {
        const seen = new Map<string, number>();
        components.forEach((c, i) => {
          const first = seen.get(c.key);
          if (first !== undefined)
            ctx.addIssue({
              code: "custom",
              path: [i, "key"],
              message: `duplicate component "${c.key}" (also components[${first}])`,
            });
          seen.set(c.key, i);
        });
      }),
    segments: z.record(z.string().min(1).max(100), segmentSchema).optional(),
    churn_probability: churnMapSchema.optional(),
  })
  .strict()
  .superRefine((model, ctx) => {
    // A segment may add a component only by giving it in full.
    const known = new Set(model.components.map((c) => c.key));
    for (const [segment, override] of Object.entries(model.segments ?? {})) {
      for (const [componentKey, change] of Object.entries(override.components ?? {})) {
        if (known.has(componentKey)) continue;
        for (const field of ["input", "scale", "weight"] as const) {
          if (change[field] === undefined) {
            ctx.addIssue({
              code: "custom",
              path: ["segments", segment, "components", componentKey, field],
              message: `"${componentKey}" is not a component of the model, so the segment must define it in full (input, scale, weight)`,
            });
          }
        }
      }
    }
  });

export type ScoringModel = z.output<typeof modelSchema>;
export type Component = z.output<typeof componentSchema>;
export type ComponentInput = Component["input"];
export type Scale = Component["scale"];
export type Band = ScoringModel["bands"][number];
export type ChurnMap = z.output<typeof churnMapSchema>;
export type ChurnCurve = ChurnMap["portfolio"];
