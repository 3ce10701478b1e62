/**
 * The `missed` records of the scheduler: which slots passed unrun (the
 * engine was not looking, the pipeline was paused, a slot's run could not
 * be made), listed and counted within bounds, with why.
 */
import type { PipelineDef } from "../../definitions/schema.js";
import type { MissedSlots, PipelineRow, SlotClaim, Store } from "../../store/port.js";
import { triggerKey } from "../../store/schedule-keys.js";
import { countSlots, isTimeTrigger, missedSlots, scheduleOf, type TriggerSchedule } from "../../time/index.js";

/** A missed record lists at most this many slots (the newest); the rest are counted. */
export const MISSED_LISTED = 100;
/** Counting missed slots walks at most this many (a cron cannot be counted by arithmetic). */
const MISSED_COUNT_CAP = 1_000;

/** The missed record of a catch-up's missed slots (non-empty) after `from`: listed up to MISSED_LISTED, counted up to MISSED_COUNT_CAP. */
export function missedRecord(schedule: TriggerSchedule, from: number, due: { missed: number[]; more: boolean }, reason: string): MissedSlots {
  const last = due.missed[due.missed.length - 1]!;
  const counted = due.more ? countSlots(schedule, from, last, MISSED_COUNT_CAP) : { count: due.missed.length, exact: true };
  return { count: counted.count, count_exact: counted.exact, first_slot: due.more ? (schedule.next(from) ?? due.missed[0]!) : due.missed[0]!, last_slot: last, slots: due.missed, reason };
}

export function catchupReason(definition: PipelineDef): string {
  const passed = "the slots passed while the engine was not looking (stopped, asleep or busy)";
  if (definition.catchup === "none") return `${passed}; catchup: none runs none of them`;
  if (definition.catchup === "latest") return `${passed}; catchup: latest runs only the newest`;
  return `${passed}; catchup: all runs at most catchup_limit (${definition.catchup_limit}) of them`;
}

/** The missed record, with the slots whose run could not be made added to it. */
export function withFailures(missed: MissedSlots | undefined, failed: { slot: number; error: string }[]): MissedSlots | undefined {
  if (failed.length === 0) return missed;
  const slots = [...(missed?.slots ?? []), ...failed.map((failure) => failure.slot)].sort((a, b) => a - b).slice(-MISSED_LISTED);
  const reasons = [...new Set(failed.map((failure) => `its run could not be made: ${failure.error}`))];
  return {
    count: (missed?.count ?? 0) + failed.length,
    count_exact: missed?.count_exact ?? true,
    first_slot: Math.min(missed?.first_slot ?? Infinity, failed[0]!.slot),
    last_slot: Math.max(missed?.last_slot ?? -Infinity, failed[failed.length - 1]!.slot),
    slots,
    reason: [...(missed ? [missed.reason] : []), ...reasons].join("; "),
  };
}

/**
 * A paused pipeline is resumed: the claims that record the slots passed
 * while it was paused as missed (reason: paused). They never run late,
 * whatever its catchup says: catch-up is for time the engine did not see,
 * not for a pause someone asked for.
 */
export async function pausedSlotClaims(store: Pick<Store, "ensureSchedule">, defaultZone: string, row: PipelineRow, at: number): Promise<SlotClaim[]> {
  const definition = row.definition as PipelineDef;
  const claims: SlotClaim[] = [];
  for (const [index, trigger] of definition.triggers.entries()) {
    if (!isTimeTrigger(trigger)) continue;
    const key = triggerKey(index, trigger.kind);
    const stored = await store.ensureSchedule(row.namespace, row.name, key, at);
    let schedule: TriggerSchedule;
    try {
      schedule = scheduleOf(trigger, { defaultZone, anchor: stored.anchor, key: `${row.namespace}/${row.name}/${key}` });
    } catch {
      continue; // the scheduler's refresh says why it cannot be scheduled
    }
    const from = stored.last_slot ?? stored.anchor;
    // A grace below zero: no slot up to now is on time.
    const due = missedSlots(schedule, from, at, "none", 1, { grace: -1, maxListed: MISSED_LISTED });
    if (due.missed.length === 0) continue;
    claims.push({ namespace: row.namespace, pipeline: row.name, trigger_key: key, runs: [], missed: missedRecord(schedule, from, due, "the pipeline was paused") });
  }
  return claims;
}
