/**
 * A definition is planned once however often it is asked for
 * (src/plan/plan-cache.ts): the file's check leaves its plans for the runs
 * of the same objects, and a new run's plan is its first reads' too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { knownPlan, planOnce } from "../../src/plan/plan-cache.js";
import { parseDefinitions } from "../../src/definitions/load.js";
import { pipelineSchema } from "../../src/definitions/schema.js";
import { prepareRun } from "../../src/engine/runs/start-run.js";
import { planOfRun } from "../../src/engine/reads/run-object.js";

test("the check's plan of a pipeline is the plan its runs start from", () => {
  const loaded = parseDefinitions("pipelines:\n  p:\n    tasks:\n      a: { run: 'true' }\n      b: { run: 'true', needs: [a] }\n", "spire.yaml");
  assert.ok(loaded.ok);
  const pipeline = loaded.file.pipelines.p!;
  const checked = knownPlan("p", pipeline);
  assert.ok(checked, "the check left its plan");
  const first = planOnce("p", pipeline);
  const again = planOnce("p", pipeline);
  assert.ok(first.ok && again.ok);
  assert.equal(first.plan, checked, "the runs start from the check's plan");
  assert.equal(again.plan, checked, "one plan for the object");
  assert.deepEqual(
    first.plan.nodes.map((node) => node.path),
    ["a", "b"],
  );
  // A copy of the same definition is another object: planned anew, to the same graph.
  const copy = planOnce("p", structuredClone(pipeline));
  assert.ok(copy.ok);
  assert.notEqual(copy.plan, first.plan);
  assert.deepEqual(
    copy.plan.nodes.map((node) => node.path),
    ["a", "b"],
  );
});

test("a broken definition is not remembered: each ask says what is wrong", () => {
  const pipeline = pipelineSchema.parse({ tasks: { a: { run: "true", needs: ["missing"] } } });
  const first = planOnce("p", pipeline);
  assert.equal(first.ok, false);
  assert.equal(planOnce("p", pipeline).ok, false);
});

test("a new run's plan is the one its reads use", async () => {
  const pipeline = pipelineSchema.parse({ tasks: { a: { run: "true" } } });
  const { prepared } = await prepareRun({
    namespace: "n",
    pipelineName: "p",
    pipeline,
    args: {},
    trigger: { kind: "manual", scheduled_at: null },
    baseDir: process.cwd(),
    secretSource: {},
  });
  assert.equal(planOfRun(prepared.run), prepared.plan);
  // As a read from the store would give it: another object with the same id.
  assert.equal(planOfRun(structuredClone(prepared.run)), prepared.plan);
});
