/**
 * `spire hook` says what to do before its URL answers: a pipeline with no
 * webhook trigger, or no engine running, is said first, and the curl line
 * comes as what to run after that, not as if it would work now. `--rotate`
 * changes a pipeline's hook token: the one before stops working.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spire } from "../helpers/cli.js";
import { pipelineFile, startEngine, stopEngine } from "../helpers/engine.js";
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

test("spire hook --rotate gives the pipeline a new hook token: the old one is refused from then on, on an engine started again too, and other pipelines' tokens go on working", async (t) => {
  const data = tempDir(t);
  const file = pipelineFile(data, `namespace: h\npipelines:\n  deploy:\n    triggers: [{ webhook: true }]\n    tasks:\n      go: { run: "true" }\n  other:\n    triggers: [{ webhook: true }]\n    tasks:\n      go: { run: "true" }\n`);
  assert.equal((await spire(["apply", "-f", file], { data })).code, 0);
  const tokenOf = async (pipeline: string, extra: string[] = []) => {
    const shown = await spire(["hook", pipeline, "--json", ...extra], { data });
    assert.equal(shown.code, 0, shown.stderr);
    return (JSON.parse(shown.stdout) as { token: string }).token;
  };
  const [before, other] = [await tokenOf("h/deploy"), await tokenOf("h/other")];
  // Without an engine, as with one: the data folder's store keeps the change.
  const rotated = await spire(["hook", "h/deploy", "--rotate"], { data });
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.match(rotated.stdout, /✓ h\/deploy has a new hook token: the one before no longer works/);
  const first = await tokenOf("h/deploy");
  assert.notEqual(first, before);

  let engine = await startEngine(t, data);
  const fire = (pipeline: string, token: string) => fetch(`${engine.url}/api/v1/hooks/h/${pipeline}`, { method: "POST", headers: { authorization: `Bearer ${token}` } }).then((answer) => answer.status);
  assert.equal(await fire("deploy", before), 401, "the token before the change");
  assert.equal(await fire("deploy", first), 201);
  assert.equal(await fire("other", other), 201, "another pipeline's token is its own");
  const second = await tokenOf("h/deploy", ["--rotate"]);
  assert.notEqual(second, first);
  assert.equal(await tokenOf("h/deploy"), second, "the new token is the one shown from then on");
  assert.equal(await fire("deploy", first), 401, "changed through the engine: refused at once");
  await stopEngine(engine);
  engine = await startEngine(t, data);
  assert.equal(await fire("deploy", first), 401, "and after a restart");
  assert.equal(await fire("deploy", second), 201);
  const audit = await spire(["audit", "--json"], { data });
  assert.equal(audit.code, 0, audit.stderr);
  assert.equal(audit.stdout.match(/"hook\.rotate"/g)?.length, 2, "each change is audited");
  const missing = await spire(["hook", "h/nothing", "--rotate"], { data });
  assert.notEqual(missing.code, 0, "no such pipeline");
  await stopEngine(engine);
});
