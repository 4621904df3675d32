// Collects the observations and responses that a model can use as of a date, account by account,
// so that scoring a portfolio from files keeps only what falls in some component's window.
import type { Day } from "../dates.ts";
import type { ScoringModel } from "../model/schema.ts";
import type { MetricRecord, ResponseRecord } from "../records.ts";

export interface AccountInputs {
  metrics: MetricRecord[];
  responses: ResponseRecord[];
}

export class PortfolioInputs {
  private readonly byAccount = new Map<string, AccountInputs>();
  private readonly metricWindows = new Map<string, number>();
  private surveyWindow = 0;

  constructor(
    model: ScoringModel,
    readonly asOf: Day,
  ) {
    const all = [
      ...model.components,
      ...Object.values(model.segments ?? {}).flatMap((s) => Object.values(s.components ?? {})),
    ];
    for (const { input } of all) {
      if (!input) continue;
      if (input.metric !== undefined) {
        this.metricWindows.set(
          input.metric,
          Math.max(this.metricWindows.get(input.metric) ?? 0, input.window_days),
        );
      } else {
        this.surveyWindow = Math.max(this.surveyWindow, input.window_days);
      }
    }
  }

  addMetric(m: MetricRecord): void {
    const window = this.metricWindows.get(m.metric);
    if (window === undefined || m.observedOn > this.asOf || m.observedOn <= this.asOf - window) return;
    this.of(m.accountId).metrics.push(m);
  }

  addResponse(r: ResponseRecord): void {
    if (r.respondedOn > this.asOf || r.respondedOn <= this.asOf - this.surveyWindow) return;
    this.of(r.accountId).responses.push(r);
  }

  get(accountId: string): AccountInputs {
    return this.byAccount.get(accountId) ?? { metrics: [], responses: [] };
  }

  accountIds(): IterableIterator<string> {
    return this.byAccount.keys();
  }

  private of(accountId: string): AccountInputs {
    let inputs = this.byAccount.get(accountId);
    if (!inputs) this.byAccount.set(accountId, (inputs = { metrics: [], responses: [] }));
    return inputs;
  }
}
