/**
 * Cron schedules against the brute-force reference (reference.ts): the set
 * of slots in a window must be the same, around real DST transitions.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkCron, cronSchedule } from "../../src/time/cron.js";
import { bruteSlots, cronOf, DAY_NAMES, domSpecials, dowSpecials, fieldArb, MONTH_NAMES, scheduleSlots } from "./reference.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Instants near DST transitions (and one plain day), per zone. */
const TRANSITIONS: Record<string, string[]> = {
  "America/New_York": ["2026-03-08T07:00:00Z", "2026-11-01T06:00:00Z"],
  "Europe/Berlin": ["2026-03-29T01:00:00Z", "2026-10-25T01:00:00Z"],
  "Australia/Lord_Howe": ["2026-04-04T15:00:00Z", "2026-10-03T15:30:00Z"],
  UTC: ["2026-06-15T00:00:00Z"],
};
const windows = Object.entries(TRANSITIONS).flatMap(([zone, instants]) => instants.map((at) => ({ zone, at: Date.parse(at) })));

const show = (slots: number[]): string[] => slots.map((slot) => new Date(slot).toISOString());

describe("cron slots equal the brute-force reference", () => {
  test("time-of-day fields (5 and 6 fields) across DST gaps and overlaps", () => {
    const any = fc.constant({ text: "*", star: true, all: true, test: () => true });
    fc.assert(
      fc.property(
        fc.constantFrom(...windows),
        fc.integer({ min: -3 * HOUR, max: HOUR }),
        fc.option(fieldArb(0, 59), { nil: undefined }),
        fieldArb(0, 59),
        fc.oneof(any, fieldArb(0, 23)),
        ({ zone, at }, shift, second, minute, hour) => {
          const spec = cronOf({ second, minute, hour, dom: anyField, month: anyField, dow: anyField });
          const from = at + shift;
          // 6-field expressions can match every second: a shorter window keeps the walk fast.
          const to = from + (second === undefined ? 4 * HOUR : HOUR);
          const expected = bruteSlots(spec.matches, zone, from, to);
          const actual = scheduleSlots(cronSchedule(spec.text, zone), from, to);
          assert.deepEqual(show(actual), show(expected), `${spec.text} in ${zone}`);
        },
      ),
      { numRuns: 40 },
    );
  });

  test("day fields (L, W, LW, #, nL, ?, names, Vixie OR/AND) over a year, day by day", () => {
    fc.assert(
      fc.property(
        fc.oneof(fieldArb(1, 31), domSpecials),
        fc.oneof(fieldArb(1, 12, MONTH_NAMES), fc.constant(anyField)),
        fc.oneof(fieldArb(0, 6, DAY_NAMES), dowSpecials),
        fc.integer({ min: 2023, max: 2028 }),
        (dom, month, dow, year) => {
          const spec = cronOf({ minute: value(30), hour: value(4), dom, month, dow });
          const from = Date.UTC(year, 0, 1);
          const to = from + 400 * DAY;
          // The reference walks day by day here (only 04:30 can match).
          const expected: number[] = [];
          for (let day = from + 4.5 * HOUR; day <= to; day += DAY) if (spec.matches(day)) expected.push(day);
          // checkCron rejects what can never match (the 5th Sunday on days 1, 9, 17, 25).
          if (checkCron(spec.text)?.includes("never matches")) {
            assert.deepEqual(show(expected), [], spec.text);
            return;
          }
          const actual = scheduleSlots(cronSchedule(spec.text, "UTC"), from, to);
          assert.deepEqual(show(actual), show(expected), spec.text);
        },
      ),
      { numRuns: 100 },
    );
  });

  test("prev walks the same slots backwards", () => {
    fc.assert(
      fc.property(fc.constantFrom(...windows), fieldArb(0, 59), fc.oneof(fc.constant(anyField), fieldArb(0, 23)), ({ zone, at }, minute, hour) => {
        const spec = cronOf({ minute, hour, dom: anyField, month: anyField, dow: anyField });
        const schedule = cronSchedule(spec.text, zone);
        const from = at - 3 * HOUR;
        const to = at + 3 * HOUR;
        const forward = scheduleSlots(schedule, from, to);
        const backward: number[] = [];
        for (let slot = schedule.prev(to); slot !== undefined && slot > from; slot = schedule.prev(slot - 1)) backward.unshift(slot);
        assert.deepEqual(show(backward), show(forward), `${spec.text} in ${zone}`);
      }),
      { numRuns: 40 },
    );
  });
});

const anyField = { text: "*", star: true, all: true, test: () => true };
function value(n: number) {
  return { text: String(n), star: false, all: false, test: (v: number) => v === n };
}
