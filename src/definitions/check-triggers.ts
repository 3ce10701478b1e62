/**
 * Triggers, field by field, with the same rules the engine schedules by
 * (time/schedule.ts triggerProblems): a cron croner accepts in Spire's
 * dialect, an IANA zone, ISO 8601 date-times, end after start. Given the
 * time now, a time already past is a warning: the file stays valid (it was
 * valid yesterday), but the trigger will never fire. `watch` and `after`
 * are checked in check-event-triggers.ts.
 */
import type { CheckContext } from "./check-context.js";
import { checkEventTriggers } from "./check-event-triggers.js";
import type { PathSegment } from "./errors.js";
import { rawPipelines } from "./raw-walk.js";
import { suggest } from "./suggest.js";
import { isRecord } from "./zod-issues.js";
import { hasOffset, parseTime } from "../time/datetime.js";
import { triggerProblems, type TriggerProblem, type TriggerTimeFields } from "../time/schedule.js";
import { checkZone } from "../time/zone.js";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const EXAMPLE = "an ISO 8601 date-time such as 2026-12-24T18:00:00+01:00";
/** A wall time without a zone is read in the engine's zone; it is past everywhere once it is past at UTC-12. */
const LATEST_OFFSET_MS = 12 * 3_600_000;

export function checkTriggers(root: unknown, context: CheckContext, now?: number): void {
  for (const pipeline of rawPipelines(root)) {
    const triggers = pipeline.pipeline["triggers"];
    if (!Array.isArray(triggers)) continue;
    triggers.forEach((trigger, index) => {
      if (!isRecord(trigger)) return;
      const path = [...pipeline.path, "triggers", index];
      const fields = timeFields(trigger);
      const problems = triggerProblems(fields, "UTC");
      for (const problem of problems) report(problem, fields, path, context);
      if (now !== undefined) warnIfPast(fields, problems, path, context, now);
    });
  }
  checkEventTriggers(root, context);
}

/** The fields that decide the schedule, where they have the type the schema wants (it reports the others). */
function timeFields(trigger: Record<string, unknown>): TriggerTimeFields {
  const fields: TriggerTimeFields = {};
  for (const key of ["cron", "timezone", "at", "start", "end"] as const) {
    const value = trigger[key];
    if (typeof value === "string") fields[key] = value;
  }
  for (const key of ["align", "after_finish"] as const) {
    if (typeof trigger[key] === "boolean") fields[key] = trigger[key];
  }
  if (trigger["every"] !== undefined) fields.every = trigger["every"];
  return fields;
}

function report(problem: TriggerProblem, fields: TriggerTimeFields, path: PathSegment[], context: CheckContext): void {
  const where = [...path, problem.field];
  const text = fields[problem.field];
  if (problem.code === "zone" && typeof text === "string") {
    const guess = suggest(text, knownZones());
    context.report(where, `unknown time zone ${JSON.stringify(text)}`, {
      expected: "an IANA time zone such as Europe/Berlin or UTC",
      ...(guess !== undefined ? { hint: `did you mean \`${guess}\`?` } : {}),
    });
  } else if (problem.code === "time" && typeof text === "string") {
    // "not a date or date-time" says nothing the message does not; a day or month out of range does.
    const reason = problem.reason === undefined || /^not a date/.test(problem.reason) ? "" : `: ${problem.reason}`;
    context.report(where, `${JSON.stringify(text)} is not a date and time${reason}`, {
      expected: EXAMPLE,
      ...(ISO_DATE.test(text.trim()) ? { hint: `add a time: ${text.trim()}T00:00:00` } : {}),
    });
  } else {
    // A cron's message points at the field it is about.
    const position = problem.part !== undefined ? context.inside(where, problem.part) : undefined;
    context.report(where, problem.message, {}, position);
  }
}

function warnIfPast(fields: TriggerTimeFields, problems: TriggerProblem[], path: PathSegment[], context: CheckContext, now: number): void {
  const zone = fields.timezone !== undefined && !problems.some((problem) => problem.field === "timezone") ? fields.timezone : undefined;
  const past = (key: "at" | "end"): boolean => {
    const text = fields[key];
    if (text === undefined || problems.some((problem) => problem.field === key)) return false;
    const parsed = parseTime(text, zone ?? "UTC");
    const latest = parsed.ok ? parsed.ms + (zone === undefined && !hasOffset(text) ? LATEST_OFFSET_MS : 0) : Infinity;
    return latest <= now;
  };
  if (past("at")) {
    context.warn([...path, "at"], `${fields.at} is past, so this trigger will never fire`, {
      hint: "give a later time, or remove the trigger (spire run PIPELINE starts a run now)",
    });
  } else if (past("end")) {
    context.warn([...path, "end"], `${fields.end} is past, so this trigger will not fire again`, { hint: "give a later end, or remove the trigger" });
  }
}

export function isTimeZone(zone: string): boolean {
  return zone.trim() !== "" && checkZone(zone) === undefined;
}

let zones: string[] | undefined;
function knownZones(): string[] {
  zones ??= Intl.supportedValuesOf("timeZone");
  return zones;
}
