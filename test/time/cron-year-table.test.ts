/** croner's 10,000-entry year table is dropped from every pattern Spire parses, and the schedule is unchanged by it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { croner, cronSchedule, expandCron } from "../../src/time/cron.js";
import { scheduleSlots } from "./reference.js";

const yearTable = (expr: string) => (croner(expandCron(expr)) as unknown as { _states: { pattern: { year: number[] } } })._states.pattern.year;

test("a parsed cron holds no year table (croner fills 10,000 entries, 80 KB, and never reads them for a year of *)", () => {
  for (const expr of ["0 0 1 1 *", "*/5 * * * *", "30 0 0 29 2 *", "@hourly", "0 12 * * FRI#2"]) {
    assert.equal(yearTable(expr).length, 0, expr);
  }
});

test("without the table, a yearly cron still finds its slots across years, forwards and backwards", () => {
  const slots = scheduleSlots(cronSchedule("0 0 29 2 *", "UTC"), Date.parse("2023-01-01T00:00:00Z"), Date.parse("2033-01-01T00:00:00Z"));
  assert.deepEqual(slots.map((slot) => new Date(slot).toISOString().slice(0, 10)), ["2024-02-29", "2028-02-29", "2032-02-29"]);
  const job = croner(expandCron("0 0 1 1 *"));
  assert.equal(job.nextRun(new Date("2099-06-01T00:00:00Z"))?.toISOString(), "2100-01-01T00:00:00.000Z");
  assert.equal(job.previousRuns(1, new Date("2099-06-01T00:00:00Z"))[0]?.toISOString(), "2099-01-01T00:00:00.000Z");
});
