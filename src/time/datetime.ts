/**
 * Points in time as users write them (`at`, `start`, `end`, `--from`):
 * ISO 8601 dates and date-times. With an offset (`Z`, `+01:00`) the text is
 * an instant; without one it is a wall time in the trigger's zone, read with
 * the DST rules of zone.ts (a time in a gap means the end of the gap, a
 * repeated time its first occurrence).
 */
import { instantOf } from "./zone.js";

// Fractions past milliseconds are allowed (ISO 8601 has no limit) and dropped.
const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/** `reason`: what is wrong, without the text and the example that `error` adds. */
export type ParsedTime = { ok: true; ms: number } | { ok: false; error: string; reason: string };

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

export function parseTime(text: string, zone: string): ParsedTime {
  const match = PATTERN.exec(text.trim());
  const fail = (why: string): ParsedTime => ({
    ok: false,
    error: `time "${text}": ${why}; write ISO 8601 such as 2026-12-24T18:00:00+01:00, or 2026-12-24T18:00 (in the trigger's zone)`,
    reason: why,
  });
  if (match === null) return fail("not a date or date-time");
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [
    number, number, number, number, number, number,
  ];
  const ms = Number((match[7] ?? "").slice(0, 3).padEnd(3, "0"));
  if (month < 1 || month > 12) return fail(`month ${month} is not 1-12`);
  if (day < 1 || day > daysIn(year, month)) return fail(`day ${day} is not in ${year}-${String(month).padStart(2, "0")}`);
  if (hour > 23 || minute > 59 || second > 59) return fail("the time of day is out of range");
  // Date.UTC reads years 0..99 as 1900..1999; setUTCFullYear does not.
  const wall = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms)).setUTCFullYear(year);
  const offsetText = match[8];
  if (offsetText === undefined) return { ok: true, ms: instantOf(zone, wall) };
  if (offsetText === "Z" || offsetText === "z") return { ok: true, ms: wall };
  const digits = offsetText.slice(1).replace(":", "");
  const offset = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * 60_000;
  if (offset > 18 * 3_600_000) return fail("the offset is beyond ±18:00");
  return { ok: true, ms: offsetText.startsWith("-") ? wall + offset : wall - offset };
}

/** A date with a time of day, as triggers take them (`at`, `start`, `end`): a date alone is refused there. */
export function isDateTime(text: string): boolean {
  const match = PATTERN.exec(text.trim());
  return match !== null && match[4] !== undefined && parseTime(text, "UTC").ok;
}

/** Whether the text names its offset (`Z`, `+01:00`): then it is one instant whatever the zone. */
export function hasOffset(text: string): boolean {
  return PATTERN.exec(text.trim())?.[8] !== undefined;
}

/** The instant of a time, or throw with parseTime's message. */
export function timeOf(text: string, zone: string): number {
  const parsed = parseTime(text, zone);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.ms;
}
