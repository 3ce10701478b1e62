/**
 * A task's log on a disk that fills up (a real tmpfs): the lines that find
 * no room are lost and counted, the log goes on once there is room again,
 * and says there how many are missing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LogWriter } from "../../src/exec/log-writer.js";
import { formatLogLine, formatLogLines, parseLogLine } from "../../src/logs/log-file.js";
import { fillDisk, smallDisk } from "../helpers/small-disk.js";

const lines = (...texts: string[]) => formatLogLines(texts.map((line, index) => ({ ts: 1_000 + index, stream: "stdout" as const, line })));

test("lines written while the disk is full are lost and counted; the log goes on after, saying how many are missing", async (t) => {
  const disk = smallDisk(t, 1);
  if (disk === undefined) return;
  const file = join(disk, "tasks", "a", "1.log");
  // Tried again at every append, so the test needs no clock.
  const writer = new LogWriter(file, { fullRetryMs: 0 });
  const free = fillDisk(disk);
  writer.append(lines("one", "two", "three"));
  await writer.flushed();
  writer.append(lines("four", "five"));
  await writer.flushed();
  free();
  writer.append(formatLogLine(2_000, "stderr", "after"));
  await writer.close();

  const written = readFileSync(file, "utf8").split("\n").filter((line) => line !== "").map(parseLogLine);
  assert.ok(written.every((line) => line !== undefined), "every line of the file is a log line");
  assert.deepEqual(
    written.map((line) => `${line!.stream} ${line!.line}`),
    ["stderr spire: 5 lines of output lost here: the disk was full", "stderr after"],
  );
  assert.equal(writer.error?.message, "5 lines of output lost: the disk was full", "the attempt's reason says so too");
});

test("lines lost at the very end are said by close() when there is room by then, and only in the attempt's reason when not", async (t) => {
  const disk = smallDisk(t, 1);
  if (disk === undefined) return;
  const free = fillDisk(disk);
  const stillFull = new LogWriter(join(disk, "full.log"), { fullRetryMs: 60_000 });
  stillFull.append(lines("lost"));
  await stillFull.close();
  assert.equal(stillFull.error?.message, "1 line of output lost: the disk was full");

  const roomAtEnd = new LogWriter(join(disk, "room.log"), { fullRetryMs: 60_000 });
  roomAtEnd.append(lines("lost", "too"));
  await roomAtEnd.flushed();
  free();
  await roomAtEnd.close();
  assert.match(readFileSync(join(disk, "room.log"), "utf8"), /^\d+ e spire: 2 lines of output lost here: the disk was full\n$/);
});
