/**
 * A run whose controller stopped on a store failure stays as last written,
 * for the engine's next start: the engine counts it as held (so that no look
 * for strays takes it up meanwhile, its attempts counted as lost while a
 * process of it may still be stopping), until another engine takes it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { LocalLogs } from "../../src/logs/local-logs.js";
import { RunQueues } from "../../src/engine/runs/run-queues.js";
import { createRun } from "../../src/engine/runs/start-run.js";
import { pipelineSchema } from "../../src/definitions/schema.js";
import { RunTakenOverError } from "../../src/store/errors.js";
import type { RunRow } from "../../src/store/port.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { openTestStore } from "../helpers/sqlite-store.js";

checkNoLeftoverProcesses();

test("a run stopped by a store failure is held until another engine takes it; a run that ended is not", async (t) => {
  const dir = tempDir(t);
  const store = await openTestStore(t, dir);
  // The end of the first task of run `failing` cannot be written: the store fails it.
  const write = store.write.bind(store);
  let failFor: string | undefined;
  store.write = (changes) => (changes.some((change) => change.event.run_id === failFor && change.event.type === "task.finished") ? Promise.reject(new Error("the disk went away")) : write(changes));
  const executor = new LocalExecutor();
  t.after(() => executor.shutdown());
  const ended: RunRow[] = [];
  let told: (() => void) | undefined;
  const quiet = () => {};
  const queues = new RunQueues({
    store,
    executor,
    logs: new LocalLogs(),
    dataDir: dir,
    parallelism: 2,
    now: Date.now,
    logger: { info: quiet, warn: quiet, error: quiet },
    publish: quiet,
    progress: quiet,
    followed: () => false,
    finished: (row) => (ended.push(row), told?.()),
    ended: quiet,
  });
  const runOf = () =>
    createRun(store, { namespace: "test", pipelineName: "p", pipeline: pipelineSchema.parse({ tasks: { t: { run: "true" } } }), args: {}, trigger: { kind: "manual", scheduled_at: null }, baseDir: dir, secretSource: {} });
  const both = new Promise<void>((resolve) => (told = () => ended.length === 2 && resolve()));
  const failing = await runOf();
  const fine = await runOf();
  failFor = failing.run.id;
  await Promise.all([queues.admit(failing), queues.admit(fine)]);
  await both;

  assert.equal((await store.getRun(failing.run.id))!.run.state, "running", "its row stays as last written");
  assert.equal((await store.getRun(fine.run.id))!.run.state, "succeeded");
  assert.deepEqual(queues.heldIds(), [failing.run.id], "the given-up run is held; the ended one is not");
  assert.equal(queues.holds(failing.run.id), false, "nothing of it runs here any more");
  queues.letGo(failing.run.id, new RunTakenOverError(failing.run.id, "another-engine"));
  assert.deepEqual(queues.heldIds(), [], "once another engine took it, it is not held");
});
