/**
 * The next slots of a pipeline's time triggers, as `spire next` shows them
 * (src/time nextTimes): from the scheduler's own schedules, so an `every`
 * counts from the anchor the engine fires by, with the UTC offset changes
 * between consecutive slots marked (a DST change in the trigger's zone).
 */
import type { TriggerDef } from "../../definitions/schema.js";
import { nextTimes, offsetChange, type Schedule, type TriggerSchedule } from "../../time/index.js";
import type { UpcomingSlot } from "../service.js";

export interface ScheduledTrigger {
  key: string;
  trigger: TriggerDef;
  schedule: TriggerSchedule;
  /** The slot the scheduler waits for; undefined when none is left, or a fixed delay waits for its run to end. */
  next?: { slot: number; fireAt: number };
}

/** The zone a trigger's slots are read in. */
export function zoneOf(scheduled: ScheduledTrigger, defaultZone: string): string {
  return scheduled.schedule.zone ?? scheduled.trigger.timezone ?? defaultZone;
}

/**
 * Up to `count` slots from the one the scheduler waits for; a fixed delay
 * shows only that one (the next depend on when runs end). The first slot's
 * offset change is counted from `now`, the others' from the slot before.
 */
export function upcomingSlots(scheduled: ScheduledTrigger, count: number, defaultZone: string, now: number): UpcomingSlot[] {
  const { next, schedule } = scheduled;
  if (next === undefined || count === 0) return [];
  const zone = zoneOf(scheduled, defaultZone);
  const onlyNext: Schedule = { next: (after) => (after < next.slot ? next.slot : undefined), prev: () => undefined };
  const times = nextTimes(schedule.fixedDelay ? onlyNext : schedule, next.slot - 1, count, zone);
  return times.map((time, index) => ({ at: time.iso, offset: time.offset, offset_change: (index === 0 ? offsetChange(zone, now, time.at) : time.dstChange) ?? null }));
}

/**
 * The first slot still to come after `planned`, which went by unfired on an
 * engine that does not lead: the leader will have taken the ones passed. A
 * fixed delay waits for runs to end, which only the leader follows: none.
 */
export function slotStillToCome(schedule: TriggerSchedule, planned: { slot: number }, jitterMs: number, now: number): { slot: number; fireAt: number } | undefined {
  if (schedule.fixedDelay) return undefined;
  // A slot up to its jitter before now may still be to fire.
  let slot = schedule.next(Math.max(planned.slot, now - jitterMs - 1));
  while (slot !== undefined && schedule.fireAt(slot) <= now) slot = schedule.next(slot);
  return slot === undefined ? undefined : { slot, fireAt: schedule.fireAt(slot) };
}
