/** Catch-up after downtime or sleep: properties against a forward enumeration, the policies by example, counting missed slots. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { countSlots, missedSlots, type CatchupPolicy } from "../../src/time/catchup.js";
import { cronSchedule, rememberLast } from "../../src/time/cron.js";
import { boundedSchedule, everySchedule, onceSchedule, type Schedule } from "../../src/time/schedule.js";
import { scheduleSlots } from "./reference.js";

const T0 = Date.parse("2026-10-24T22:00:00Z");
const schedules: Array<[string, Schedule]> = [
  ["every 7m", everySchedule(7 * 60_000, T0 - 3 * 60_000)],
  ["every 50ms", everySchedule(50, 0)],
  ["cron */10 Berlin (fall-back inside)", cronSchedule("*/10 * * * *", "Europe/Berlin")],
  ["cron 30 2 Berlin", cronSchedule("30 2 * * *", "Europe/Berlin")],
];

describe("missedSlots", () => {
  test("never ≤ lastSlot, never > now, never twice; run ∪ missed = every due slot", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...schedules),
        fc.integer({ min: 0, max: 6 * 3_600_000 }),
        fc.integer({ min: -3_600_000, max: 6 * 3_600_000 }),
        fc.constantFrom<CatchupPolicy>("none", "latest", "all"),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 120_000 }),
        ([, schedule], offset, downtime, policy, limit, grace) => {
          const lastSlot = T0 + offset;
          const now = lastSlot + downtime;
          const maxListed = 50;
          const { run, missed, more } = missedSlots(schedule, lastSlot, now, policy, limit, { grace, maxListed });
          const all = [...missed, ...run];
          for (const slot of all) assert.ok(slot > lastSlot && slot <= now);
          assert.equal(new Set(all).size, all.length, "never twice");
          assert.deepEqual(all, [...all].sort((a, b) => a - b), "ascending, missed before run");
          let due: number[];
          if (more) {
            // Too many to enumerate here: the listed ones are the newest, consecutive, and older ones exist.
            all.slice(1).forEach((slot, index) => assert.equal(schedule.next(all[index]!), slot));
            assert.ok((schedule.next(all[all.length - 1]!) ?? Infinity) > now);
            assert.ok(schedule.prev(all[0]! - 1)! > lastSlot);
            due = all;
          } else {
            due = now > lastSlot ? scheduleSlots(schedule, lastSlot, now) : [];
            assert.deepEqual(all, due);
          }
          if (policy === "all") assert.equal(run.length, more ? limit : Math.min(limit, due.length));
          if (policy === "latest") assert.equal(run.length, due.length > 0 ? 1 : 0);
          if (policy === "none") assert.ok(run.length <= 1 && run.every((slot) => now - slot <= grace));
          if (run.length > 0) assert.equal(run[run.length - 1], due[due.length - 1], "the newest slot is the one that runs");
        },
      ),
      { numRuns: 300 },
    );
  });

  test("the policies after a 50-minute downtime of a 10-minute schedule", () => {
    const schedule = everySchedule(600_000, 0);
    const last = Date.parse("2026-01-01T00:00:00Z");
    const now = Date.parse("2026-01-01T00:50:30Z");
    const at = (minute: number) => last + minute * 60_000;
    assert.deepEqual(missedSlots(schedule, last, now, "none", 100), { run: [], missed: [at(10), at(20), at(30), at(40), at(50)], more: false });
    assert.deepEqual(missedSlots(schedule, last, now, "none", 100, { grace: 60_000 }), { run: [at(50)], missed: [at(10), at(20), at(30), at(40)], more: false });
    assert.deepEqual(missedSlots(schedule, last, now, "latest", 100), { run: [at(50)], missed: [at(10), at(20), at(30), at(40)], more: false });
    assert.deepEqual(missedSlots(schedule, last, now, "all", 3), { run: [at(30), at(40), at(50)], missed: [at(10), at(20)], more: false });
    assert.deepEqual(missedSlots(schedule, last, now, "all", 100), { run: [at(10), at(20), at(30), at(40), at(50)], missed: [], more: false });
  });

  test("a week asleep with a 50 ms schedule: bounded work, the newest slots listed", () => {
    const schedule = everySchedule(50, 0);
    const last = Date.parse("2026-01-01T00:00:00Z");
    const now = last + 7 * 86_400_000;
    const result = missedSlots(schedule, last, now, "all", 100);
    assert.equal(result.run.length, 100);
    assert.equal(result.run[99], now);
    assert.equal(result.missed.length, 1000);
    assert.equal(result.more, true);
  });

  test("a clock stepped back before lastSlot repeats nothing", () => {
    const schedule = everySchedule(60_000, 0);
    assert.deepEqual(missedSlots(schedule, 600_000, 300_000, "all", 100), { run: [], missed: [], more: false });
  });
});

describe("countSlots", () => {
  const bounded = boundedSchedule(everySchedule(60_000, 0), T0, T0 + 3_600_000);
  const counted: Array<[string, Schedule]> = [...schedules, ["every 1m within [T0, T0+1h)", bounded], ["at T0+90s", onceSchedule(T0 + 90_000)]];

  test("equals the slots enumerated one by one; exact by arithmetic where the schedule can count", () => {
    fc.assert(
      fc.property(fc.constantFrom(...counted), fc.integer({ min: -3_600_000, max: 6 * 3_600_000 }), fc.integer({ min: 0, max: 6 * 3_600_000 }), ([, schedule], offset, length) => {
        const after = T0 + offset;
        const atOrBefore = after + length;
        const expected = scheduleSlots(schedule, after, atOrBefore, 1_000_000).length;
        assert.deepEqual(countSlots(schedule, after, atOrBefore, 1_000_000), { count: expected, exact: true });
      }),
      { numRuns: 200 },
    );
  });

  test("a month of a one-second cron stops at the cap and says so; a month of every 1s is counted", () => {
    const month = 30 * 86_400_000;
    assert.deepEqual(countSlots(cronSchedule("* * * * * *", "UTC"), T0, T0 + month, 1_000), { count: 1_000, exact: false });
    assert.deepEqual(countSlots(everySchedule(1_000, 0), T0, T0 + month, 1_000), { count: 30 * 86_400, exact: true });
  });
});

describe("cron schedules are shared and remember their answers", () => {
  test("the same expression and zone give one schedule; answers are the same as a fresh walk", () => {
    const first = cronSchedule("*/5 * * * * *", "Europe/Berlin");
    assert.equal(cronSchedule("*/5  * * * * *", "Europe/Berlin"), first, "whitespace does not make another schedule");
    assert.notEqual(cronSchedule("*/5 * * * * *", "UTC"), first);
    const fresh = rememberLast({ next: (after) => first.next(after), prev: (at) => first.prev(at) }, 1);
    for (let at = T0; at < T0 + 60_000; at += 1_234) {
      assert.equal(first.next(at), fresh.next(at));
      assert.equal(first.next(at), fresh.next(at), "asked again: the remembered answer");
      assert.equal(first.prev(at), fresh.prev(at));
    }
  });
});
