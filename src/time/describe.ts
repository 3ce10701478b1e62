/**
 * Plain-words readings of triggers and the next times of a schedule, for
 * `spire next`, `spire show` and the API (the web UI shows them as the
 * engine words them).
 */
import { atFirstUse } from "../modules/at-first-use.js";
import type { TriggerDef } from "../definitions/schema.js";
import { expandCron } from "./cron.js";
import { timeOf } from "./datetime.js";
import type { Schedule } from "./schedule.js";
import { formatInZone, formatOffset, offsetAt } from "./zone.js";

// Its words are needed when a trigger is shown, not by an engine at rest.
const cronstrue = atFirstUse<typeof import("cronstrue").default>("cronstrue");

const UNITS: Array<[number, string]> = [
  [604_800_000, "week"],
  [86_400_000, "day"],
  [3_600_000, "hour"],
  [60_000, "minute"],
  [1_000, "second"],
  [1, "millisecond"],
];

/** 900000 -> "15 minutes", 5400000 -> "1 hour 30 minutes", 86400000 -> "1 day". */
export function formatInterval(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [size, unit] of UNITS) {
    // Weeks only when exact: "10 days" reads better than "1 week 3 days".
    if (size === 604_800_000 && rest % size !== 0) continue;
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count} ${unit}${count === 1 ? "" : "s"}`);
    rest -= count * size;
  }
  return parts.length === 0 ? "0 milliseconds" : parts.join(" ");
}

/** "every 15 minutes", "every day" (a single unit reads without the 1). */
function everyWords(ms: number): string {
  const text = formatInterval(ms);
  return `every ${text.startsWith("1 ") && !text.includes(" ", 2) ? text.slice(2) : text}`;
}

/**
 * cronstrue's reading, with "every day" where it would say nothing about
 * days. cronstrue knows less of the dialect than croner (`5#L`, `+`): what it
 * cannot read is shown as written rather than as its error text.
 */
export function describeCron(expr: string): string {
  const expanded = expandCron(expr);
  let text: string;
  try {
    // N#L is the same day as NL, which cronstrue reads.
    text = cronstrue().toString(expanded.replace(/(\d)#L\b/gi, "$1L"), { use24HourTimeFormat: true, throwExceptionOnParseError: true });
  } catch {
    return `on the cron schedule "${expanded}"`;
  }
  const fields = expanded.split(" ");
  const daysOpen = fields.slice(-3).every((field) => field === "*" || field === "?");
  return daysOpen && /^At \d/.test(text) ? `${text} every day` : text;
}

export function describeTrigger(trigger: TriggerDef, options: { defaultZone: string }): string {
  const zone = trigger.timezone ?? options.defaultZone;
  let text: string;
  switch (trigger.kind) {
    case "cron":
      text = `${describeCron(trigger.cron ?? "")} (${zone})`;
      break;
    case "every":
      if (trigger.after_finish === true) text = `${formatInterval(trigger.every ?? 0)} after each run finishes`;
      else if (trigger.align === true) {
        const calendar = (trigger.every ?? 0) >= 86_400_000;
        text = `${everyWords(trigger.every ?? 0)}, aligned to the ${calendar ? `calendar (${zone})` : "clock (UTC)"}`;
      } else text = everyWords(trigger.every ?? 0);
      break;
    case "at":
      text = `once at ${formatInZone(timeOf(trigger.at ?? "", zone), zone)}`;
      break;
    case "watch":
      text = `when files change in ${[trigger.watch ?? []].flat().join(", ")}`;
      break;
    case "webhook":
      text = "when its webhook is called";
      break;
    case "after":
      text = `after pipeline ${trigger.after?.pipeline} ends${trigger.after?.status === "any" ? "" : ` with ${trigger.after?.status}`}`;
      break;
  }
  if (trigger.start !== undefined) text += `, from ${formatInZone(timeOf(trigger.start, zone), zone)}`;
  if (trigger.end !== undefined) text += `, until ${formatInZone(timeOf(trigger.end, zone), zone)}`;
  if (trigger.jitter !== undefined && trigger.jitter > 0) text += `, delayed by up to ${formatInterval(trigger.jitter)} of jitter`;
  return text;
}

const LAST_DATE_MS = 8.64e15;

export interface NextTime {
  /** Epoch ms of the slot. */
  at: number;
  /** ISO 8601 in the zone, with its offset. */
  iso: string;
  offset: string;
  /** The zone's offset changed since the previous time (or since `from`). */
  dstChange?: { before: string; after: string };
}

/** The next `n` slots after `from`, with offset changes between them marked. */
export function nextTimes(schedule: Schedule, from: number, n: number, zone: string): NextTime[] {
  const times: NextTime[] = [];
  let previousOffset = offsetAt(zone, from);
  let cursor = from;
  while (times.length < n) {
    const at = schedule.next(cursor);
    // Past the last instant a Date can hold (year 275760) nothing can be shown.
    if (at === undefined || !(Math.abs(at) <= LAST_DATE_MS)) break;
    const offset = offsetAt(zone, at);
    const entry: NextTime = { at, iso: formatInZone(at, zone), offset: formatOffset(offset) };
    const change = changeOf(previousOffset, offset);
    if (change) entry.dstChange = change;
    times.push(entry);
    previousOffset = offset;
    cursor = at;
  }
  return times;
}

function changeOf(before: number, after: number): { before: string; after: string } | undefined {
  return before === after ? undefined : { before: formatOffset(before), after: formatOffset(after) };
}

/** The zone's UTC offset at `at` differs from its offset at `from`: the clocks change between them (DST). */
export function offsetChange(zone: string, from: number, at: number): { before: string; after: string } | undefined {
  return changeOf(offsetAt(zone, from), offsetAt(zone, at));
}
