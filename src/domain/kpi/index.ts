// The customer-success KPIs: pure formulas, and the portfolio of one month computed from records.
export {
  SURVEY_RANGES,
  addScore,
  cesFromCounts,
  checkSurveyScore,
  csatFromCounts,
  emptySurveyCounts,
  npsFromCounts,
  roundHalfAwayFromZero,
  summariseResponses,
  surveyKpi,
} from "./surveys.ts";
export type { SurveyCounts } from "./surveys.ts";
export {
  DEFAULT_GROSS_MARGIN,
  adoptionRate,
  computePortfolioKpis,
  customerChurnRate,
  customerLifetimeValue,
  customerRetentionRate,
  netMrrChurnRate,
} from "./portfolio.ts";
export type { MrrMovements, PortfolioKpiInput, PortfolioKpis } from "./portfolio.ts";
