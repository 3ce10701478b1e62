/**
 * A schedule defined on wall clocks (cron, day-aligned `every`) turned into
 * instants with Spire's DST rules (see zone.ts): a wall slot in a
 * spring-forward gap runs once, at the first instant after the gap (several
 * gap slots, and a slot at the gap's end, are then one slot); a wall slot in a
 * fall-back overlap runs once, at its first occurrence.
 *
 * This is deliberately not croner's interval-job rule (skip gap times, run
 * repeated times twice): SPEC §6 promises that DST neither skips nor repeats
 * a cron slot, and `every` is there for jobs that follow real time.
 */
import type { Schedule } from "./schedule.js";
import { instantOf, wallFloor } from "./zone.js";

/** Matching wall times (ms in wall space, see zone.ts). */
export interface WallSequence {
  /** The first wall time strictly after `wall`. */
  after(wall: number): number | undefined;
  /** The last wall time at or before `wall`. */
  atOrBefore(wall: number): number | undefined;
}

// Each step moves past at least one wall slot; the bound only guards against
// a sequence that does not advance.
const MAX_STEPS = 100_000;

export function wallSchedule(walls: WallSequence, zone: string): Schedule {
  return {
    next(after) {
      const floor = wallFloor(zone, after);
      // In the second pass of an overlap, walls up to its end already ran.
      let cursor = floor.repeatedUntil === undefined ? floor.wall : Math.max(floor.wall, floor.repeatedUntil - 1);
      for (let step = 0; step < MAX_STEPS; step++) {
        const wall = walls.after(cursor);
        if (wall === undefined) return undefined;
        const instant = instantOf(zone, wall);
        if (instant > after) return instant;
        cursor = wall;
      }
      return undefined;
    },
    prev(atOrBefore) {
      const floor = wallFloor(zone, atOrBefore);
      let cursor = floor.repeatedUntil === undefined ? floor.wall : Math.max(floor.wall, floor.repeatedUntil - 1);
      for (let step = 0; step < MAX_STEPS; step++) {
        const wall = walls.atOrBefore(cursor);
        if (wall === undefined) return undefined;
        const instant = instantOf(zone, wall);
        if (instant <= atOrBefore) return instant;
        cursor = wall - 1;
      }
      return undefined;
    },
  };
}

/** Multiples of `interval` since the wall-clock epoch (1970-01-01T00:00 local). */
export function wallMultiples(interval: number): WallSequence {
  return {
    after: (wall) => (Math.floor(wall / interval) + 1) * interval,
    atOrBefore: (wall) => Math.floor(wall / interval) * interval,
  };
}
