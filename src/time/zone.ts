/**
 * Wall clocks of IANA time zones, from the platform's Intl data (no tz
 * library: Node ships the tz database).
 *
 * A "wall" value is a local date and time encoded as if it were UTC epoch ms
 * (`Date.UTC(y, m, d, h, min, s)`), so that calendar maths on it never meets
 * DST. The two maps between walls and instants carry Spire's DST rules:
 * a wall time that occurs twice (fall back) means its first occurrence; a wall
 * time that does not exist (spring forward) means the first instant after the
 * gap. Both rules make the map wall -> instant monotone (non-decreasing),
 * which the schedules rely on.
 */

import { readlinkSync } from "node:fs";
import { suggest } from "../definitions/suggest.js";

const SECOND = 1000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let found = formatters.get(zone);
  if (found === undefined) {
    found = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, found);
  }
  return found;
}

/**
 * What is wrong with a zone's name (with the known name closest to it, if
 * one is), or undefined when the zone is known. How a name is written (an
 * IANA name such as Europe/Berlin) the caller says, once, as fits its place.
 */
export function checkZone(zone: string): string | undefined {
  if (isUtcName(zone)) return undefined;
  try {
    formatter(zone);
    return undefined;
  } catch {
    const close = suggest(zone, Intl.supportedValuesOf("timeZone"));
    return `unknown time zone "${zone}"${close === undefined ? "" : ` (did you mean ${close}?)`}`;
  }
}

const UTC_NAMES = new Set(["UTC", "Etc/UTC", "UCT", "Etc/UCT", "Universal", "Etc/Universal", "Zulu", "Etc/Zulu", "GMT", "Etc/GMT"]);
const isUtcName = (zone: string): boolean => UTC_NAMES.has(zone);

let system: string | undefined;

/**
 * The zone Node runs in (TZ, or the system's), for triggers without `timezone`.
 * A machine on UTC (most servers) is recognised without Intl: the first use
 * of Intl's time zones maps ~7 MB of ICU data into the process for good,
 * and a UTC engine never needs it (offsetAt knows UTC's offset).
 */
export function systemZone(): string {
  return (system ??= utcWithoutIntl() ?? new Intl.DateTimeFormat().resolvedOptions().timeZone);
}

function utcWithoutIntl(): "UTC" | undefined {
  const tz = process.env.TZ;
  if (tz !== undefined && tz !== "") return isUtcName(tz.replace(/^:/, "")) ? "UTC" : undefined;
  try {
    const target = readlinkSync("/etc/localtime");
    return isUtcName(target.replace(/^.*zoneinfo\//, "")) ? "UTC" : undefined;
  } catch {
    return undefined; // no such link (macOS has one too; a container may not): ask Intl
  }
}

export const floorSecond = (ms: number): number => Math.floor(ms / SECOND) * SECOND;

// Schedules ask for the same few instants again and again (a day either
// side of each wall time); formatToParts costs microseconds, a lookup nothing.
const offsetCache = new Map<string, Map<number, number>>();
const OFFSET_CACHE_SIZE = 4096;

/** UTC offset in ms at an instant (whole seconds: historical offsets have seconds). */
export function offsetAt(zone: string, instant: number): number {
  if (isUtcName(zone)) return 0;
  const at = floorSecond(instant);
  let cache = offsetCache.get(zone);
  if (cache === undefined) offsetCache.set(zone, (cache = new Map()));
  const cached = cache.get(at);
  if (cached !== undefined) return cached;
  const offset = computeOffset(zone, at);
  if (cache.size >= OFFSET_CACHE_SIZE) cache.clear();
  cache.set(at, offset);
  return offset;
}

function computeOffset(zone: string, at: number): number {
  const parts: Record<string, string> = {};
  for (const part of formatter(zone).formatToParts(new Date(at))) parts[part.type] = part.value;
  let year = Number(parts.year);
  if (parts.era === "BC" || parts.era === "B") year = 1 - year;
  const wall = Date.UTC(year, Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  // Date.UTC maps years 0..99 to 1900..1999; setUTCFullYear does not.
  const fixed = year >= 0 && year < 100 ? new Date(wall).setUTCFullYear(year) : wall;
  return fixed - at;
}

/** The wall reading of an instant. */
export function wallOf(zone: string, instant: number): number {
  return instant + offsetAt(zone, instant);
}

/**
 * The first whole-second instant in (lo, hi] whose offset is the offset at
 * `hi`; the caller knows that the offset at `lo` differs.
 */
export function transitionIn(zone: string, lo: number, hi: number): number {
  const target = offsetAt(zone, hi);
  let low = floorSecond(lo);
  let high = floorSecond(hi);
  while (high - low > SECOND) {
    const mid = floorSecond(low + (high - low) / 2);
    if (offsetAt(zone, mid) === target) high = mid;
    else low = mid;
  }
  return high;
}

/**
 * The instant of a wall time: its first occurrence, or, inside a
 * spring-forward gap, the first instant after the gap.
 */
export function instantOf(zone: string, wall: number): number {
  const whole = floorSecond(wall);
  const rest = wall - whole;
  // Offsets are at most ±26 h, so the offsets a day either side bracket any
  // transition near this wall time.
  const offsets = [...new Set([offsetAt(zone, whole - DAY), offsetAt(zone, whole), offsetAt(zone, whole + DAY)])];
  let first: number | undefined;
  for (const offset of offsets) {
    const candidate = whole - offset;
    if (offsetAt(zone, candidate) === offset && (first === undefined || candidate < first)) first = candidate;
  }
  if (first !== undefined) return first + rest;
  // A gap: the offset grows across it. Before the transition the wall reads
  // earlier than `wall`, after it later; the transition is the answer.
  const low = whole - Math.max(...offsets);
  const high = whole - Math.min(...offsets);
  return transitionIn(zone, low, high);
}

/**
 * Where the walls at or after an instant's wall reading start to map back
 * to instants after it. Normally the instant's own wall reading; in the
 * second pass of a fall-back overlap, the end of the overlap (walls before it
 * already had their first occurrence).
 */
export function wallFloor(zone: string, instant: number): { wall: number; repeatedUntil?: number } {
  const at = floorSecond(instant);
  const wall = wallOf(zone, instant);
  const first = instantOf(zone, floorSecond(wall));
  if (first >= at) return { wall };
  const transition = transitionIn(zone, first, at);
  return { wall, repeatedUntil: wallOf(zone, transition) + (at - first) };
}

const pad = (value: number, width = 2): string => String(Math.abs(value)).padStart(width, "0");

/** An offset as ISO 8601 writes it: +02:00, -04:56:02 (historical), +00:00. */
export function formatOffset(offsetMs: number): string {
  const sign = offsetMs < 0 ? "-" : "+";
  const total = Math.round(Math.abs(offsetMs) / SECOND);
  const text = `${sign}${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}`;
  return total % 60 === 0 ? text : `${text}:${pad(total % 60)}`;
}

/** An instant as ISO 8601 in a zone's local time with its offset: 2026-03-29T03:00:00+02:00. */
export function formatInZone(instant: number, zone: string): string {
  const offset = offsetAt(zone, instant);
  const wall = new Date(instant + offset);
  const year = wall.getUTCFullYear();
  const yearText = year >= 0 && year <= 9999 ? pad(year, 4) : (year < 0 ? "-" : "+") + pad(year, 6);
  const ms = wall.getUTCMilliseconds();
  return (
    `${yearText}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}` +
    `T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}:${pad(wall.getUTCSeconds())}` +
    (ms === 0 ? "" : `.${pad(ms, 3)}`) +
    formatOffset(offset)
  );
}
