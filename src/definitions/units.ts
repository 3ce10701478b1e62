/**
 * Durations and sizes as users write them in definitions files.
 * A bare number is seconds (durations) or bytes (sizes), as in crontab-era tools.
 */

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** One or more `<number><unit>` parts: `500ms`, `10s`, `1h30m`, `1.5d`. */
export const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w|y))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g;

/** Milliseconds from a duration string or a number of seconds; undefined when malformed. */
export function parseDurationMs(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  const text = value.trim();
  if (!DURATION_PATTERN.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(DURATION_PART)) {
    total += Number(match[1]) * DURATION_UNITS_MS[match[2]!]!;
  }
  return Math.round(total);
}

/** A short human reading of a duration: 812ms, 4.2s, 3m05s, 2h10m. */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, "0")}m`;
  return `${minutes}m${String(seconds).padStart(2, "0")}s`;
}

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
};

// Spelled out case by case rather than with the `i` flag: JSON Schema patterns carry no flags,
// and editors check sizes with this same pattern (schema/spire.schema.json).
export const SIZE_PATTERN = /^\d+(?:\.\d+)?\s*(?:[bB]|[kKmMgGtT](?:[iI]?[bB])?)?$/;

/** Bytes from `512MiB`, `2GiB`, `1.5G`, `100kb` or a plain number of bytes; undefined when malformed. */
export function parseSizeBytes(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? "").toLowerCase() || "b";
  const factor = SIZE_UNITS[unit];
  return factor === undefined ? undefined : Math.round(Number(match[1]) * factor);
}
