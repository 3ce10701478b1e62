/** p50 and p95 of durations, by nearest rank (the value of a real run, never one between two). */
export interface Spread {
  p50: number;
  p95: number;
  max: number;
  count: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function spread(values: readonly (number | null | undefined)[]): Spread | undefined {
  const sorted = values.filter((value): value is number => typeof value === "number" && Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1)!, count: sorted.length };
}
