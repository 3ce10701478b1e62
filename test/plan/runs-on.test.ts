/**
 * runs_on in the plan: every node carries the labels in effect there. The
 * nearest declaration wins (task, else the innermost group or array, else the
 * pipeline); it replaces outer ones rather than adding to them.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { planOf } from "./fixtures.js";
import type { Plan } from "../../src/plan/types.js";

function runsOn(plan: Plan, path: string): string[] | undefined {
  const node = plan.byPath.get(path);
  assert.ok(node, `no node ${path}`);
  return node.runsOn;
}

describe("runs_on inheritance", () => {
  test("without runs_on anywhere, no node has it (the engine's own machine)", () => {
    const plan = planOf({ a: { run: "true" }, g: { group: { b: { run: "true" } } }, arr: { repeat: 2, run: "true" } });
    for (const node of plan.nodes) assert.equal(node.runsOn, undefined, node.path);
    for (const node of plan.nodes) assert.equal("runsOn" in node, false, `${node.path} has no runsOn key at all`);
  });

  test("pipeline → group → task: the nearest declaration wins and replaces the outer ones", () => {
    const plan = planOf(
      {
        plain: { run: "true" },
        own: { run: "true", runs_on: ["gpu"] },
        g: {
          runs_on: ["edge", "arm64"],
          group: {
            inherits: { run: "true" },
            overrides: { run: "true", runs_on: "x86" },
            inner: { group: { deep: { run: "true" } } },
            nested: { runs_on: ["lab"], group: { deepest: { run: "true" }, back: { run: "true", runs_on: ["linux"] } } },
          },
        },
      },
      { runs_on: ["linux"] },
    );
    assert.deepEqual(runsOn(plan, "plain"), ["linux"], "the pipeline's");
    assert.deepEqual(runsOn(plan, "own"), ["gpu"], "the task's own, not gpu + linux");
    assert.deepEqual(runsOn(plan, "g"), ["edge", "arm64"], "a group carries the value in effect there");
    assert.deepEqual(runsOn(plan, "g/inherits"), ["edge", "arm64"]);
    assert.deepEqual(runsOn(plan, "g/overrides"), ["x86"], "one label alone is a list");
    assert.deepEqual(runsOn(plan, "g/inner"), ["edge", "arm64"]);
    assert.deepEqual(runsOn(plan, "g/inner/deep"), ["edge", "arm64"], "through a group without its own");
    assert.deepEqual(runsOn(plan, "g/nested/deepest"), ["lab"], "the innermost group's");
    assert.deepEqual(runsOn(plan, "g/nested/back"), ["linux"]);
  });

  test("the copies of an array and matrix carry the array's runs_on, or what the array inherits", () => {
    const plan = planOf(
      {
        shards: { repeat: 3, run: "true", runs_on: ["batch"] },
        inherited: { repeat: 2, run: "true" },
        build: { matrix: { py: ["3.11", "3.12"] }, exec: ["make"], runs_on: "builder" },
        fan: { repeat: 2, runs_on: ["cluster"], group: { step: { run: "true" }, gpu_step: { run: "true", runs_on: ["gpu"] } } },
      },
      { runs_on: "linux" },
    );
    assert.deepEqual(runsOn(plan, "shards"), ["batch"]);
    for (const index of [0, 1, 2]) assert.deepEqual(runsOn(plan, `shards[${index}]`), ["batch"]);
    assert.deepEqual(runsOn(plan, "inherited[1]"), ["linux"]);
    assert.deepEqual(runsOn(plan, "build[0]"), ["builder"]);
    assert.deepEqual(runsOn(plan, "build[1]"), ["builder"]);
    assert.deepEqual(runsOn(plan, "fan[1]"), ["cluster"]);
    assert.deepEqual(runsOn(plan, "fan[1]/step"), ["cluster"]);
    assert.deepEqual(runsOn(plan, "fan[0]/gpu_step"), ["gpu"]);
  });

  test("the definition keeps what was written; the effective value lives on the node", () => {
    const plan = planOf({ g: { runs_on: ["edge"], group: { t: { run: "true" } } } });
    assert.equal(plan.byPath.get("g/t")!.def.runs_on, undefined);
    assert.deepEqual(plan.byPath.get("g/t")!.runsOn, ["edge"]);
  });
});
