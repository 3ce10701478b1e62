/**
 * fail_fast against tasks that end on their own at the moment a sibling
 * fails: the cancel races their exits. Whatever the timing, a task is
 * recorded as canceled only when the cancel stopped it (then by its signal,
 * with no exit code); one that exited by itself keeps its real result.
 */
import { LocalLogs } from "../../src/logs/local-logs.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { LocalExecutor } from "../../src/exec/local-executor.js";
import { RunController } from "../../src/engine/runs/run-controller.js";
import { createRun } from "../../src/engine/runs/start-run.js";
import { Slots } from "../../src/engine/resources/slots.js";
import { pipelineSchema } from "../../src/definitions/schema.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { openTestStore } from "../helpers/sqlite-store.js";

checkNoLeftoverProcesses();

/** Runs of the race, each with siblings ending around the cancel. Without the fix, about half of the siblings were recorded wrong (40 to 76 of 120 in 15 runs). */
const ROUNDS = 10;

test("fail_fast: a sibling that exited on its own as the cancel came is never recorded as canceled with an exit code", async (t) => {
  const dir = tempDir(t);
  const store = await openTestStore(t, dir);
  const executor = new LocalExecutor();
  t.after(() => executor.shutdown());
  const seen = { canceledBySignal: 0, endedOnTheirOwn: 0, wrong: [] as string[] };
  for (let round = 0; round < ROUNDS; round++) {
    const go = join(dir, `go-${round}`);
    // Each sibling exits 0 a little after bad's signal file appears, at staggered moments: some before the cancel, some as it comes.
    const sibling = (pause: string) => ({ run: `while [ ! -e "${go}" ]; do sleep 0.002; done; sleep ${pause}; exit 0` });
    const pipeline = pipelineSchema.parse({
      fail_fast: true,
      tasks: {
        bad: { run: `sleep 0.05; touch "${go}"; exit 1` },
        ...Object.fromEntries(["0", "0.005", "0.01", "0.015", "0.02", "0.03", "0.04", "0.06"].map((pause, index) => [`ok${index}`, sibling(pause)])),
      },
    });
    const prepared = await createRun(store, { namespace: "t", pipelineName: "race", pipeline, args: {}, trigger: { kind: "manual", scheduled_at: null }, baseDir: dir, secretSource: {} });
    const controller = new RunController({ store, executor, logs: new LocalLogs(), dataDir: dir, slots: new Slots(16), nodePath: process.execPath, baseEnv: process.env }, prepared);
    const row = await controller.start();
    assert.equal(row.state, "failed");
    for (const task of (await store.getRun(row.id))!.tasks) {
      if (task.path === "bad") continue;
      if (task.state === "canceled" && task.exit_code === null) seen.canceledBySignal++;
      else if (task.state === "succeeded" && task.exit_code === 0) seen.endedOnTheirOwn++;
      else seen.wrong.push(`${task.path}: ${task.state} with exit code ${task.exit_code} (${task.reason})`);
    }
  }
  assert.deepEqual(seen.wrong, [], `each sibling either stopped by the cancel or succeeded on its own (${seen.canceledBySignal} canceled, ${seen.endedOnTheirOwn} succeeded)`);
});
