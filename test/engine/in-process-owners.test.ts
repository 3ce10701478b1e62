/**
 * What other `spire run` processes over the same data folder hold of a
 * pipeline (src/engine/recovery/in-process-owners.ts), read from their
 * marks in `in-process/` and the real store, with a real other process as
 * their owner: a run one of them made and has not started yet, ahead of
 * this one, takes a free running place, not a waiting one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { aheadElsewhere } from "../../src/engine/recovery/in-process-owners.js";
import { pidStartTime } from "../../src/exec/supervisor/attempt-files.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { aRun, runCreated } from "../store/fixtures.js";
import { openTestStore } from "../helpers/sqlite-store.js";

checkNoLeftoverProcesses();

test("of the runs other spire run processes hold queued ahead, those the free places let start count as running; the rest wait", async (t) => {
  const data = tempDir(t);
  const store = await openTestStore(t, data);
  // Another live process (standing in for a spire run) lists two runs it made and has not started yet.
  const owner = spawn("sleep", ["30"], { stdio: "ignore" });
  const ended = new Promise((resolve) => owner.once("exit", resolve));
  await new Promise((resolve) => owner.once("spawn", resolve));
  try {
    const now = Date.now();
    const [first, second, mine] = [aRun("r1", { created_at: now - 30 }), aRun("r2", { created_at: now - 20 }), aRun("r3", { created_at: now - 10 })];
    for (const run of [first, second, mine]) await store.createRun(run, runCreated(run));
    mkdirSync(join(data, "in-process"), { recursive: true });
    writeFileSync(join(data, "in-process", String(owner.pid)), `${owner.pid} ${pidStartTime(owner.pid!) ?? ""} ${now - 60}\n${first.id}\n${second.id}\n`);

    // One place to run, free: the first of the two will start there; the second waits ahead of this one.
    assert.deepEqual(await aheadElsewhere(store, data, mine, 1, now), { running: 1, waiting: [{ id: "r2", partition: null }] });
    // Two places: both start.
    assert.deepEqual(await aheadElsewhere(store, data, mine, 2, now), { running: 2, waiting: [] });
    // The first one running already: it holds the place, and the second waits.
    await store.write([{ event: { run_id: "r1", ts: now, type: "run.started", task_path: null, attempt: null, data: {} }, run: { id: "r1", state: "running", started_at: now } }]);
    assert.deepEqual(await aheadElsewhere(store, data, mine, 1, now), { running: 1, waiting: [{ id: "r2", partition: null }] });
    // A run made after this one is not ahead of it.
    assert.deepEqual(await aheadElsewhere(store, data, first, 1, now), { running: 0, waiting: [] });
  } finally {
    owner.kill("SIGKILL");
    await ended;
  }
});
