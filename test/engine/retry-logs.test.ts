/**
 * A retry keeps the tasks that passed, and their logs: retention removing
 * the run they came from (keep: 1 here, through `spire gc`'s sweep) must not
 * take those logs away from the retried run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { admin, finishedRuns, triggerEngine } from "./trigger-harness.js";

checkNoLeftoverProcesses();

// `second` fails the first time (no flag yet) and passes when retried; `first` passes and is kept.
const yaml = `pipelines:
  flaky:
    retention: { keep: 1 }
    tasks:
      first: { run: "echo kept line one; echo kept line two" }
      second: { needs: [first], run: "test -e flag || { touch flag; exit 1; }" }
`;

test("retention removes the original run; the retried run still reads the log of the task it kept", async (t) => {
  const { engine, store, defs } = await triggerEngine(t, yaml, { namespace: "r" });
  const original = await engine.startRun(admin, "r", "flaky", { args: {} });
  const [failed] = await finishedRuns(store, "r", "flaky", 1);
  assert.equal(failed!.state, "failed");
  const retried = await engine.retryRun(admin, original.id, {});
  const runs = await finishedRuns(store, "r", "flaky", 2);
  assert.deepEqual(runs.map((run) => [run.id, run.state]), [[original.id, "failed"], [retried.id, "succeeded"]]);
  const kept = (await store.getRun(retried.id))!.tasks.find((task) => task.path === "first")!;
  assert.equal(kept.reason, `kept from run ${original.id}`);

  const report = await engine.collectGarbage(admin, { dryRun: false });
  assert.deepEqual(report.runs.map((run) => run.id), [original.id], "keep: 1 removes the original");
  assert.equal(await store.getRun(original.id), undefined);
  assert.equal(existsSync(join(dirname(defs), "runs", original.id)), false, "its folder is gone (the harness's data folder holds defs/)");

  const page = await engine.readLogs(retried.id, "first", { limit: 100 });
  assert.deepEqual(page.lines.map((line) => line.line), ["kept line one", "kept line two"]);
});
