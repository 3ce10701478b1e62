/**
 * Triggers as schedules: pure functions from an instant to the next slot.
 * Every time is epoch ms and every `now` is a parameter (DESIGN habit 2).
 *
 * A slot is identified by its scheduled (unjittered) instant; with the
 * pipeline and the trigger it is the unique key of a run (DESIGN habit 3).
 */
import type { TriggerDef } from "../definitions/schema.js";
import { cronSchedule, explainCron } from "./cron.js";
import { isDateTime, parseTime, timeOf } from "./datetime.js";
import { jitterOf } from "./jitter.js";
import { wallMultiples, wallSchedule } from "./wall-schedule.js";
import { checkZone } from "./zone.js";

export interface Schedule {
  /** The first slot strictly after `after`, or undefined when none is left. */
  next(after: number): number | undefined;
  /** The last slot at or before `atOrBefore`, or undefined (catch-up walks back with it). */
  prev(atOrBefore: number): number | undefined;
  /** How many slots lie in (after, atOrBefore], when the schedule can tell without walking them. */
  count?(after: number, atOrBefore: number): number;
}

export interface TriggerSchedule extends Schedule {
  kind: "cron" | "every" | "at";
  zone: string;
  /**
   * `every` with `after_finish`: a fixed delay. `next(finishedAt)` is the
   * next start; there are no slots to catch up (`prev` is always undefined).
   * The first run is due at `next(createdAt - every)` (immediately).
   */
  fixedDelay: boolean;
  /** When the slot is due to fire: the slot plus its deterministic jitter. */
  fireAt(slot: number): number;
}

export interface ScheduleOptions {
  /** The zone of triggers without `timezone` (the engine's local zone). */
  defaultZone: string;
  /**
   * Where an unaligned `every` without `start` counts from: the engine passes
   * the time the trigger was first applied, so slots stay put across
   * restarts. Default 0, which is the same as aligning to the UTC clock.
   */
  anchor?: number;
  /** Names the trigger for jitter (such as "ns/pipeline/0"); default: its definition. */
  key?: string;
}

const DAY = 86_400_000;

/** Fixed rate: anchor + k·interval, k ≥ 0. Real time, so DST does not exist here. */
export function everySchedule(interval: number, anchor: number): Schedule {
  return {
    next: (after) => (after < anchor ? anchor : anchor + (Math.floor((after - anchor) / interval) + 1) * interval),
    prev: (atOrBefore) =>
      atOrBefore < anchor ? undefined : anchor + Math.floor((atOrBefore - anchor) / interval) * interval,
    // Slots at or before t: floor((t - anchor) / interval) + 1 when t ≥ anchor.
    count: (after, atOrBefore) => {
      const upTo = (t: number) => (t < anchor ? 0 : Math.floor((t - anchor) / interval) + 1);
      return Math.max(0, upTo(atOrBefore) - upTo(after));
    },
  };
}

/** Once. */
export function onceSchedule(at: number): Schedule {
  return {
    next: (after) => (at > after ? at : undefined),
    prev: (atOrBefore) => (at <= atOrBefore ? at : undefined),
    count: (after, atOrBefore) => (at > after && at <= atOrBefore ? 1 : 0),
  };
}

/** Slots in [start, end): start inclusive, end exclusive, so consecutive ranges do not share a slot. */
export function boundedSchedule(inner: Schedule, start?: number, end?: number): Schedule {
  if (start === undefined && end === undefined) return inner;
  const low = start ?? -Infinity;
  const high = end ?? Infinity;
  const bounded: Schedule = {
    next(after) {
      const slot = inner.next(Math.max(after, low - 1));
      return slot !== undefined && slot < high ? slot : undefined;
    },
    prev(atOrBefore) {
      const slot = inner.prev(Math.min(atOrBefore, high - 1));
      return slot !== undefined && slot >= low ? slot : undefined;
    },
  };
  if (inner.count) {
    const count = inner.count;
    bounded.count = (after, atOrBefore) => {
      const from = Math.max(after, low - 1);
      const to = Math.min(atOrBefore, high - 1);
      return to > from ? count(from, to) : 0;
    };
  }
  return bounded;
}

/**
 * Fixed delay: `next(finishedAt)` is finishedAt + interval, not before
 * `start`; bounds are applied here, as a delay has no grid to clip.
 */
function delaySchedule(interval: number, start = -Infinity, end = Infinity): Schedule {
  return {
    next: (after) => {
      const slot = Math.max(after + interval, start);
      return slot < end ? slot : undefined;
    },
    prev: () => undefined,
  };
}

/** The fields of a trigger that decide whether it can be scheduled (as written: `every` only counts as present). */
export type TriggerTimeFields = Partial<Pick<TriggerDef, "cron" | "timezone" | "at" | "start" | "end" | "align" | "after_finish">> & { every?: unknown };

export interface TriggerProblem {
  field: "cron" | "timezone" | "at" | "start" | "end" | "align";
  /** `time`: the text is not a date and time; `zone`: not a known zone; `rule`: anything else. */
  code: "time" | "zone" | "rule";
  /** Says which field itself (`cron "…": …`, `time "…": …`). */
  message: string;
  /** The part of the field's text the message is about, such as a cron's field. */
  part?: string;
  /** For `time`: what is wrong with it, in a few words ("month 13 is not 1-12"). */
  reason?: string;
}

