/**
 * A file a task on a worker keeps under a name the engine cannot take (a
 * backslash in it) is not kept, and said so; the task's other files are
 * kept and its end is recorded. The worker asked again and again, each time
 * refused, and the run never ended.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";
import { spire } from "../helpers/cli.js";
import { apiGet, apiStartRun, pipelineFile, startEngine, stopEngine, waitForState } from "../helpers/engine.js";
import { connectWorker } from "../cluster/shared-store.js";

checkNoLeftoverProcesses();

test("a worker's file whose name the engine cannot take is not kept, and said so; the rest is kept and the run ends", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, "data");
  const file = pipelineFile(dir, `namespace: far\npipelines:\n  names:\n    tasks:\n      make:\n        runs_on: [gpu]\n        run: 'printf x > "a\\b.bin"; printf y > ok.bin'\n        artifacts: ["*.bin"]\n`);
  const engine = await startEngine(t, data, ["-f", file]);
  const worker = await connectWorker(t, engine, dir);
  const id = await apiStartRun(engine, "far/names");
  assert.equal((await waitForState(data, id, "succeeded")).state, "succeeded");
  const listed = await apiGet<{ artifacts: { name: string }[] }>(engine, `/runs/${id}/artifacts`);
  assert.deepEqual(listed.artifacts.map((artifact) => artifact.name), ["ok.bin"]);
  const logs = await spire(["logs", id, "make"], { data });
  assert.match(logs.stdout + logs.stderr, /spire: artifacts: a\\b\.bin not kept: its name "a\\\\b\.bin" is not a plain relative path \(no leading \/, no \. or \.\. parts, no backslash\)/);
  await worker.stop();
  await stopEngine(engine);
});
