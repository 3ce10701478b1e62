/**
 * An imported crontab fires when cron fires: its pipelines' next times (as
 * `spire next` computes them) against a small reading of Vixie cron's rules
 * written here (cronie's entry.c and cron.c), over generated crontab lines.
 * The rule people trip on: when day-of-month and day-of-week are both
 * restricted, a day matches EITHER; when one of them starts with `*`, BOTH.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatDefinitionErrors, parseDefinitions } from "../../src/definitions/load.js";
import { importCrontab } from "../../src/definitions/import/crontab.js";
import { nextTimes, scheduleOf } from "../../src/time/index.js";

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

interface Field {
  min: number;
  max: number;
  names?: string[];
  /** Where the first name stands (months start at 1). */
  nameBase?: number;
}
const FIELDS: Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { min: 0, max: 7, names: DAYS, nameBase: 0 },
];

/** A field's values as cron sets its bits: lists of *, N, A-B, each with an optional /STEP (N/STEP: N to the end, cronie). */
function cronValues(text: string, field: Field): Set<number> {
  const number = (word: string) => {
    const named = field.names?.indexOf(word.toLowerCase()) ?? -1;
    return named >= 0 ? named + field.nameBase! : Number(word);
  };
  const values = new Set<number>();
  for (const item of text.split(",")) {
    const [range, stepText] = item.split("/") as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    let [low, high] = [field.min, field.max];
    if (range !== "*") {
      const [from, to] = range.split("-") as [string, string | undefined];
      low = number(from);
      high = to !== undefined ? number(to) : stepText !== undefined ? field.max : low;
    }
    for (let value = low; value <= high; value += step) values.add(value);
  }
  return values;
}

/** The next `count` minutes after `from` (UTC) at which cron runs the job. */
function cronNext(fields: string[], from: number, count: number): number[] {
  const [minutes, hours, doms, months, dows] = fields.map((text, index) => cronValues(text, FIELDS[index]!));
  if (dows!.has(7)) dows!.add(0);
  // cron's DOM_STAR / DOW_STAR: the field's first character is '*'.
  const either = !fields[2]!.startsWith("*") && !fields[4]!.startsWith("*");
  const found: number[] = [];
  const start = new Date(from);
  const sortedHours = [...hours!].sort((a, b) => a - b);
  const sortedMinutes = [...minutes!].sort((a, b) => a - b);
  for (let day = 0; day < 366 * 30 && found.length < count; day++) {
    const date = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + day));
    const dom = doms!.has(date.getUTCDate());
    const dow = dows!.has(date.getUTCDay());
    if (!months!.has(date.getUTCMonth() + 1) || !(either ? dom || dow : dom && dow)) continue;
    for (const hour of sortedHours) {
      for (const minute of sortedMinutes) {
        const at = date.getTime() + hour * 3_600_000 + minute * 60_000;
        if (at > from && found.length < count) found.push(at);
      }
    }
  }
  return found;
}

/** Spire's next times of the pipeline imported from one crontab line (CRON_TZ=UTC), or undefined when it was not imported. */
function importedNext(line: string, from: number, count: number): number[] | undefined {
  const result = importCrontab(`CRON_TZ=UTC\n${line}\n`, { home: "/home/ada", source: "test.crontab", fileName: "spire.yaml" });
  const parsed = parseDefinitions(result.text, "spire.yaml");
  if (!parsed.ok) assert.fail(`${line}: the import does not validate:\n${formatDefinitionErrors(parsed.errors)}`);
  const name = result.pipelines[0];
  if (name === undefined) return undefined;
  const trigger = parsed.file.pipelines[name]!.triggers[0]!;
  return nextTimes(scheduleOf(trigger, { defaultZone: "UTC" }), from, count, "UTC").map((time) => time.at);
}

const iso = (times: number[] | undefined) => times?.map((at) => new Date(at).toISOString().slice(0, 16));

/** A field as crontab users write it: a star, a star with a step, N, A-B, A-B/S, N/S (cronie), names; or a list of those. */
function fieldText(field: Field): fc.Arbitrary<string> {
  const value = fc.integer({ min: field.min, max: field.max });
  const named = (number: number) => (field.names && number - field.nameBase! < field.names.length ? fc.constantFrom(String(number), field.names[number - field.nameBase!]!) : fc.constant(String(number)));
  const single = value.chain(named);
  const range = fc.tuple(value, value).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
  const step = fc.integer({ min: 1, max: Math.max(2, Math.ceil((field.max - field.min) / 2)) });
  const item = fc.oneof(
    single,
    range.chain(([a, b]) => fc.tuple(named(a), named(b)).map(([x, y]) => `${x}-${y}`)),
    fc.tuple(range, step).map(([[a, b], s]) => `${a}-${b}/${s}`),
    fc.tuple(value, step).map(([a, s]) => `${a}/${s}`),
  );
  return fc.oneof(
    { arbitrary: fc.constant("*"), weight: 3 },
    { arbitrary: step.map((s) => `*/${s}`), weight: 2 },
    { arbitrary: item, weight: 3 },
    { arbitrary: fc.array(item, { minLength: 2, maxLength: 3 }).map((items) => items.join(",")), weight: 1 },
  );
}

test("generated crontab lines: the imported pipeline fires at the times cron would (or is refused when cron would never fire)", () => {
  const from = fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2030, 0, 1) }).map((ms) => Math.floor(ms / 60_000) * 60_000 + 30_000);
  fc.assert(
    fc.property(fc.tuple(...FIELDS.map(fieldText)), from, (fields, start) => {
      const line = `${fields.join(" ")} /usr/bin/job.sh`;
      const expected = cronNext(fields, start, 4);
      const actual = importedNext(line, start, 4);
      if (expected.length === 0) assert.equal(actual, undefined, `${line}: cron never runs it, so it must not be imported`);
      else assert.deepEqual(iso(actual), iso(expected), line);
    }),
    { numRuns: 300 },
  );
});

test("day-of-month and day-of-week: either when both are restricted, both when one starts with *, worked out by hand", () => {
  const from = Date.UTC(2026, 0, 1); // a Thursday
  const cases: [string, string[]][] = [
    // the 13th, or any Friday
    ["0 12 13 * 5", ["2026-01-02T12:00", "2026-01-09T12:00", "2026-01-13T12:00", "2026-01-16T12:00", "2026-01-23T12:00"]],
    // the 1st and 15th, or any Friday
    ["30 4 1,15 * fri", ["2026-01-01T04:30", "2026-01-02T04:30", "2026-01-09T04:30", "2026-01-15T04:30", "2026-01-16T04:30"]],
    // odd days that are Mondays: */2 starts with *, so both must match
    ["0 0 */2 * 1", ["2026-01-05T00:00", "2026-01-19T00:00", "2026-02-09T00:00", "2026-02-23T00:00", "2026-03-09T00:00"]],
    // 1-31 is not *, so either: every day
    ["0 6 1-31 * 1", ["2026-01-01T06:00", "2026-01-02T06:00", "2026-01-03T06:00", "2026-01-04T06:00", "2026-01-05T06:00"]],
    // Sundays written as 7, in January and July only
    ["0 8 * jan,jul 7", ["2026-01-04T08:00", "2026-01-11T08:00", "2026-01-18T08:00", "2026-01-25T08:00", "2026-07-05T08:00"]],
  ];
  for (const [schedule, times] of cases) {
    assert.deepEqual(iso(cronNext(schedule.split(" "), from, 5)), times, `the reading of cron here: ${schedule}`);
    assert.deepEqual(iso(importedNext(`${schedule} job.sh`, from, 5)), times, schedule);
  }
});
