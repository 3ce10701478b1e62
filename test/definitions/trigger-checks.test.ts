/**
 * Trigger fields at validate time: the verdict on a cron is the one `spire
 * next` gives (same functions, same words), anything validate accepts the
 * engine can schedule, and times already past are warnings, not errors.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatDefinitionErrors, parseDefinitions, type LoadResult } from "../../src/definitions/load.js";
import type { TriggerDef } from "../../src/definitions/schema.js";
import { checkCron, checkTrigger, describeTrigger, nextTimes, scheduleOf } from "../../src/time/index.js";

const FILE = "spire.yaml";

/** A file with one pipeline and these triggers, written as JSON (which is YAML) so any string stays one string. */
function withTriggers(...triggers: object[]): string {
  return JSON.stringify({ pipelines: { p: { triggers, tasks: { t: { run: "true" } } } } });
}

function cronErrors(result: LoadResult): string[] {
  return result.ok ? [] : result.errors.filter((error) => error.keyPath === "pipelines.p.triggers[0].cron").map((error) => error.message);
}

/** What `spire next` does with an expression: `spire next "CRON"` checks it with checkCron, then schedules, reads and lists it. */
function nextVerdict(cron: string): string | undefined {
  const problem = checkCron(cron);
  if (problem !== undefined) return problem;
  const trigger: TriggerDef = { kind: "cron", cron };
  assert.equal(checkTrigger(trigger, { defaultZone: "Europe/Berlin" }), undefined);
  assert.equal(typeof describeTrigger(trigger, { defaultZone: "Europe/Berlin" }), "string");
  assert.equal(nextTimes(scheduleOf(trigger, { defaultZone: "Europe/Berlin" }), Date.UTC(2026, 0, 1), 2, "Europe/Berlin").length, 2, cron);
  return undefined;
}

const token = fc.oneof(
  fc.integer({ min: -2, max: 70 }).map(String),
  fc.constantFrom("*", "?", "L", "W", "LW", "5L", "FRI#2", "5#L", "1#6", "MON-FRI", "SUN-SAT", "JAN", "DEC-FEB", "*/15", "1-5/2", "15W", "L-2", "+1", "#", "/", "-", ",", "x", "MON", "fry", "7", "0-7", "30-2"),
  fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 })).map(([a, b]) => `${a}-${b}`),
  fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 })).map(([a, b]) => `${a},${b}`),
);
const nearCron = fc.oneof(
  fc.array(token, { minLength: 3, maxLength: 7 }).map((fields) => fields.join(" ")),
  fc.constantFrom("@daily", "@hourly", "@weekly", "@monthly", "@yearly", "@annually", "@midnight", "@reboot", "@every 5m", "@DAILY", " 0 3 * * * ", "0  3 * * *", "", "constructor", "__proto__", "toString"),
);

describe("a cron at validate time is what spire next says of it", () => {
  test("random strings and near-cron strings: validate accepts exactly what next accepts, with next's own message", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 30 }), nearCron), (cron) => {
        const result = parseDefinitions(withTriggers({ cron }), FILE);
        const verdict = nextVerdict(cron);
        assert.deepEqual(cronErrors(result), verdict === undefined ? [] : [verdict], JSON.stringify(cron));
        assert.equal(result.ok, verdict === undefined, result.ok ? cron : formatDefinitionErrors(result.errors));
      }),
      { numRuns: 300 },
    );
  });

  test("the mistakes of the issue, each placed at the field it is about", () => {
    const text = 'pipelines:\n  p:\n    triggers:\n      - cron: "0 61 * * *"\n    tasks:\n      t: { run: "true" }\n';
    const result = parseDefinitions(text, FILE);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.errors.length, 1);
    assert.deepEqual([result.errors[0]!.line, result.errors[0]!.column], [4, 18]);
    assert.equal(result.errors[0]!.message, checkCron("0 61 * * *"));
  });
});

