/**
 * Points in time as users write them (`at`, `start`, `end`, `--from`):
 * ISO 8601 dates and date-times. With an offset (`Z`, `+01:00`) the text is
 * an instant; without one it is a wall time in the trigger's zone, read with
 * the DST rules of zone.ts (a time in a gap means the end of the gap, a
 * repeated time its first occurrence).
 */
import { instantOf } from "./zone.js";

const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

export type ParsedTime = { ok: true; ms: number } | { ok: false; error: string };

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

export function parseTime(text: string, zone: string): ParsedTime {
  const match = PATTERN.exec(text.trim());
  const fail = (why: string): ParsedTime => ({
    ok: false,
    error: `time "${text}": ${why}; write ISO 8601 such as 2026-12-24T18:00:00+01:00, or 2026-12-24T18:00 (in the trigger's zone)`,
  });
  if (match === null) return fail("not a date or date-time");
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [
    number, number, number, number, number, number,
  ];
  const ms = Number((match[7] ?? "").padEnd(3, "0"));
  if (month < 1 || month > 12) return fail(`month ${month} is not 1-12`);
  if (day < 1 || day > daysIn(year, month)) return fail(`day ${day} is not in ${year}-${String(month).padStart(2, "0")}`);
  if (hour > 23 || minute > 59 || second > 59) return fail("the time of day is out of range");
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const offsetText = match[8];
  if (offsetText === undefined) return { ok: true, ms: instantOf(zone, wall) };
  if (offsetText === "Z" || offsetText === "z") return { ok: true, ms: wall };
  const digits = offsetText.slice(1).replace(":", "");
  const offset = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0)) * 60_000;
  if (offset > 18 * 3_600_000) return fail("the offset is beyond ±18:00");
  return { ok: true, ms: offsetText.startsWith("-") ? wall + offset : wall - offset };
}

/** The instant of a time, or throw with parseTime's message. */
export function timeOf(text: string, zone: string): number {
  const parsed = parseTime(text, zone);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.ms;
}
