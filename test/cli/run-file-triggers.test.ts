/**
 * `spire run -f FILE` with an engine running applies the file there, and
 * from then on its triggers fire on the engine: said when the apply made or
 * changed a pipeline with triggers, not again for the same file.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

test("run -f with an engine running says that the file's triggers now fire there, once", async (t) => {
  const dir = tempDir(t);
  const data = `${dir}/data`;
  const file = pipelineFile(dir, "namespace: home\npipelines:\n  nightly:\n    triggers: [{ cron: '0 3 * * *' }]\n    tasks:\n      t: { run: 'true' }\n  adhoc:\n    tasks:\n      t: { run: 'true' }\n");
  const engine = await startEngine(t, data);
  const first = await spire(["run", "-f", file, "nightly"], { data });
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /applied to the running engine: the triggers of home\/nightly fire there from now on \(spire pause home\/nightly stops them/);
  assert.doesNotMatch(first.stderr, /adhoc/, "a pipeline without triggers is not named");
  const again = await spire(["run", "-f", file, "adhoc"], { data });
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /applied to the running engine/, "the same file again: nothing new fires");
  await stopEngine(engine);
});
