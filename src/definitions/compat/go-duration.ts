/** Go's `time.ParseDuration` syntax (prunner's start_delay, retention_period): `15s`, `1h30m`, `1.5h`, `300ms`. */
import { DURATION_PATTERN } from "../units.js";

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const WHOLE = /^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/** Milliseconds, or undefined when it is not a Go duration (a bare `0` is one). */
export function parseGoDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "0") return 0;
  if (!WHOLE.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(PART)) total += Number(match[1]) * UNIT_MS[match[2]!]!;
  return total;
}

/** The duration as Spire writes it: the original text when Spire reads it the same, else milliseconds. */
export function spireDuration(text: string, ms: number): string {
  return DURATION_PATTERN.test(text.trim()) ? text.trim() : `${Math.round(ms)}ms`;
}
