/**
 * DST rules with explicit dates, checked on instants (UTC) so that the
 * expectations do not go through the code under test. Also pins what croner
 * itself does where Spire deliberately differs.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Cron } from "croner";
import { cronSchedule } from "../../src/time/cron.js";
import { scheduleSlots } from "./reference.js";

const slots = (expr: string, zone: string, from: string, to: string): string[] =>
  scheduleSlots(cronSchedule(expr, zone), Date.parse(from), Date.parse(to)).map((slot) => new Date(slot).toISOString());

describe("DST: America/New_York", () => {
  test("a daily slot in the spring-forward gap runs once, at the end of the gap", () => {
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z); 02:30 does not exist.
    assert.deepEqual(slots("30 2 * * *", "America/New_York", "2026-03-07T00:00:00Z", "2026-03-10T00:00:00Z"), [
      "2026-03-07T07:30:00.000Z",
      "2026-03-08T07:00:00.000Z",
      "2026-03-09T06:30:00.000Z",
    ]);
  });

  test("several gap slots and the slot at the gap's end are one slot", () => {
    assert.deepEqual(slots("*/20 2-3 * * *", "America/New_York", "2026-03-08T06:00:00Z", "2026-03-08T08:00:00Z"), [
      "2026-03-08T07:00:00.000Z",
      "2026-03-08T07:20:00.000Z",
      "2026-03-08T07:40:00.000Z",
    ]);
  });

  test("a slot in the fall-back overlap runs once, at its first occurrence", () => {
    // 2026-11-01: 02:00 EDT falls back to 01:00 EST (06:00Z); 01:30 occurs at 05:30Z and 06:30Z.
    assert.deepEqual(slots("30 1 * * *", "America/New_York", "2026-10-31T00:00:00Z", "2026-11-03T00:00:00Z"), [
      "2026-10-31T05:30:00.000Z",
      "2026-11-01T05:30:00.000Z",
      "2026-11-02T06:30:00.000Z",
    ]);
  });

  test("an interval cron does not repeat the overlap hour (croner would)", () => {
    const spire = slots("*/30 * * * *", "America/New_York", "2026-11-01T04:45:00Z", "2026-11-01T07:15:00Z");
    assert.deepEqual(spire, ["2026-11-01T05:00:00.000Z", "2026-11-01T05:30:00.000Z", "2026-11-01T07:00:00.000Z"]);
    // croner 11 runs interval jobs on both passes; Spire's rule (SPEC §6: never repeat a slot) differs on purpose.
    const croner = new Cron("*/30 * * * *", { timezone: "America/New_York", paused: true })
      .nextRuns(4, new Date("2026-11-01T04:45:00Z"))
      .map((date) => date.toISOString());
    assert.deepEqual(croner, ["2026-11-01T05:00:00.000Z", "2026-11-01T05:30:00.000Z", "2026-11-01T06:00:00.000Z", "2026-11-01T06:30:00.000Z"]);
  });

  test("next from inside the second pass of the overlap skips to the end of the overlap", () => {
    const schedule = cronSchedule("*/10 * * * *", "America/New_York");
    assert.equal(new Date(schedule.next(Date.parse("2026-11-01T06:05:00Z"))!).toISOString(), "2026-11-01T07:00:00.000Z");
    assert.equal(new Date(schedule.prev(Date.parse("2026-11-01T06:05:00Z"))!).toISOString(), "2026-11-01T05:50:00.000Z");
  });
});

describe("DST: Europe/Berlin", () => {
  test("gap 02:00-03:00 on 2026-03-29 and overlap 02:00-03:00 on 2026-10-25", () => {
    assert.deepEqual(slots("0 30 2 * * *", "Europe/Berlin", "2026-03-28T00:00:00Z", "2026-03-30T12:00:00Z"), [
      "2026-03-28T01:30:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T00:30:00.000Z",
    ]);
    assert.deepEqual(slots("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", "2026-10-26T12:00:00Z"), [
      "2026-10-25T00:30:00.000Z",
      "2026-10-26T01:30:00.000Z",
    ]);
  });

  test("every hour keeps going through both changes without a repeat", () => {
    const autumn = slots("@hourly", "Europe/Berlin", "2026-10-24T23:30:00Z", "2026-10-25T02:30:00Z");
    assert.deepEqual(autumn, ["2026-10-25T00:00:00.000Z", "2026-10-25T02:00:00.000Z"]);
    const spring = slots("@hourly", "Europe/Berlin", "2026-03-28T23:30:00Z", "2026-03-29T02:30:00Z");
    assert.deepEqual(spring, ["2026-03-29T00:00:00.000Z", "2026-03-29T01:00:00.000Z", "2026-03-29T02:00:00.000Z"]);
  });
});

describe("DST: Australia/Lord_Howe (a 30-minute shift)", () => {
  test("gap 02:00-02:30 on 2026-10-04: 02:15 runs at 02:30 (+11:00)", () => {
    assert.deepEqual(slots("15 2 * * *", "Australia/Lord_Howe", "2026-10-02T12:00:00Z", "2026-10-05T12:00:00Z"), [
      "2026-10-02T15:45:00.000Z",
      "2026-10-03T15:30:00.000Z",
      "2026-10-04T15:15:00.000Z",
    ]);
  });

  test("overlap 01:30-02:00 on 2026-04-05: 01:45 runs once, at +11:00", () => {
    assert.deepEqual(slots("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z", "2026-04-06T00:00:00Z"), [
      "2026-04-04T14:45:00.000Z",
      "2026-04-05T15:15:00.000Z",
    ]);
  });

  test("a quarter-hourly cron through the overlap: 01:30 and 01:45 once each", () => {
    assert.deepEqual(slots("*/15 1-2 * * *", "Australia/Lord_Howe", "2026-04-04T13:59:00Z", "2026-04-04T16:30:00Z"), [
      "2026-04-04T14:00:00.000Z",
      "2026-04-04T14:15:00.000Z",
      "2026-04-04T14:30:00.000Z",
      "2026-04-04T14:45:00.000Z",
      "2026-04-04T15:30:00.000Z",
      "2026-04-04T15:45:00.000Z",
      "2026-04-04T16:00:00.000Z",
      "2026-04-04T16:15:00.000Z",
    ]);
  });
});
