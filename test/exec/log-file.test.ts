import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import { formatLogLines, parseLogLine, readLog } from "../../src/logs/log-file.js";
import type { LogLine } from "../../src/exec/port.js";
import { tempDir } from "../helpers/tmp.js";

const sample: LogLine[] = [
  { ts: 1000, stream: "stdout", line: "first" },
  { ts: 1001, stream: "stderr", line: "oops: ünïcode ✓" },
  { ts: 1002, stream: "stdout", line: "" },
  { ts: 1005, stream: "stdout", line: "  spaced  out  " },
];

test("format and parse are inverses, one file line per log line", () => {
  const text = formatLogLines(sample);
  assert.equal(text, "1000 o first\n1001 e oops: ünïcode ✓\n1002 o \n1005 o   spaced  out  \n");
  assert.deepEqual(text.split("\n").slice(0, -1).map(parseLogLine), sample);
  for (const bad of ["", "x o a", "1000 x a", "1000 o", "1000o a"]) assert.equal(parseLogLine(bad), undefined, bad);
});

test("readLog filters by stream and time, pages with limit and offset, leaves a partial last line", async (t) => {
  const file = join(tempDir(t), "task.log");
  writeFileSync(file, formatLogLines(sample) + "1006 o still being writ");
  const all = await readLog(file);
  assert.deepEqual(all.lines, sample);
  assert.equal(all.nextOffset, null);
  assert.deepEqual((await readLog(file, { stream: "stderr" })).lines, [sample[1]]);
  assert.deepEqual((await readLog(file, { sinceTs: 1002 })).lines, sample.slice(2));

  const page1 = await readLog(file, { limit: 2 });
  assert.deepEqual(page1.lines, sample.slice(0, 2));
  assert.notEqual(page1.nextOffset, null);
  const page2 = await readLog(file, { offset: page1.nextOffset!, limit: 10 });
  assert.deepEqual(page2.lines, sample.slice(2));
  assert.equal(page2.nextOffset, null);

  // A follower resumes from endOffset and gets the line once it is complete.
  appendFileSync(file, "ten\n");
  const more = await readLog(file, { offset: page2.endOffset });
  assert.deepEqual(more.lines, [{ ts: 1006, stream: "stdout", line: "still being written" }]);
});

test("a missing log file has no lines", async (t) => {
  const result = await readLog(join(tempDir(t), "nope.log"), { offset: 0 });
  assert.deepEqual(result, { lines: [], nextOffset: null, endOffset: 0 });
});

test("readLog handles lines larger than its read chunk", async (t) => {
  const file = join(tempDir(t), "big.log");
  const long = "x".repeat(600_000);
  writeFileSync(file, formatLogLines([{ ts: 1, stream: "stdout", line: long }, { ts: 2, stream: "stderr", line: "after" }]));
  const { lines } = await readLog(file);
  assert.equal(lines.length, 2);
  assert.equal(lines[0]!.line.length, 600_000);
  assert.deepEqual(lines[1], { ts: 2, stream: "stderr", line: "after" });
});
