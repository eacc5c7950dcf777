/**
 * The metrics the programs define, read from their sources
 * (packages/agent/src/metrics.ts, packages/collector/src/metrics.ts), and a
 * check of the series and label matchers a PromQL expression uses against them.
 */
import { readFileSync } from "node:fs";
import { repoPath } from "./manifests.js";

export type MetricType = "counter" | "gauge" | "histogram" | "summary";

export interface MetricDefinition {
  name: string;
  type: MetricType;
  labels: string[];
  component: "agent" | "collector";
}

export const METRIC_SOURCES = {
  agent: "packages/agent/src/metrics.ts",
  collector: "packages/collector/src/metrics.ts",
} as const;

/** Every `new Gauge|Counter|Histogram|Summary({ name: "imagedrift_…", labelNames: [...] })` in the sources. */
export function readMetricCatalog(): Map<string, MetricDefinition> {
  const catalog = new Map<string, MetricDefinition>();
  for (const [component, file] of Object.entries(METRIC_SOURCES) as [MetricDefinition["component"], string][]) {
    const source = readFileSync(repoPath(file), "utf8");
    for (const match of source.matchAll(/new (Gauge|Counter|Histogram|Summary)\(\{([\s\S]*?)\}\)/g)) {
      const body = match[2] ?? "";
      const name = /name: "([a-z_:][a-z0-9_:]*)"/.exec(body)?.[1];
      if (!name) throw new Error(`${file}: a metric without a literal name: ${body.slice(0, 80)}`);
      const labels = [...(/labelNames: \[([^\]]*)\]/.exec(body)?.[1]?.matchAll(/"([a-zA-Z_]\w*)"/g) ?? [])].map(
        (m) => m[1] ?? "",
      );
      catalog.set(name, { name, type: (match[1] ?? "").toLowerCase() as MetricType, labels, component });
    }
  }
  return catalog;
}

/** Labels a series has besides its own: the scrape's, and the node the agent's ServiceMonitor adds. */
function scrapeLabels(metric: MetricDefinition, suffix: string): string[] {
  return [
    "job",
    "instance",
    ...(metric.component === "agent" ? ["node"] : []),
    ...(suffix === "_bucket" ? ["le"] : []),
  ];
}

/** The series names (imagedrift_…) an expression reads, with the labels it matches on each. */
export function seriesIn(expr: string): { series: string; labels: string[] }[] {
  return [...expr.matchAll(/\b(imagedrift_[a-z0-9_]+)(?:\{([^}]*)\})?/g)].map((m) => ({
    series: m[1] ?? "",
    labels: [...(m[2] ?? "").matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1] ?? ""),
  }));
}

/** What is wrong with the series an expression reads: unknown names, labels the metric does not have. */
export function seriesProblems(expr: string, catalog: ReadonlyMap<string, MetricDefinition>): string[] {
  const problems: string[] = [];
  for (const { series, labels } of seriesIn(expr)) {
    const suffix = /_(bucket|sum|count)$/.exec(series)?.[0] ?? "";
    const metric =
      catalog.get(series) ??
      [catalog.get(series.slice(0, series.length - suffix.length))].find(
        (m) => m !== undefined && suffix !== "" && (m.type === "histogram" || m.type === "summary"),
      );
    if (!metric) {
      problems.push(`${series} is not defined in ${Object.values(METRIC_SOURCES).join(" or ")}`);
      continue;
    }
    const known = new Set([...metric.labels, ...scrapeLabels(metric, suffix)]);
    for (const label of labels) {
      if (!known.has(label)) problems.push(`${series} has no label "${label}" (it has ${[...known].join(", ")})`);
    }
  }
  return problems;
}