/**
 * Every reason a trigger cannot be scheduled, by field. Validation and the
 * engine both ask this, so a file that validates is one the engine schedules.
 * Pure: a time already past is no problem here (that depends on the clock).
 */
export function triggerProblems(trigger: TriggerTimeFields, defaultZone: string): TriggerProblem[] {
  const problems: TriggerProblem[] = [];
  const given = trigger.timezone ?? defaultZone;
  const zoneProblem = checkZone(given);
  if (zoneProblem !== undefined) problems.push({ field: "timezone", code: "zone", message: `${zoneProblem}: use an IANA name such as Europe/Berlin, America/New_York or UTC` });
  // Times without an offset are read in the zone; with an unknown one, any fixed zone still tells good from bad.
  const zone = zoneProblem === undefined ? given : "UTC";
  if (trigger.cron !== undefined) {
    const cron = explainCron(trigger.cron);
    if (cron !== undefined) problems.push({ field: "cron", code: "rule", message: cron.message, ...(cron.field !== undefined ? { part: cron.field } : {}) });
  }
  const times: Partial<Record<"at" | "start" | "end", number>> = {};
  for (const key of ["at", "start", "end"] as const) {
    const text = trigger[key];
    if (text === undefined) continue;
    const parsed = parseTime(text, zone);
    if (!parsed.ok) problems.push({ field: key, code: "time", message: parsed.error, reason: parsed.reason });
    else if (!isDateTime(text)) problems.push({ field: key, code: "time", message: `time "${text}": a date needs a time of day here, such as ${text.trim()}T00:00:00` });
    else times[key] = parsed.ms;
  }
  const { at, start, end } = times;
  if (start !== undefined && end !== undefined && end <= start) problems.push({ field: "end", code: "rule", message: "must be after start" });
  else if (at !== undefined && ((start !== undefined && at < start) || (end !== undefined && at >= end))) {
    problems.push({ field: "at", code: "rule", message: `is ${start !== undefined && at < start ? "before start" : "at or after end"}, so it never fires` });
  }
  if (trigger.every !== undefined && trigger.align === true && trigger.after_finish === true) {
    problems.push({ field: "align", code: "rule", message: "a fixed delay (after_finish) follows the previous run, not the clock; remove one" });
  }
  return problems;
}

/** Why a time-based trigger cannot be scheduled, or undefined when it can. */
export function checkTrigger(trigger: TriggerDef, options: Pick<ScheduleOptions, "defaultZone">): string | undefined {
  const problems = triggerProblems(trigger, options.defaultZone).map((problem) =>
    problem.field === "cron" ? problem.message : `${problem.field}: ${problem.message}`,
  );
  return problems.length === 0 ? undefined : problems.join("; ");
}

/** The schedule of a cron, every or at trigger (throws with checkTrigger's message). */
export function scheduleOf(trigger: TriggerDef, options: ScheduleOptions): TriggerSchedule {
  const problem = checkTrigger(trigger, options);
  if (problem !== undefined) throw new Error(problem);
  const zone = trigger.timezone ?? options.defaultZone;
  const start = trigger.start === undefined ? undefined : timeOf(trigger.start, zone);
  const end = trigger.end === undefined ? undefined : timeOf(trigger.end, zone);
  let kind: TriggerSchedule["kind"];
  let inner: Schedule;
  let fixedDelay = false;
  if (trigger.kind === "cron" && trigger.cron !== undefined) {
    kind = "cron";
    inner = cronSchedule(trigger.cron, zone);
  } else if (trigger.kind === "every" && trigger.every !== undefined) {
    kind = "every";
    const interval = trigger.every;
    if (trigger.after_finish === true) {
      fixedDelay = true;
      inner = delaySchedule(interval, start, end);
    } else if (trigger.align === true) {
      // Days and longer follow the local calendar (every 1d: local midnight);
      // shorter intervals follow the UTC clock, so DST cannot bend them.
      inner = interval >= DAY ? wallSchedule(wallMultiples(interval), zone) : everySchedule(interval, 0);
    } else {
      inner = everySchedule(interval, start ?? options.anchor ?? 0);
    }
  } else if (trigger.kind === "at" && trigger.at !== undefined) {
    kind = "at";
    inner = onceSchedule(timeOf(trigger.at, zone));
  } else {
    throw new Error(`a ${trigger.kind} trigger has no schedule: it fires on events, not on the clock`);
  }
  const bounded = fixedDelay ? inner : boundedSchedule(inner, start, end);
  const key = options.key ?? JSON.stringify([trigger.kind, trigger.cron ?? trigger.every ?? trigger.at, zone]);
  const jitter = trigger.jitter ?? 0;
  return {
    kind,
    zone,
    fixedDelay,
    next: (after) => bounded.next(after),
    prev: (atOrBefore) => bounded.prev(atOrBefore),
    ...(bounded.count ? { count: bounded.count } : {}),
    fireAt: (slot) => slot + jitterOf(key, slot, jitter),
  };
}

/** Whether a trigger kind is driven by the clock (the others fire on events). */
export const isTimeTrigger = (trigger: TriggerDef): boolean =>
  trigger.kind === "cron" || trigger.kind === "every" || trigger.kind === "at";
