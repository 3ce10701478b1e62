/** The engine's copy of a worker's log: each byte once, in order, whatever is sent twice or out of turn. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { LogCopy } from "../../src/workers/log-copy.js";
import { formatLogLine } from "../../src/logs/log-file.js";
import { tempDir } from "../helpers/tmp.js";

const line = (ts: number, text: string) => formatLogLine(ts, "stdout", text);

test("ranges sent twice, overlapping or ahead of the copy: each byte is kept once, and lines are told once", async (t) => {
  const file = join(tempDir(t), "runs", "r", "tasks", "a", "1.log");
  const copy = new LogCopy(file);
  const first = line(1, "one") + line(2, "two");
  const second = line(3, "three");
  assert.deepEqual((await copy.append(0, first)).map((l) => l.line), ["one", "two"]);
  assert.deepEqual(await copy.append(0, first), [], "the same range again adds nothing");
  const gap = Buffer.byteLength(first) + 10;
  assert.deepEqual(await copy.append(gap, second), [], "a range past the end of the copy is refused");
  assert.equal(await copy.size(), Buffer.byteLength(first));
  // A resend from an earlier offset that overlaps what is there: only the new part is added.
  const overlap = line(2, "two") + second;
  assert.deepEqual((await copy.append(Buffer.byteLength(line(1, "one")), overlap)).map((l) => l.line), ["three"]);
  assert.equal(readFileSync(file, "utf8"), first + second);
  assert.equal(statSync(file).mode & 0o777, 0o600, "the copy is private");
});

test("appends sent at once are applied one after another", async (t) => {
  const copy = new LogCopy(join(tempDir(t), "x.log"));
  const parts = Array.from({ length: 50 }, (_, i) => line(i, `line ${i}`));
  let offset = 0;
  const sends = parts.map((part) => {
    const at = offset;
    offset += Buffer.byteLength(part);
    return copy.append(at, part);
  });
  const told = (await Promise.all(sends)).flat().map((l) => l.line);
  assert.deepEqual(told, parts.map((_, i) => `line ${i}`));
  assert.equal(await copy.size(), offset);
});
