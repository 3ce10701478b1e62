/**
 * A run's controller stopped by a fault of the engine's own (here: the
 * listener that follows the run throws), not by the store: what ran is
 * stopped, and the run ends "interrupted" in the store with the reason,
 * instead of showing as running until the engine's next start. A failure of
 * the store itself still leaves the run to that start (RunWrites.gave).
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { RunController, type RunChange } from "../../src/engine/runs/run-controller.js";
import { createRun } from "../../src/engine/runs/start-run.js";
import { Slots } from "../../src/engine/resources/slots.js";
import { pipelineSchema } from "../../src/definitions/schema.js";
import type { StateChange } from "../../src/store/port.js";
import { LocalLogs } from "../../src/logs/local-logs.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { alive } from "../helpers/poll.js";
import { tempDir } from "../helpers/tmp.js";
import { openTestStore } from "../helpers/sqlite-store.js";

checkNoLeftoverProcesses();

/** `holdWrite`: a write it gives a promise for is stored once that settles (an attempt kept on its way to its process). */
async function runWithFault(
  t: TestContext,
  definition: unknown,
  faultAt: (change: RunChange) => boolean,
  failWrites?: (types: string[]) => boolean,
  holdWrite?: (changes: StateChange[]) => Promise<void> | undefined,
) {
  const dir = tempDir(t);
  const store = await openTestStore(t, dir);
  const write = store.write.bind(store);
  store.write = async (changes) => {
    await holdWrite?.(changes);
    return failWrites?.(changes.map((change) => change.event.type)) ? Promise.reject(new Error("disk I/O error")) : write(changes);
  };
  const executor = new LocalExecutor();
  const prepared = await createRun(store, {
    namespace: "test",
    pipelineName: "p",
    pipeline: pipelineSchema.parse(definition),
    args: {},
    trigger: { kind: "manual", scheduled_at: null },
    baseDir: dir,
    secretSource: process.env,
  });
  const controller = new RunController({ store, executor, logs: new LocalLogs(), dataDir: dir, slots: new Slots(4), nodePath: process.execPath, baseEnv: process.env }, prepared, (change) => {
    if (faultAt(change)) throw new TypeError("the follower broke");
  });
  const final = await controller.start();
  const recorded = await controller.interruption;
  await executor.shutdown();
  return { final, recorded, stored: (await store.getRun(final.id))!, events: await store.listEvents(final.id, 0, 1000), controller };
}

test("a fault of the engine's own ends the run interrupted in the store: its running task stopped, its pending one interrupted", async (t) => {
  const { final, recorded, stored, events, controller } = await runWithFault(
    t,
    { tasks: { quick: { run: "true" }, long: { run: "sleep 30" }, after: { needs: ["quick"], run: "true" } } },
    (change) => change.type === "task" && change.row.path === "quick" && change.row.state === "succeeded",
  );
  assert.equal(final.state, "interrupted");
  assert.equal(recorded, true, "the run's end was stored");
  assert.equal(controller.gaveUp, true);
  assert.equal(stored.run.state, "interrupted");
  assert.equal(stored.run.reason, "internal error: TypeError: the follower broke");
  assert.ok(stored.run.finished_at !== null);
  const tasks = new Map(stored.tasks.map((task) => [task.path, task]));
  assert.equal(tasks.get("quick")?.state, "succeeded");
  // Stopped by fail(), before the executor's shutdown at the test's end would have.
  assert.equal(tasks.get("long")?.state, "canceled");
  assert.equal(tasks.get("long")?.reason, "internal error: TypeError: the follower broke");
  assert.equal(alive(tasks.get("long")!.pid!), false);
  assert.equal(tasks.get("after"), undefined, "never started");
  assert.equal(events.at(-1)?.type, "run.finished");
});

test("a fault while another attempt is on its way to its process: that process is never started", async (t) => {
  let faulted!: () => void;
  const fault = new Promise<void>((resolve) => (faulted = resolve));
  const { stored, events } = await runWithFault(
    t,
    { tasks: { first: { run: "true" }, second: { run: "touch second-ran" } } },
    (change) => {
      const now = change.type === "task" && change.row.path === "first" && change.row.state === "running";
      if (now) faulted();
      return now;
    },
    undefined,
    // The second attempt's start is stored only once the fault has come: it is between its slot and its process then.
    (changes) => (changes.some((change) => change.event.type === "task.started" && change.event.task_path === "second") ? fault : undefined),
  );
  assert.equal(stored.run.state, "interrupted");
  const tasks = new Map(stored.tasks.map((task) => [task.path, task]));
  // The attempt whose start the fault interrupted is on record as running: the run's end interrupts it.
  assert.equal(tasks.get("first")?.state, "interrupted");
  assert.equal(tasks.get("second")?.state, "canceled");
  assert.equal(tasks.get("second")?.pid, null, "no process");
  // The end of the attempt that was starting is written before the run's: nothing of the run comes after its end.
  assert.equal(events.at(-1)?.type, "run.finished", events.map((event) => event.type).join(" "));
});

test("a failure of the store leaves the run as last written, for the engine's next start to carry on", async (t) => {
  let failing = false;
  const { final, recorded, stored } = await runWithFault(
    t,
    { tasks: { quick: { run: "true" }, long: { needs: ["quick"], run: "sleep 30" } } },
    () => false,
    (types) => {
      // The store fails from the first task's end on: every write after it too.
      if (types.includes("task.finished")) failing = true;
      return failing;
    },
  );
  assert.equal(final.state, "interrupted");
  assert.equal(recorded, undefined, "no end is written after the store's own failure");
  assert.equal(stored.run.state, "running");
});
