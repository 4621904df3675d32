// css-bot explain ACCOUNT: the score's breakdown, line by line, and what moved it.
import type { Command } from "commander";
import type { ConnectorKind } from "../../connectors/contract.ts";
import { CONNECTORS } from "../../connectors/registry.ts";
import { formatDay } from "../../domain/dates.ts";
import { curveFor, storedChurn } from "../../domain/model/churn-map.ts";
import { segmentBands, sortBands } from "../../domain/model/resolve-segment.ts";
import { bandName, describeBands } from "../../domain/scoring/bands.ts";
import { explainAccount, type Explanation } from "../../services/explain-account.ts";
import type { CliContext } from "../context.ts";
import { asOfOption } from "../options.ts";
import { fmtNumber, fmtPercent, fmtScore, fmtSigned, table } from "../output/format.ts";
import { scoreJson } from "../output/score-json.ts";
import { withWorkspace } from "../workspace.ts";

export function registerExplain(program: Command, ctx: CliContext): void {
  program
    .command("explain")
    .description("show how an account's score is made up, and the drivers since its previous snapshot")
    .argument("<account>", "account id, name or domain")
    .option("--as-of <date>", "the snapshot on or before this date (default: the latest)")
    .option("--json", "print the score object of `score --json` plus previous_score and drivers")
    .action(async (query: string, opts: { asOf?: string; json?: boolean }, command: Command) => {
      const asOf = opts.asOf === undefined ? null : asOfOption(opts.asOf);
      const x = await withWorkspace(ctx, command, { create: false }, (db, workspace) =>
        explainAccount(db, workspace.id, query, asOf),
      );
      ctx.io.stdout.write(
        opts.json ? `${JSON.stringify(explanationJson(x), null, 2)}\n` : explanationText(x),
      );
    });
}

export function explanationJson(x: Explanation) {
  const own = segmentBands(x.model.definition, x.account.segment);
  const bands = own ?? sortBands(x.model.definition.bands);
  const churn = storedChurn(x.current.churnProbability, x.model.definition);
  return {
    ...scoreJson({ accountId: x.account.externalId, name: x.account.name }, x.current),
    as_of: formatDay(x.current.asOf),
    segment: x.account.segment,
    model_version: x.model.version,
    previous_as_of: x.previous ? formatDay(x.previous.asOf) : null,
    previous_score: x.previous?.score ?? null,
    previous_band: x.previous?.band ?? null,
    drivers: x.drivers.map((d) => ({ key: d.key, delta: d.delta, from: d.from, to: d.to, change: d.change })),
    summary: x.summary,
    // The bands the score is banded by, highest first: the segment's when it has its own.
    bands: bands.map((b) => ({ key: b.key, label: bandName(b), min: b.min })),
    bands_segment: own ? x.account.segment : null,
    // From the model's churn map (fitted on outcomes by calibrate); null without one, never guessed.
    churn_probability: churn?.probability ?? null,
    churn_horizon_days: churn?.horizonDays ?? null,
    // The connectors' ids the account was matched by (docs/connectors.md, "One customer, one account").
    source_ids: x.sourceIds.map((s) => ({ source: s.source, id: s.sourceId })),
    // Where each metric component's raw input came from (docs/data.md, "Source precedence").
    sources: Object.fromEntries(
      x.current.components.flatMap((c) => {
        const windowed = x.sources.get(c.key);
        return windowed ? [[c.key, windowed]] : [];
      }),
    ),
  };
}

function explanationText(x: Explanation): string {
  const labels = new Map(x.model.definition.components.map((c) => [c.key, c.label ?? c.key]));
  const rows = x.current.components.map((c) => [
    labels.get(c.key) ?? c.key,
    fmtNumber(c.raw),
    fmtScore(c.score),
    fmtPercent(c.weight, 1),
    c.points === null ? "no data" : c.points.toFixed(1),
    x.sources.get(c.key)?.join(", ") ?? "",
  ]);
  const segment = x.account.segment ? ` · ${x.account.segment}` : "";
  const matched = x.sourceIds.map(
    (s) => `${CONNECTORS[s.source as ConnectorKind]?.title ?? s.source} ${s.sourceId}`,
  );
  const lines = [
    `${x.account.name} (${x.account.externalId})${segment} · as of ${formatDay(x.current.asOf)} · model v${x.model.version}`,
    ...(matched.length ? [`From ${matched.join(", ")}`] : []),
    `Score ${fmtScore(x.current.score)} · ${x.current.band} · coverage ${fmtPercent(x.current.coverage)}`,
    table(["component", "raw", "sub-score", "weight", "points", "source"], rows, [
      "left",
      "right",
      "right",
      "right",
      "right",
      "left",
    ]),
    "Score = sum of points (sub-score x weight, weights renormalised over the components with data).",
  ];
  const own = segmentBands(x.model.definition, x.account.segment);
  if (own) lines.push(`Bands of ${x.account.segment}: ${describeBands(own)}`);
  const churn = storedChurn(x.current.churnProbability, x.model.definition);
  if (churn) {
    const curve = curveFor(x.model.definition.churn_probability!, x.account.segment);
    const fitted =
      curve.accounts === undefined
        ? ""
        : `; fitted on ${curve.accounts} accounts${curve.churned === undefined ? "" : `, ${curve.churned} churned`}`;
    lines.push(
      `Churn: ${churn.phrase} ` + `(${fmtPercent(churn.probability, 1)}, the model's churn map${fitted})`,
    );
  }
  if (x.previous) {
    lines.push(`Since ${formatDay(x.previous.asOf)}: ${x.summary}`);
    for (const d of x.drivers) {
      const note =
        d.change === "appeared"
          ? " (data appeared)"
          : d.change === "disappeared"
            ? " (data disappeared)"
            : "";
      lines.push(`  ${(labels.get(d.key) ?? d.key).padEnd(18)} ${fmtSigned(d.delta)} points${note}`);
    }
  } else {
    lines.push("No earlier snapshot to compare with.");
  }
  return `${lines.join("\n")}\n`;
}
