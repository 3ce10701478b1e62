/** What validation and the engine both ask of a trigger, and readings that never fail on what they accept. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkCron, expandCron } from "../../src/time/cron.js";
import { parseTime } from "../../src/time/datetime.js";
import { describeCron, nextTimes } from "../../src/time/describe.js";
import { everySchedule, triggerProblems } from "../../src/time/schedule.js";

test("triggerProblems: each problem by field, a cron's with the field it is about", () => {
  assert.deepEqual(triggerProblems({ cron: "0 25 * * *", timezone: "Mars/Olympus", at: "2027-13-01T00:00" }, "UTC"), [
    { field: "timezone", code: "zone", message: 'unknown time zone "Mars/Olympus": use an IANA name such as Europe/Berlin, America/New_York or UTC' },
    { field: "cron", code: "rule", message: checkCron("0 25 * * *"), part: "25" },
    { field: "at", code: "time", message: parseTime("2027-13-01T00:00", "UTC").ok ? "" : (parseTime("2027-13-01T00:00", "UTC") as { error: string }).error, reason: "month 13 is not 1-12" },
  ]);
  assert.deepEqual(triggerProblems({ at: "2027-01-01T00:00Z", start: "2027-01-02T00:00Z" }, "UTC"), [{ field: "at", code: "rule", message: "is before start, so it never fires" }]);
  assert.deepEqual(triggerProblems({ cron: "@daily", timezone: "Europe/Berlin", start: "2027-01-01T00:00", end: "2027-06-01T00:00" }, "UTC"), []);
});

test("a cron named like an object's own property is a cron like any other word", () => {
  for (const word of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
    assert.equal(expandCron(word), word);
    assert.match(checkCron(word)!, /has 1 field; write 5/);
  }
});

test("describeCron reads what cronstrue cannot (N#L, croner's +) instead of printing its error", () => {
  assert.equal(describeCron("0 0 * * 5#L"), "At 00:00, on the last Friday of the month");
  assert.equal(describeCron("0 0 1-7 * +1"), 'on the cron schedule "0 0 1-7 * +1"');
  assert.equal(describeCron("@daily"), "At 00:00 every day");
});

test("nextTimes stops where a Date ends instead of showing NaN", () => {
  const hundredYears = 100 * 365 * 86_400_000;
  const times = nextTimes(everySchedule(hundredYears, 0), 8.639e15, 5, "Europe/Berlin");
  assert.ok(times.length < 5);
  for (const time of times) assert.doesNotMatch(time.iso, /NaN/);
});

test("parseTime: a lower-case t, fractions past milliseconds, and years before 100 as written", () => {
  assert.deepEqual(parseTime("2027-01-02t03:04", "UTC"), { ok: true, ms: Date.parse("2027-01-02T03:04:00Z") });
  assert.deepEqual(parseTime("2027-01-02T03:04:05.123456789Z", "UTC"), { ok: true, ms: Date.parse("2027-01-02T03:04:05.123Z") });
  const early = parseTime("0050-06-01T00:00:00Z", "UTC");
  assert.ok(early.ok);
  assert.equal(new Date(early.ms).getUTCFullYear(), 50);
});