describe("what validate accepts, the engine schedules", () => {
  test("times the engine reads alike: a lower-case t, a fraction past milliseconds; a date alone is refused by both", () => {
    for (const at of ["2027-01-02t03:04", "2027-01-02T03:04:05.123456789Z"]) {
      const result = parseDefinitions(withTriggers({ at }), FILE);
      assert.ok(result.ok, result.ok ? "" : formatDefinitionErrors(result.errors));
      const [trigger] = result.file.pipelines["p"]!.triggers;
      assert.equal(checkTrigger(trigger!, { defaultZone: "UTC" }), undefined, at);
      assert.equal(scheduleOf(trigger!, { defaultZone: "UTC" }).next(0), Date.parse(at.replace("t", "T").replace(/\.(\d{3})\d+/, ".$1") + (at.endsWith("Z") ? "" : "Z")));
    }
    const dateOnly = parseDefinitions(withTriggers({ every: "1h", start: "2027-01-01" }), FILE);
    assert.equal(dateOnly.ok, false);
    assert.match(checkTrigger({ kind: "every", every: 3_600_000, start: "2027-01-01" }, { defaultZone: "UTC" })!, /start: time "2027-01-01": a date needs a time of day/);
  });

  test("every trigger the property accepts has a schedule, a reading and next times (none throws)", () => {
    const triggers = [
      { cron: "0 0 * * 5#L", timezone: "America/New_York" },
      { cron: "0 0 1-7 * +1" },
      { every: "100y" },
      { every: "50ms", jitter: "100y" },
      { at: "9999-12-31T23:59:59Z" },
      { cron: "* * * * *", start: "2027-01-01T00:00", end: "2027-01-01T00:01" },
    ];
    for (const written of triggers) {
      const result = parseDefinitions(withTriggers(written), FILE);
      assert.ok(result.ok, result.ok ? "" : formatDefinitionErrors(result.errors));
      const [trigger] = result.file.pipelines["p"]!.triggers;
      const schedule = scheduleOf(trigger!, { defaultZone: "Europe/Berlin" });
      assert.doesNotMatch(describeTrigger(trigger!, { defaultZone: "Europe/Berlin" }), /error occurred/i);
      for (const time of nextTimes(schedule, Date.UTC(2026, 0, 1), 3, "Europe/Berlin")) assert.match(time.iso, /^(\d{4}|\+\d{6})-\d\d-\d\dT/, JSON.stringify(written));
    }
  });
});

describe("times already past", () => {
  const now = Date.parse("2026-12-05T12:00:00Z");

  test("an at or end already past is a warning, given the time; the file stays valid", () => {
    const text = withTriggers({ at: "2026-12-01T00:00:00+01:00" }, { cron: "0 3 * * *", end: "2026-01-01T00:00Z" }, { at: "2027-01-01T00:00:00Z" });
    const result = parseDefinitions(text, FILE, { now });
    assert.ok(result.ok, result.ok ? "" : formatDefinitionErrors(result.errors));
    assert.deepEqual(
      result.warnings.map((warning) => [warning.keyPath, warning.severity, warning.message]),
      [
        ["pipelines.p.triggers[0].at", "warning", "2026-12-01T00:00:00+01:00 is past, so this trigger will never fire"],
        ["pipelines.p.triggers[1].end", "warning", "2026-01-01T00:00Z is past, so this trigger will not fire again"],
      ],
    );
    assert.match(formatDefinitionErrors(result.warnings), /^spire\.yaml:1:\d+ {2}warning: pipelines\.p\.triggers\[0\]\.at: /);
    // Without a clock, nothing is past: a file valid yesterday is valid today.
    const timeless = parseDefinitions(text, FILE);
    assert.ok(timeless.ok);
    assert.deepEqual(timeless.warnings, []);
  });

  test("a wall time without a zone is past only once it is past in every zone", () => {
    const hoursAgo = (hours: number) => new Date(now - hours * 3_600_000).toISOString().slice(0, 16);
    const recent = parseDefinitions(withTriggers({ at: hoursAgo(11) }), FILE, { now });
    assert.ok(recent.ok);
    assert.deepEqual(recent.warnings, [], "11 hours ago here is still ahead west of UTC-11");
    const old = parseDefinitions(withTriggers({ at: hoursAgo(13) }), FILE, { now });
    assert.ok(old.ok);
    assert.equal(old.warnings.length, 1);
    const zoned = parseDefinitions(withTriggers({ at: hoursAgo(1), timezone: "UTC" }), FILE, { now });
    assert.ok(zoned.ok);
    assert.equal(zoned.warnings.length, 1, "with its zone, the time is known");
  });

  test("with errors, warnings still come apart from them", () => {
    const result = parseDefinitions(withTriggers({ at: "2020-01-01T00:00Z" }, { cron: "0 0 0 * *" }), FILE, { now });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.errors.map((error) => error.keyPath), ["pipelines.p.triggers[1].cron"]);
    assert.deepEqual(result.warnings.map((warning) => warning.keyPath), ["pipelines.p.triggers[0].at"]);
  });
});
