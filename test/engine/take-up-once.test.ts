/**
 * A stored run can reach an engine two ways at once (its start-up's recovery
 * and a take-up, or a take-up and its own admission still awaiting the
 * store): it is held once, and runs once.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { aRun, runCreated } from "../store/fixtures.js";
import { engineWith, finishedRuns } from "./scheduler-harness.js";

checkNoLeftoverProcesses();

test("a queued run taken up twice at once is held once, and runs once", async (t) => {
  const { engine, store } = await engineWith(t, `pipelines:\n  once:\n    concurrency: 2\n    tasks:\n      t: { run: "true" }\n`, undefined, { startScheduler: false });
  const [pipeline] = await store.listPipelines();
  const run = aRun("r-twice", { namespace: "s", pipeline: "once", args: {}, definition: pipeline!.definition, trigger: { kind: "manual" }, created_at: Date.now() });
  await store.createRun(run, runCreated(run));
  const finished = finishedRuns(engine, 1);
  const counts = await Promise.all([engine.recover(), engine.recover()]);
  assert.equal(counts.reduce((sum, count) => sum + count.requeued, 0), 2, "both ways found the run queued");
  await finished;
  await engine.drain(5_000);
  const events = await store.listEvents("r-twice", 0, 100);
  assert.deepEqual(
    events.filter((event) => event.type === "run.started" || event.type === "run.finished").map((event) => event.type),
    ["run.started", "run.finished"],
    "it started and finished once",
  );
  assert.deepEqual((await store.getRun("r-twice"))!.tasks.map((task) => [task.path, task.attempt, task.state]), [["t", 1, "succeeded"]]);
});
