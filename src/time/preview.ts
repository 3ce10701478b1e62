/**
 * What `spire next` and the MCP server's schedule preview both say: the time
 * triggers of a pipeline (or one cron expression) in plain words, and their
 * next fire times merged in order. A problem comes back as words, for each
 * caller to raise its own way.
 */
import type { TriggerDef } from "../definitions/schema.js";
import { checkCron } from "./cron.js";
import { describeTrigger, nextTimes, type NextTime } from "./describe.js";
import { checkTrigger, scheduleOf } from "./schedule.js";

export type SchedulePreview = { ok: true; description: string; next: NextTime[] } | { ok: false; problem: string; hint: string };

export const CRON_HINT = "A cron has 5 fields (minute hour day month weekday), or 6 with seconds first; or @hourly, @daily, @weekly, @monthly, @yearly.";

/** A schedule subject that is a cron expression rather than a pipeline name (names have no spaces and no `@`). */
export function looksLikeCron(subject: string): boolean {
  return subject.startsWith("@") || subject.trim().includes(" ");
}

/** One cron expression as a trigger, or why it is not one. */
export function cronTrigger(expression: string, timezone: string | undefined): { ok: true; trigger: TriggerDef } | { ok: false; problem: string } {
  const problem = checkCron(expression);
  if (problem) return { ok: false, problem };
  return { ok: true, trigger: { kind: "cron", cron: expression, ...(timezone ? { timezone } : {}) } };
}

/** `subject` names what the triggers belong to, in the messages. `zone` reads triggers that name none. */
export function previewSchedule(subject: string, triggers: readonly TriggerDef[], options: { zone: string; from: number; count: number }): SchedulePreview {
  const timed = triggers.filter((trigger) => ["cron", "every", "at"].includes(trigger.kind));
  if (timed.length === 0) return { ok: false, problem: `${subject} has no time triggers (cron, every, at)`, hint: "Its runs start by hand, webhook, file change or another pipeline." };
  // A file was checked when it was loaded; a definition from the engine may predate today's checks.
  for (const trigger of timed) {
    const problem = checkTrigger(trigger, { defaultZone: options.zone });
    if (problem !== undefined) {
      return { ok: false, problem: `${subject}: a trigger cannot be scheduled: ${problem}`, hint: "Fix it in its definitions file (spire validate -f FILE says where) and apply it again." };
    }
  }
  const description = timed.map((trigger) => describeTrigger(trigger, { defaultZone: options.zone })).join("; ");
  const next = timed
    .flatMap((trigger) => nextTimes(scheduleOf(trigger, { defaultZone: options.zone }), options.from, options.count, trigger.timezone ?? options.zone))
    .sort((a, b) => a.at - b.at)
    .slice(0, options.count);
  return { ok: true, description, next };
}
