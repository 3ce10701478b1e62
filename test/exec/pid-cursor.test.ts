/** The count of pids handed out, on which the stray sweep's windows rest (Linux: /proc/loadavg). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { PidCursor } from "../../src/exec/pid-cursor.js";

test("the pids handed out since a moment: at least one per process started, and no answer from before the first read", () => {
  const cursor = new PidCursor();
  const beforeAnyRead = performance.now();
  assert.equal(cursor.givenSince(beforeAnyRead), undefined, "no read yet: nothing is known");
  assert.ok(cursor.read()! > 0, "the last pid given");
  const since = performance.now();
  assert.equal(cursor.givenSince(beforeAnyRead), undefined, "the chain begins after that moment");
  for (let started = 0; started < 5; started++) assert.equal(spawnSync("true").status, 0);
  cursor.read();
  const given = cursor.givenSince(since)!;
  assert.ok(given >= 5 && given < cursor.pidMax / 2, `${given} pids given for 5 processes`);
});
