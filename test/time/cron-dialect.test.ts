/** The cron dialect with explicit dates (UTC), and checkCron's messages. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { checkCron, cronSchedule } from "../../src/time/cron.js";
import { scheduleSlots } from "./reference.js";

const days = (expr: string, from: string, to: string): string[] =>
  scheduleSlots(cronSchedule(expr, "UTC"), Date.parse(from), Date.parse(to)).map((slot) => new Date(slot).toISOString().slice(0, 16));

describe("cron dialect", () => {
  test("leap days: 0 0 29 2 * runs in leap years only", () => {
    assert.deepEqual(days("0 0 29 2 *", "2023-01-01T00:00:00Z", "2033-01-01T00:00:00Z"), [
      "2024-02-29T00:00",
      "2028-02-29T00:00",
      "2032-02-29T00:00",
    ]);
  });

  test("L, LW, W, #, nL", () => {
    assert.deepEqual(days("0 0 L * *", "2024-01-15T00:00:00Z", "2024-04-01T00:00:00Z"), ["2024-01-31T00:00", "2024-02-29T00:00", "2024-03-31T00:00"]);
    // 2024-03-31 is a Sunday: the last weekday is Friday the 29th.
    assert.deepEqual(days("0 0 LW 3 *", "2024-01-01T00:00:00Z", "2024-12-31T00:00:00Z"), ["2024-03-29T00:00"]);
    // 2024-06-15 is a Saturday: 15W is Friday the 14th; 2024-06-01 is a Saturday: 1W is Monday the 3rd.
    assert.deepEqual(days("0 0 15W 6 *", "2024-01-01T00:00:00Z", "2024-12-31T00:00:00Z"), ["2024-06-14T00:00"]);
    assert.deepEqual(days("0 0 1W 6 *", "2024-01-01T00:00:00Z", "2024-12-31T00:00:00Z"), ["2024-06-03T00:00"]);
    assert.deepEqual(days("0 0 * 5 FRI#2", "2024-01-01T00:00:00Z", "2024-12-31T00:00:00Z"), ["2024-05-10T00:00"]);
    assert.deepEqual(days("0 0 * 5 5L", "2024-01-01T00:00:00Z", "2024-12-31T00:00:00Z"), ["2024-05-31T00:00"]);
  });

  test("? names, 0 and 7 for Sunday, SUN-SUN is only Sunday", () => {
    const sundays = ["2024-06-02T12:00", "2024-06-09T12:00"];
    for (const expr of ["0 12 ? JUN SUN", "0 12 * 6 0", "0 12 * jun 7", "0 12 ? * SUN-SUN"]) {
      assert.deepEqual(days(expr, "2024-06-01T00:00:00Z", "2024-06-10T00:00:00Z"), sundays, expr);
    }
    assert.deepEqual(days("0 12 * * FRI-SUN", "2024-06-01T00:00:00Z", "2024-06-08T00:00:00Z"), ["2024-06-01T12:00", "2024-06-02T12:00", "2024-06-07T12:00"]);
  });

  test("day of month and day of week: OR when both are restricted, AND when one starts with *", () => {
    // June 2024: the 1st is a Saturday; Mondays are 3, 10, 17, 24.
    assert.deepEqual(days("0 0 1 6 MON", "2024-05-31T00:00:00Z", "2024-06-12T00:00:00Z"), ["2024-06-01T00:00", "2024-06-03T00:00", "2024-06-10T00:00"]);
    // */2 is odd days: Mondays on odd days only (Vixie cron), not odd days or Mondays.
    assert.deepEqual(days("0 0 */2 6 MON", "2024-05-31T00:00:00Z", "2024-07-01T00:00:00Z"), ["2024-06-03T00:00", "2024-06-17T00:00"]);
  });

  test("6 fields put seconds first; nicknames", () => {
    assert.deepEqual(days("*/20 0 0 1 1 *", "2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z").length, 2);
    const at = (expr: string) => new Date(cronSchedule(expr, "UTC").next(Date.parse("2024-01-01T00:00:30Z"))!).toISOString().slice(0, 16);
    assert.equal(at("@hourly"), "2024-01-01T01:00");
    assert.equal(at("@daily"), "2024-01-02T00:00");
    assert.equal(at("@midnight"), "2024-01-02T00:00");
    assert.equal(at("@weekly"), "2024-01-07T00:00");
    assert.equal(at("@monthly"), "2024-02-01T00:00");
    assert.equal(at("@yearly"), "2025-01-01T00:00");
    assert.equal(at("@annually"), "2025-01-01T00:00");
  });

  test("checkCron names the field and what is allowed", () => {
    assert.equal(checkCron("*/5 * * * *"), undefined);
    assert.match(checkCron("0 25 * * *")!, /hour field "25": a value is out of range; allowed: 0-23/);
    assert.match(checkCron("* * 32 * *")!, /day-of-month field "32"/);
    assert.match(checkCron("0 0 * * MOO")!, /day-of-week field "MOO": an unknown name or character/);
    assert.match(checkCron("0 0 * * 5#6")!, /day-of-week field "5#6"/);
    assert.match(checkCron("61 0 0 * * *")!, /second field "61"/);
    assert.match(checkCron("1 2 3")!, /has 3 fields; write 5/);
    assert.match(checkCron("0 0 0 1 1 * 2030")!, /has 7 fields/);
    assert.match(checkCron("@reboot")!, /unknown nickname/);
    assert.match(checkCron("   ")!, /empty/);
    assert.match(checkCron("0 0 30 2 *")!, /never matches/);
  });
});

describe("cron schedules beyond the ones kept parsed", () => {
  test("forty crons asked in turn, again and again, give the same slots as each asked alone", () => {
    // Only the most recently used crons stay parsed (croner's year table is 80 KB each);
    // the others are parsed again: their answers must not change.
    const exprs = Array.from({ length: 40 }, (_, index) => `${index} ${index % 24} * * *`);
    const alone = exprs.map((expr) => days(expr, "2024-02-27T00:00:00Z", "2024-03-02T00:00:00Z"));
    for (let round = 0; round < 3; round++) {
      exprs.forEach((expr, index) => assert.deepEqual(days(expr, "2024-02-27T00:00:00Z", "2024-03-02T00:00:00Z"), alone[index], expr));
    }
    assert.deepEqual(alone[5], ["2024-02-27T05:05", "2024-02-28T05:05", "2024-02-29T05:05", "2024-03-01T05:05"]);
  });
});
