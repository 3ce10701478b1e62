/**
 * `spire hook` says what to do before its URL answers: a pipeline with no
 * webhook trigger, or no engine running, is said first, and the curl line
 * comes as what to run after that, not as if it would work now.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spire } from "../helpers/cli.js";
import { pipelineFile } from "../helpers/engine.js";
import { checkNoLeftoverProcesses } from "../helpers/leaks.js";
import { tempDir } from "../helpers/tmp.js";

checkNoLeftoverProcesses();

test("spire hook with no webhook trigger, and with no engine running, says so before how to fire it", async (t) => {
  const data = tempDir(t);
  const file = pipelineFile(data, `namespace: h\npipelines:\n  quiet:\n    tasks:\n      go: { run: "true" }\n  deploy:\n    triggers: [{ webhook: true }]\n    tasks:\n      go: { run: "true" }\n`);
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);

  const quiet = await spire(["hook", "h/quiet"], { data });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.match(quiet.stdout, /h\/quiet has no webhook trigger yet: add `- webhook: true` to its triggers and apply; then fire it with:\n {2}curl -X POST/);
  assert.doesNotMatch(quiet.stdout, /Fire it:/);

  const deploy = await spire(["hook", "h/deploy"], { data });
  assert.equal(deploy.code, 0, deploy.stderr);
  assert.match(deploy.stdout, /No engine is running, so nothing answers at this URL yet: start one \(spire engine\); then fire it with:\n {2}curl -X POST/);
  assert.doesNotMatch(deploy.stdout, /Fire it:/);
});
