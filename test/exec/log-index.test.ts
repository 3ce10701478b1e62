/**
 * Line indexes of task logs: every window they point at is the window a
 * read of the whole log gives, for both streams and each; they grow with a
 * live log, survive in the file beside it, and are dropped when that file
 * describes another log.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { formatLogLine, readLog } from "../../src/logs/log-file.js";
import { LINE_INDEX_STRIDE, LineIndex, LOG_VIEWS, type LogView } from "../../src/logs/log-index.js";
import { LineIndexes, sidecarOf } from "../../src/logs/log-indexes.js";
import type { LogLine } from "../../src/exec/port.js";
import { tempDir } from "../helpers/tmp.js";

/** Lines of both streams, a third on stderr, with some text that is not a log line among them. */
function sampleText(count: number, from = 0): string {
  let text = "";
  for (let i = from; i < from + count; i++) {
    text += formatLogLine(1_700_000_000_000 + i, i % 3 === 0 ? "stderr" : "stdout", `line ${i} ünïcode`);
    if (i % 97 === 0) text += "not a log line\n";
    if (i % 101 === 0) text += "42 x not a stream\n";
    if (i % 103 === 0) text += "\n";
  }
  return text;
}

async function everyLine(file: string, view: LogView): Promise<LogLine[]> {
  return (await readLog(file, view === "all" ? {} : { stream: view })).lines;
}

/** What the index says line `line` of `view` is, read as the API reads it. */
async function lineAt(file: string, index: LineIndex, view: LogView, line: number): Promise<LogLine | undefined> {
  const start = index.locate(view, line);
  if (!start) return undefined;
  const page = await readLog(file, { offset: start.offset, limit: start.skip + 1, ...(view === "all" ? {} : { stream: view }) });
  return page.lines[start.skip];
}

async function indexOf(file: string): Promise<LineIndex> {
  const index = new LineIndex();
  const handle = await open(file, "r");
  try {
    await index.extend(handle, (await handle.stat()).size);
  } finally {
    await handle.close();
  }
  return index;
}

test("an index counts the lines readLog gives, per view, and locates each one", async (t) => {
  const file = join(tempDir(t), "1.log");
  writeFileSync(file, sampleText(3 * LINE_INDEX_STRIDE + 17));
  const index = await indexOf(file);
  for (const view of LOG_VIEWS) {
    const lines = await everyLine(file, view);
    assert.equal(index.counts[view], lines.length, view);
    for (const line of [0, 1, LINE_INDEX_STRIDE - 1, LINE_INDEX_STRIDE, LINE_INDEX_STRIDE + 1, lines.length - 1]) {
      assert.deepEqual(await lineAt(file, index, view, line), lines[line], `${view} line ${line}`);
    }
    assert.equal(index.locate(view, lines.length), undefined, "past the end");
  }
  assert.equal(index.bytes, readFileSync(file).length);
});

test("a line not yet ended is left for later; appended lines extend the index from where it stopped", async (t) => {
  const file = join(tempDir(t), "1.log");
  const whole = sampleText(600);
  const cut = whole.length - 10;
  writeFileSync(file, whole.slice(0, cut));
  const index = await indexOf(file);
  const before = (await everyLine(file, "all")).length;
  assert.equal(index.counts.all, before);
  assert.equal(index.bytes, Buffer.byteLength(whole.slice(0, whole.lastIndexOf("\n", cut - 1) + 1)));

  appendFileSync(file, whole.slice(cut) + sampleText(300, 600));
  const handle = await open(file, "r");
  await index.extend(handle, (await handle.stat()).size);
  await handle.close();
  for (const view of LOG_VIEWS) {
    const lines = await everyLine(file, view);
    assert.equal(index.counts[view], lines.length, view);
    assert.deepEqual(await lineAt(file, index, view, lines.length - 1), lines.at(-1), `${view}: the last line`);
    assert.deepEqual(await lineAt(file, index, view, before - 1), lines[before - 1], `${view}: where the first extension stopped`);
  }
});

test("a line longer than a read (1 MiB) is indexed whole", async (t) => {
  const file = join(tempDir(t), "1.log");
  const long = "x".repeat(3 << 20);
  writeFileSync(file, formatLogLine(1, "stdout", "first") + formatLogLine(2, "stderr", long) + formatLogLine(3, "stdout", "last"));
  const index = await indexOf(file);
  assert.deepEqual(index.counts, { all: 3, stdout: 2, stderr: 1 });
  assert.equal((await lineAt(file, index, "all", 2))?.line, "last");
  assert.equal((await lineAt(file, index, "stderr", 0))?.line.length, long.length);
});

test("LineIndexes keeps the index beside the log, reads it back, and starts over for another file under the same name", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "1.log");
  writeFileSync(file, sampleText(2000));
  const expected = (await everyLine(file, "all")).length;
  const first = new LineIndexes({ saveEveryBytes: 1 });
  assert.equal((await first.current(file)).counts.all, expected);
  const saved = JSON.parse(readFileSync(sidecarOf(file), "utf8")) as { bytes: number; counts: { all: number } };
  assert.equal(saved.counts.all, expected);

  // A new engine reads the saved copy rather than the log: one doctored to say a line more shows through.
  // (2,000 and 2,001 lines have the same number of checkpoints, so the doctored copy still looks whole.)
  assert.equal(expected, 2000);
  writeFileSync(sidecarOf(file), JSON.stringify({ ...saved, counts: { ...saved.counts, all: expected + 1 } }));
  assert.equal((await new LineIndexes().current(file)).counts.all, expected + 1, "the saved index is used");

  // The log removed and made again (another inode): the saved index is not its own.
  rmSync(file);
  writeFileSync(file, sampleText(10));
  assert.equal((await new LineIndexes().current(file)).counts.all, (await everyLine(file, "all")).length);
  assert.equal((await first.current(file)).counts.all, (await everyLine(file, "all")).length, "in memory too");

  // Not an index at all: ignored.
  writeFileSync(sidecarOf(file), "{not json");
  assert.equal((await new LineIndexes().current(file)).counts.all, (await everyLine(file, "all")).length);
  assert.equal((await new LineIndexes().current(join(dir, "missing.log"))).counts.all, 0, "no file: no lines");
});

test("LineIndexes answers concurrent asks once each, and keeps within its bounds", async (t) => {
  const dir = tempDir(t);
  const files = [1, 2, 3].map((n) => join(dir, `${n}.log`));
  for (const file of files) writeFileSync(file, sampleText(LINE_INDEX_STRIDE * 4));
  const indexes = new LineIndexes({ maxIndexes: 2, saveEveryBytes: Number.MAX_SAFE_INTEGER });
  const answers = await Promise.all([...files, ...files].map((file) => indexes.current(file)));
  const expected = (await everyLine(files[0]!, "all")).length;
  assert.ok(answers.every((index) => index.counts.all === expected));
  assert.equal((indexes as unknown as { entries: Map<string, unknown> }).entries.size, 2, "the least recently used went");
});
