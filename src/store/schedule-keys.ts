/**
 * A time trigger's schedule state (its anchor and last slot, the slots it
 * claimed) is stored under the pipeline and a key of the trigger's place
 * and kind. That state belongs to the trigger as written: when an apply
 * changes it (another cron, another interval), its state starts again at
 * the apply, or the new schedule would run the slots it had between the
 * old one's last slot and now (a review saw a cron changed from yearly to
 * every two seconds run three catch-up runs at once); and a pipeline that
 * is removed takes its schedules with it, so that one made again under its
 * name starts afresh. Pure.
 */

/** The kinds of trigger that have a schedule. */
const TIMED = new Set(["cron", "every", "at"]);

/** A trigger's key among its pipeline's: its place and kind ("0:cron"), for its schedule and in its runs' trigger_key. */
export function triggerKey(index: number, kind: string): string {
  return `${index}:${kind}`;
}

interface Trigger {
  kind: string;
  args?: unknown;
}

/** The schedule keys of `after`'s time triggers whose timing differs from `before`'s at the same key (the arguments they pass aside). */
export function changedSchedules(before: unknown, after: unknown): string[] {
  const earlier = triggersOf(before);
  return triggersOf(after).flatMap((trigger, index) => {
    if (!TIMED.has(trigger.kind)) return [];
    const previous = earlier[index];
    return previous === undefined || timing(previous) !== timing(trigger) ? [triggerKey(index, trigger.kind)] : [];
  });
}

function triggersOf(definition: unknown): Trigger[] {
  const triggers = (definition as { triggers?: unknown } | null)?.triggers;
  return Array.isArray(triggers) ? (triggers as Trigger[]) : [];
}

function timing(trigger: Trigger): string {
  const { args: _args, ...rest } = trigger;
  return JSON.stringify(rest, Object.keys(rest).sort());
}
