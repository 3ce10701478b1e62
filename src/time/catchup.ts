/**
 * Which slots to run after the engine was down or the machine slept, and
 * which to report as `missed`. Pure: the engine passes the last slot it
 * recorded (or, before the first, the time the trigger was applied) and now.
 *
 * Invariants (property-tested): every slot returned is > lastSlot and ≤ now;
 * no slot is returned twice; `run` and `missed` are disjoint and ascending;
 * together they are every due slot, unless `more` says the oldest were not
 * listed. Because nothing ≤ lastSlot is ever returned, a clock stepping back
 * can never repeat a slot.
 */
import type { Schedule } from "./schedule.js";

export type CatchupPolicy = "none" | "latest" | "all";

export interface CatchupOptions {
  /**
   * A slot at most this old is on time, not missed: under `none` the newest
   * such slot still runs. The engine passes its tick tolerance plus the
   * trigger's jitter. Default 0.
   */
  grace?: number;
  /** At most this many missed slots are listed (the newest); default 1000. */
  maxListed?: number;
}

export interface Catchup {
  /** Slots to start now, oldest first. */
  run: number[];
  /** Slots that will not run (emit a `missed` event for each), oldest first. */
  missed: number[];
  /** More slots were missed than listed: older ones than `missed[0]`. */
  more: boolean;
}

export function missedSlots(
  schedule: Schedule,
  lastSlot: number,
  now: number,
  policy: CatchupPolicy,
  limit: number,
  options: CatchupOptions = {},
): Catchup {
  const grace = options.grace ?? 0;
  const maxListed = options.maxListed ?? 1000;
  const runCap = policy === "all" ? Math.max(1, Math.floor(limit)) : 1;
  // Walk back from now: the newest slots are the ones that may run, so the
  // walk can stop after the cap however long the downtime was.
  const due: number[] = [];
  let cursor = now;
  let more = false;
  for (;;) {
    const slot = schedule.prev(cursor);
    if (slot === undefined || slot <= lastSlot) break;
    if (due.length === runCap + maxListed) {
      more = true;
      break;
    }
    due.push(slot);
    cursor = slot - 1;
  }
  due.reverse();
  if (due.length === 0) return { run: [], missed: [], more: false };
  const newest = due[due.length - 1]!;
  let runCount: number;
  if (policy === "none") runCount = now - newest <= grace ? 1 : 0;
  else runCount = Math.min(runCap, due.length);
  const split = due.length - runCount;
  return { run: due.slice(split), missed: due.slice(0, split), more };
}

export interface SlotCount {
  count: number;
  /** False when the walk stopped at its cap: `count` is then a lower bound. */
  exact: boolean;
}

/**
 * How many slots lie in (after, atOrBefore]: arithmetic where the schedule
 * can count (every, at), else a walk of at most `cap` slots, so that a month
 * of a one-second cron does not hold the engine up to be counted.
 */
export function countSlots(schedule: Schedule, after: number, atOrBefore: number, cap = 10_000): SlotCount {
  if (schedule.count) return { count: schedule.count(after, atOrBefore), exact: true };
  let count = 0;
  for (let slot = schedule.next(after); slot !== undefined && slot <= atOrBefore; slot = schedule.next(slot)) {
    if (count === cap) return { count, exact: false };
    count++;
  }
  return { count, exact: true };
}
