/** `spire next`: plain words, next times, DST marked, through the real program. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";

test("a cron across spring-forward in New York: the gap slot runs once, at the first valid instant", async (t) => {
  const data = tempDir(t);
  const result = await spire(["next", "30 2 * * *", "--tz", "America/New_York", "--from", "2027-03-12T00:00", "-n", "3", "--json"], { data });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), {
    description: "At 02:30 every day (America/New_York)",
    next: ["2027-03-12T02:30:00-05:00", "2027-03-13T02:30:00-05:00", "2027-03-14T03:00:00-04:00"],
  });
  const plain = await spire(["next", "30 2 * * *", "--tz", "America/New_York", "--from", "2027-03-12T00:00", "-n", "3"], { data });
  assert.match(plain.stdout, /2027-03-14 03:00:00-04:00 {3}← the clock changes here: -05:00 → -04:00/);
});

test("a pipeline's triggers from a file, merged in time order", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "spire.yaml");
  writeFileSync(file, `pipelines:\n  twice:\n    triggers:\n      - cron: "0 9 * * *"\n        timezone: UTC\n      - cron: "0 17 * * *"\n        timezone: UTC\n    tasks:\n      a: { run: "true" }\n`);
  const result = await spire(["next", "twice", "-f", file, "--from", "2026-12-01T00:00:00Z", "-n", "3", "--json"], { data: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout).next, ["2026-12-01T09:00:00+00:00", "2026-12-01T17:00:00+00:00", "2026-12-02T09:00:00+00:00"]);
});

test("a wrong cron names the field and exits 2", async (t) => {
  const data = tempDir(t);
  const result = await spire(["next", "0 25 * * *"], { data });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /hour field "25": a value is out of range; allowed: 0-23/);
});

test("a file that cannot be read says what it stopped: no times, not \"Nothing was run\"", async (t) => {
  const data = tempDir(t);
  const result = await spire(["next", "backup", "-f", join(data, "missing.yaml")], { data });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /No times were worked out\./);
  assert.doesNotMatch(result.stderr, /Nothing was run/);
});

test("every and at, as run --when takes them, need no pipeline; a bad one is said without naming --when", async (t) => {
  const data = tempDir(t);
  const every = await spire(["next", "every 90m", "--tz", "UTC", "--from", "2026-12-07T10:00:00Z", "-n", "2", "--json"], { data });
  assert.equal(every.code, 0, every.stderr);
  const { description, next } = JSON.parse(every.stdout) as { description: string; next: string[] };
  assert.equal(description, "every 1 hour 30 minutes, counted from 2026-12-07 10:00:00+00:00");
  assert.equal(next.length, 2);
  assert.deepEqual(next, ["2026-12-07T11:30:00+00:00", "2026-12-07T13:00:00+00:00"], "counted from --from");
  const at = await spire(["next", "at 2027-01-01T00:00", "--tz", "UTC", "--json"], { data });
  assert.deepEqual(JSON.parse(at.stdout).next, ["2027-01-01T00:00:00+00:00"]);
  const bad = await spire(["next", "every 5x"], { data });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^spire: "5x" is not a duration\n/);
  assert.doesNotMatch(bad.stderr, /--when/);
  // The hint lists what spire next takes: not once, which only run --when takes, and each form once.
  const short = await spire(["next", "every 10ms"], { data });
  assert.equal(short.code, 2);
  assert.match(short.stderr, /^spire: every 10ms is shorter than 50ms\nspire next takes a pipeline, or a cron in quotes \("0 3 \* \* \*"/);
  assert.doesNotMatch(short.stderr, /once/);
  assert.equal(short.stderr.match(/a cron in quotes/g)?.length, 1, short.stderr);
});
