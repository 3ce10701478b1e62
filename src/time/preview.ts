/**
 * What `spire next` and the MCP server's schedule preview both say: the time
 * triggers of a pipeline (or one cron expression) in plain words, and their
 * next fire times merged in order. A problem comes back as words, for each
 * caller to raise its own way.
 *
 * Two kinds of subject. A schedule nobody applied (a cron, "every 7m", a
 * pipeline read from a file) is read as if applied now: an unaligned `every`
 * counts from now (or from `from`), and says so. A pipeline the engine has
 * fires when the engine's scheduler says (GET /pipelines/{ns}/{name}:
 * trigger_info[].next), since an unaligned `every` counts from the anchor the
 * engine stored when it first scheduled it, which only the engine knows.
 */
import type { TriggerDef } from "../definitions/schema.js";
import { checkCron } from "./cron.js";
import { describeTrigger, nextTimes, type NextTime } from "./describe.js";
import { checkTrigger, isTimeTrigger, scheduleOf, type Schedule } from "./schedule.js";
import { formatInZone } from "./zone.js";

/** `note`: why fewer times (or none) are listed than asked for, when it is not that the schedule ended. */
export type SchedulePreview = { ok: true; description: string; next: NextTime[]; note?: string } | { ok: false; problem: string; hint: string };

export const CRON_HINT = "A cron has 5 fields (minute hour day month weekday), or 6 with seconds first; or @hourly, @daily, @weekly, @monthly, @yearly.";

/** The most next slots of each trigger the engine gives at once (GET /pipelines/{ns}/{name}?next=N). */
export const ENGINE_SLOTS_MAX = 100;

export interface PreviewOptions {
  /** The zone of triggers that name none, and the times are shown in. */
  zone: string;
  /** The times after this one; undefined: after now. */
  from?: number;
  now: number;
  count: number;
}

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

/** An `every` whose slots count from an anchor: unaligned, without `start`, and not a fixed delay (which follows its runs' ends). */
function countsFromAnchor(trigger: TriggerDef): boolean {
  return trigger.kind === "every" && trigger.align !== true && trigger.start === undefined && trigger.after_finish !== true;
}

/** The time triggers, or why there are none or one cannot be scheduled. */
function timedOrProblem(subject: string, triggers: readonly TriggerDef[], zone: string): { ok: true; timed: TriggerDef[] } | { ok: false; problem: string; hint: string } {
  const timed = triggers.filter(isTimeTrigger);
  if (timed.length === 0) return { ok: false, problem: `${subject} has no time triggers (cron, every, at)`, hint: "Its runs start by hand, webhook, file change or another pipeline." };
  // A file was checked when it was loaded; a definition from the engine may predate today's checks.
  for (const trigger of timed) {
    const problem = checkTrigger(trigger, { defaultZone: zone });
    if (problem !== undefined) {
      return { ok: false, problem: `${subject}: a trigger cannot be scheduled: ${problem}`, hint: "Fix it in its definitions file (spire validate -f FILE says where) and apply it again." };
    }
  }
  return { ok: true, timed };
}

/** Each trigger's times (after its own `from`), merged in time order. */
function merged(each: { trigger: TriggerDef; schedule: Schedule | undefined; from: number }[], options: PreviewOptions): NextTime[] {
  return each
    .flatMap(({ trigger, schedule, from }) => (schedule ? nextTimes(schedule, from, options.count, trigger.timezone ?? options.zone) : []))
    .sort((a, b) => a.at - b.at)
    .slice(0, options.count);
}

/**
 * A schedule nobody applied (`subject` names it in the messages): read as
 * if applied at `from` (now when not given), which is where an unaligned
 * `every` counts from, as an engine would count it from when it is applied.
 */
export function previewSchedule(subject: string, triggers: readonly TriggerDef[], options: PreviewOptions): SchedulePreview {
  const checked = timedOrProblem(subject, triggers, options.zone);
  if (!checked.ok) return checked;
  // Now to the second: the times read better, and a second is no difference here.
  const from = options.from ?? Math.floor(options.now / 1000) * 1000;
  const countedFrom = options.from === undefined ? "now" : formatInZone(from, options.zone).replace("T", " ");
  const description = checked.timed
    .map((trigger) => describeTrigger(trigger, { defaultZone: options.zone }) + (countsFromAnchor(trigger) ? `, counted from ${countedFrom}` : ""))
    .join("; ");
  const next = merged(
    checked.timed.map((trigger) => ({ trigger, schedule: scheduleOf(trigger, { defaultZone: options.zone, anchor: from }), from })),
    options,
  );
  return { ok: true, description, next };
}

