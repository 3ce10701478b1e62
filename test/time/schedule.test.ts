/** every, at, bounds, jitter and trigger validation, with explicit dates. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { TriggerDef } from "../../src/definitions/schema.js";
import { checkTrigger, everySchedule, scheduleOf } from "../../src/time/schedule.js";
import { jitterOf } from "../../src/time/jitter.js";
import { scheduleSlots } from "./reference.js";

const trigger = (fields: Partial<TriggerDef> & Pick<TriggerDef, "kind">): TriggerDef => fields as TriggerDef;
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const at = Date.parse;

describe("every", () => {
  test("fixed rate from an anchor: properties", () => {
    fc.assert(
      fc.property(fc.integer({ min: 50, max: 400 * 86_400_000 }), fc.integer({ min: 0, max: 2e12 }), fc.integer({ min: 0, max: 4e12 }), (interval, anchor, after) => {
        const schedule = everySchedule(interval, anchor);
        const slot = schedule.next(after)!;
        assert.ok(slot > after && slot >= anchor);
        assert.equal((slot - anchor) % interval, 0);
        assert.ok(slot === anchor || slot - interval <= after, "no slot skipped");
        assert.equal(schedule.prev(slot), slot);
        assert.equal(schedule.prev(slot - 1), slot === anchor ? undefined : slot - interval);
      }),
      { numRuns: 300 },
    );
  });

  test("unaligned counts from start, else from the engine's anchor; DST does not bend it", () => {
    const fromStart = scheduleOf(trigger({ kind: "every", every: 7 * 60_000, start: "2026-03-08T01:03:00", timezone: "America/New_York" }), { defaultZone: "UTC" });
    assert.deepEqual(scheduleSlots(fromStart, at("2026-03-08T06:00:00Z"), at("2026-03-08T06:20:00Z")).map(iso), [
      "2026-03-08T06:03:00.000Z",
      "2026-03-08T06:10:00.000Z",
      "2026-03-08T06:17:00.000Z",
    ]);
    const anchored = scheduleOf(trigger({ kind: "every", every: 3_600_000 }), { defaultZone: "Europe/Berlin", anchor: at("2026-10-24T23:20:00Z") });
    // Through the Berlin fall-back: still exactly one hour apart in real time.
    assert.deepEqual(scheduleSlots(anchored, at("2026-10-24T23:30:00Z"), at("2026-10-25T03:00:00Z")).map(iso), [
      "2026-10-25T00:20:00.000Z",
      "2026-10-25T01:20:00.000Z",
      "2026-10-25T02:20:00.000Z",
    ]);
  });

  test("align below a day: multiples of the UTC clock (50 ms works too)", () => {
    const quarter = scheduleOf(trigger({ kind: "every", every: 900_000, align: true, timezone: "Australia/Lord_Howe" }), { defaultZone: "UTC" });
    assert.equal(iso(quarter.next(at("2026-04-04T14:52:10Z"))), "2026-04-04T15:00:00.000Z");
    const fast = scheduleOf(trigger({ kind: "every", every: 50, align: true }), { defaultZone: "UTC" });
    assert.equal(fast.next(1_000_020), 1_000_050);
  });

  test("align for a day or more: local calendar, DST rules apply", () => {
    const daily = scheduleOf(trigger({ kind: "every", every: 86_400_000, align: true, timezone: "Europe/Berlin" }), { defaultZone: "UTC" });
    assert.deepEqual(scheduleSlots(daily, at("2026-03-28T12:00:00Z"), at("2026-03-30T12:00:00Z")).map(iso), [
      "2026-03-28T23:00:00.000Z",
      "2026-03-29T22:00:00.000Z",
    ]);
  });

  test("after_finish: a fixed delay after the finish, from start", () => {
    const delay = scheduleOf(trigger({ kind: "every", every: 10_000, after_finish: true, start: "2026-01-01T00:00:00Z" }), { defaultZone: "UTC" });
    assert.equal(delay.fixedDelay, true);
    assert.equal(iso(delay.next(at("2026-06-01T00:00:03.250Z"))), "2026-06-01T00:00:13.250Z");
    assert.equal(iso(delay.next(at("2025-06-01T00:00:00Z"))), "2026-01-01T00:00:00.000Z");
    assert.equal(delay.prev(at("2026-06-01T00:00:00Z")), undefined);
  });
});

describe("at, start and end", () => {
  test("at runs once; a local time is read in the trigger's zone", () => {
    const once = scheduleOf(trigger({ kind: "at", at: "2026-12-24T18:00:00", timezone: "Europe/Berlin" }), { defaultZone: "UTC" });
    assert.equal(iso(once.next(0)), "2026-12-24T17:00:00.000Z");
    assert.equal(once.next(at("2026-12-24T17:00:00Z")), undefined);
    assert.equal(iso(once.prev(at("2027-01-01T00:00:00Z"))), "2026-12-24T17:00:00.000Z");
    const offset = scheduleOf(trigger({ kind: "at", at: "2026-12-24T18:00:00+01:00" }), { defaultZone: "America/New_York" });
    assert.equal(iso(offset.next(0)), "2026-12-24T17:00:00.000Z");
  });

  test("start is inclusive, end exclusive", () => {
    const bounded = scheduleOf(trigger({ kind: "cron", cron: "0 * * * *", start: "2026-01-01T02:00:00Z", end: "2026-01-01T05:00:00Z" }), { defaultZone: "UTC" });
    assert.deepEqual(scheduleSlots(bounded, 0, at("2027-01-01T00:00:00Z")).map(iso), [
      "2026-01-01T02:00:00.000Z",
      "2026-01-01T03:00:00.000Z",
      "2026-01-01T04:00:00.000Z",
    ]);
    assert.equal(iso(bounded.prev(at("2026-06-01T00:00:00Z"))), "2026-01-01T04:00:00.000Z");
    assert.equal(bounded.prev(at("2026-01-01T01:59:59Z")), undefined);
  });
});

describe("jitter", () => {
  test("a pure function of (trigger, slot), within [0, jitter)", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 1, max: 3_600_000 }), (key, slot, max) => {
        const delay = jitterOf(key, slot, max);
        assert.equal(delay, jitterOf(key, slot, max));
        assert.ok(delay >= 0 && delay < max && Number.isInteger(delay));
      }),
    );
  });

  test("the slot keeps its unjittered identity; only fireAt moves", () => {
    const def = trigger({ kind: "every", every: 60_000, align: true, jitter: 30_000 });
    const a = scheduleOf(def, { defaultZone: "UTC", key: "home/backup/0" });
    const b = scheduleOf(def, { defaultZone: "UTC", key: "home/backup/0" });
    const slot = a.next(at("2026-01-01T00:00:10Z"))!;
    assert.equal(iso(slot), "2026-01-01T00:01:00.000Z");
    assert.equal(a.fireAt(slot), b.fireAt(slot));
    assert.ok(a.fireAt(slot) >= slot && a.fireAt(slot) < slot + 30_000);
    // Different slots are spread out, not all delayed alike.
    const delays = new Set(Array.from({ length: 20 }, (_, index) => a.fireAt(slot + index * 60_000) - (slot + index * 60_000)));
    assert.ok(delays.size > 10);
    const unjittered = scheduleOf(trigger({ kind: "every", every: 60_000 }), { defaultZone: "UTC" });
    assert.equal(unjittered.fireAt(slot), slot);
  });
});

describe("checkTrigger", () => {
  test("messages a user can act on", () => {
    assert.match(checkTrigger(trigger({ kind: "cron", cron: "0 3 * * *", timezone: "Europe/Berln" }), { defaultZone: "UTC" })!, /unknown time zone "Europe\/Berln"/);
    assert.match(checkTrigger(trigger({ kind: "cron", cron: "0 24 * * *" }), { defaultZone: "UTC" })!, /hour field "24"/);
    assert.match(checkTrigger(trigger({ kind: "at", at: "2026-02-30T10:00" }), { defaultZone: "UTC" })!, /at: time "2026-02-30T10:00": day 30 is not in 2026-02/);
    assert.match(checkTrigger(trigger({ kind: "every", every: 1000, start: "2026-02-01T00:00", end: "2026-01-01T00:00" }), { defaultZone: "UTC" })!, /end: must be after start/);
    assert.match(checkTrigger(trigger({ kind: "every", every: 1000, align: true, after_finish: true }), { defaultZone: "UTC" })!, /align/);
    assert.throws(() => scheduleOf(trigger({ kind: "webhook", webhook: true }), { defaultZone: "UTC" }), /fires on events/);
  });
});
