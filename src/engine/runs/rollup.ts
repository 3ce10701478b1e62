/** Warnings, errors and metrics roll up from tasks to groups to the run. */
import type { MetricAggregate } from "../../exec/port.js";

export interface Counts {
  warnings: number;
  errors: number;
  metrics: Record<string, MetricAggregate>;
}

export function emptyCounts(): Counts {
  return { warnings: 0, errors: 0, metrics: {} };
}

export function mergeMetric(a: MetricAggregate | undefined, b: MetricAggregate): MetricAggregate {
  if (!a) return { ...b };
  const sum = a.sum + b.sum;
  const count = a.count + b.count;
  return { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max), sum, count, mean: count ? sum / count : 0 };
}

export function addCounts(into: Counts, from: Counts): Counts {
  into.warnings += from.warnings;
  into.errors += from.errors;
  for (const [name, aggregate] of Object.entries(from.metrics)) into.metrics[name] = mergeMetric(into.metrics[name], aggregate);
  return into;
}