/** A pipeline as the engine answers for it (GET /pipelines/{ns}/{name}, SpireClient.getPipeline): what a preview needs of it. */
export interface AppliedPipeline {
  paused: boolean;
  definition: { triggers: readonly TriggerDef[] };
  /**
   * In the order of `definition.triggers`: each one in the engine's words and the zone it is read in there (the
   * engine's, for a trigger without `timezone`: not always this machine's), and its next slots as the engine's
   * scheduler has them (empty when it has none).
   */
  trigger_info: readonly { description?: string; zone?: string | null; next?: readonly { at: string }[] }[];
}

/**
 * A pipeline the engine has. `asked`: how many next slots of each trigger
 * the engine was asked for. `engineRunning`: false when the answer came from
 * an engine in this process (none is running), whose scheduler has no slots:
 * then the times that do not depend on the engine are listed, and the rest
 * is said.
 */
export function previewAppliedSchedule(subject: string, pipeline: AppliedPipeline, options: PreviewOptions & { asked: number; engineRunning: boolean }): SchedulePreview {
  const triggers = pipeline.definition.triggers;
  const checked = timedOrProblem(subject, triggers, options.zone);
  if (!checked.ok) return checked;
  const notes: string[] = [];
  if (pipeline.paused) notes.push(`${subject} is paused: it fires nothing until it is resumed`);
  else if (!options.engineRunning) notes.push("no engine is running: nothing fires until one runs (spire engine)");
  const described: string[] = [];
  const each: { trigger: TriggerDef; schedule: Schedule | undefined; from: number }[] = [];
  for (const [index, trigger] of triggers.entries()) {
    if (!isTimeTrigger(trigger)) continue;
    let words = describeTrigger(trigger, { defaultZone: options.zone });
    if (!options.engineRunning) {
      // Slots the engine counts from its first sight of the trigger (or its runs' ends): unknown until one runs.
      const engineBound = countsFromAnchor(trigger) || trigger.after_finish === true;
      if (countsFromAnchor(trigger)) words += ", counted from when the engine first scheduled it";
      described.push(words);
      each.push({ trigger, schedule: pipeline.paused || engineBound ? undefined : scheduleOf(trigger, { defaultZone: options.zone }), from: options.from ?? options.now });
      continue;
    }
    // The engine reads a trigger without a zone in its own, which may not be this machine's.
    const info = pipeline.trigger_info[index];
    if (info?.description !== undefined) words = info.description;
    described.push(words);
    const slots = (info?.next ?? []).map((slot) => Date.parse(slot.at)).filter((at) => !Number.isNaN(at));
    if (trigger.after_finish === true && slots.length === 0 && !pipeline.paused) notes.push(`${words}: the next start waits for the run under way to end`);
    // The engine's first slot may lie just before now, waiting out its jitter: shown all the same.
    each.push({ trigger, schedule: engineSchedule(trigger, slots, { ...options, readIn: info?.zone ?? options.zone }), from: options.from ?? Math.min(options.now, (slots[0] ?? Infinity) - 1) });
  }
  const next = merged(each, options);
  return { ok: true, description: described.join("; "), next, ...(notes.length > 0 ? { note: notes.join("; ") } : {}) };
}

/**
 * The engine's slots; past the last of them (when the engine gave as many as
 * it was asked for, so that there may be more) the trigger's schedule goes on
 * from that slot, which is where an `every` counts from on the engine too. A
 * fixed delay has only the slot it waits for.
 */
function engineSchedule(trigger: TriggerDef, slots: readonly number[], options: { asked: number; readIn: string }): Schedule {
  const last = slots.at(-1);
  const rest = last !== undefined && slots.length >= options.asked && trigger.after_finish !== true ? scheduleOf(trigger, { defaultZone: options.readIn, anchor: last }) : undefined;
  return {
    next: (after) => slots.find((slot) => slot > after) ?? rest?.next(Math.max(after, last!)),
    prev: () => undefined,
  };
}
