/** `spire run -f` with no engine runs everything in its own process: a task meant for a worker fails at once, saying what to do. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile } from "../helpers/engine.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

test("without an engine, a task with runs_on fails with the reason and the rest run", async (t) => {
  const data = tempDir(t);
  const file = pipelineFile(data, `pipelines:\n  split:\n    tasks:\n      here: { run: "echo here" }\n      away: { run: "echo away", runs_on: [gpu] }\n      home: { run: "echo home", runs_on: [local] }\n`);
  const result = await spire(["run", "-f", file, "--json"], { data });
  assert.equal(result.code, 1, result.stderr);
  const run = JSON.parse(result.stdout) as { state: string; tasks: { path: string; state: string; reason: string | null }[] };
  const byPath = new Map(run.tasks.map((task) => [task.path, task]));
  assert.equal(byPath.get("here")!.state, "succeeded");
  assert.equal(byPath.get("home")!.state, "succeeded", "runs_on: [local] is the engine's own machine");
  assert.equal(byPath.get("away")!.state, "failed");
  assert.match(byPath.get("away")!.reason ?? "", /runs_on: \[gpu\] names labels this machine lacks, and no worker runs tasks here .*spire engine, then spire worker/);
});
