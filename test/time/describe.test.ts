/** Plain-words readings and next times with DST changes marked. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { TriggerDef } from "../../src/definitions/schema.js";
import { describeTrigger, formatInterval, nextTimes } from "../../src/time/describe.js";
import { cronSchedule } from "../../src/time/cron.js";
import { isDue, MAX_WAIT_MS, waitFor } from "../../src/time/clock.js";
import { parseTime } from "../../src/time/datetime.js";

const read = (fields: Partial<TriggerDef> & Pick<TriggerDef, "kind">, zone = "UTC") => describeTrigger(fields as TriggerDef, { defaultZone: zone });

describe("describeTrigger", () => {
  test("cron, every, at, events", () => {
    assert.equal(read({ kind: "cron", cron: "0 3 * * *", timezone: "Europe/Berlin" }), "At 03:00 every day (Europe/Berlin)");
    assert.equal(read({ kind: "cron", cron: "@hourly" }, "America/New_York"), "Every hour (America/New_York)");
    assert.equal(read({ kind: "cron", cron: "0 0 * * 5#2" }), "At 00:00, on the second Friday of the month (UTC)");
    assert.equal(read({ kind: "every", every: 900_000 }), "every 15 minutes");
    assert.equal(read({ kind: "every", every: 86_400_000, align: true }, "Europe/Berlin"), "every day, aligned to the calendar (Europe/Berlin)");
    assert.equal(read({ kind: "every", every: 5_400_000, align: true }), "every 1 hour 30 minutes, aligned to the clock (UTC)");
    assert.equal(read({ kind: "every", every: 10_000, after_finish: true }), "10 seconds after each run finishes");
    assert.equal(read({ kind: "at", at: "2026-12-24T18:00:00+01:00" }, "Europe/Berlin"), "once at 2026-12-24T18:00:00+01:00");
    assert.equal(read({ kind: "after", after: { pipeline: "ingest", status: "success" } }), "after pipeline ingest ends with success");
    assert.equal(
      read({ kind: "every", every: 60_000, start: "2026-01-01T00:00:00Z", end: "2026-02-01T00:00:00Z", jitter: 30_000 }),
      "every minute, from 2026-01-01T00:00:00+00:00, until 2026-02-01T00:00:00+00:00, delayed by up to 30 seconds of jitter",
    );
  });

  test("formatInterval", () => {
    assert.equal(formatInterval(50), "50 milliseconds");
    assert.equal(formatInterval(604_800_000), "1 week");
    assert.equal(formatInterval(10 * 86_400_000), "10 days");
    assert.equal(formatInterval(90_061_001), "1 day 1 hour 1 minute 1 second 1 millisecond");
  });
});

describe("nextTimes", () => {
  test("marks the offset change between consecutive times", () => {
    const times = nextTimes(cronSchedule("30 2 * * *", "Europe/Berlin"), Date.parse("2026-03-27T12:00:00Z"), 3, "Europe/Berlin");
    assert.deepEqual(
      times.map((time) => [time.iso, time.dstChange]),
      [
        ["2026-03-28T02:30:00+01:00", undefined],
        ["2026-03-29T03:00:00+02:00", { before: "+01:00", after: "+02:00" }],
        ["2026-03-30T02:30:00+02:00", undefined],
      ],
    );
    const howe = nextTimes(cronSchedule("0 12 * * *", "Australia/Lord_Howe"), Date.parse("2026-04-04T00:00:00Z"), 2, "Australia/Lord_Howe");
    assert.deepEqual(howe.map((time) => [time.iso, time.dstChange?.after]), [
      ["2026-04-04T12:00:00+11:00", undefined],
      ["2026-04-05T12:00:00+10:30", "+10:30"],
    ]);
  });
});

describe("clock rules and times", () => {
  test("no wait over 30 s; an early timer does not make a slot due", () => {
    assert.equal(waitFor(0, 3_600_000), MAX_WAIT_MS);
    assert.equal(waitFor(1000, 1200), 200);
    assert.equal(waitFor(5000, 1000), 0);
    assert.equal(isDue(999, 1000), false);
    assert.equal(isDue(1000, 1000), true);
  });

  test("parseTime: offsets, local wall times, gaps", () => {
    assert.deepEqual(parseTime("2026-03-08T02:30", "America/New_York"), { ok: true, ms: Date.parse("2026-03-08T07:00:00Z") });
    assert.deepEqual(parseTime("2026-11-01T01:30", "America/New_York"), { ok: true, ms: Date.parse("2026-11-01T05:30:00Z") });
    assert.deepEqual(parseTime("2026-01-01", "Europe/Berlin"), { ok: true, ms: Date.parse("2025-12-31T23:00:00Z") });
    assert.deepEqual(parseTime("2026-01-01T00:00:00.5-05:30", "UTC"), { ok: true, ms: Date.parse("2026-01-01T05:30:00.500Z") });
    const bad = parseTime("tomorrow", "UTC");
    assert.equal(bad.ok, false);
  });
});
