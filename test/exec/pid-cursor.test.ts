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
  assert.equal(cursor.givenSince(beforeAnyRead), undefined, "the chain begins after that moment");
  // A read after each start, as the sweep reads after each batch. On a loaded machine even one spawnSync can take
  // longer than the gap that may hide a full round of pids (164 ms where pid_max is 32768): the chain then starts
  // again and there is no answer, rightly; the count is taken again then, a few times at most.
  let given: number | undefined;
  for (let tries = 0; tries < 5 && given === undefined; tries++) {
    const from = performance.now();
    cursor.read();
    for (let started = 0; started < 5; started++) {
      assert.equal(spawnSync("true").status, 0);
      cursor.read();
    }
    given = cursor.givenSince(from);
  }
  assert.ok(given !== undefined, "a chain of reads held over five starts at least once in five tries");
  assert.ok(given >= 5 && given < cursor.pidMax / 2, `${given} pids given for 5 processes`);
});
