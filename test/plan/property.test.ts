import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { planPipeline } from "../../src/plan/plan.js";
import { nextSteps, nodeState, runOutcome } from "../../src/plan/ready.js";
import type { TaskState } from "../../src/plan/types.js";
import { parsePipeline } from "./fixtures.js";
import { randomTasks, simulate, Tape } from "./simulate.js";

const tape = fc.array(fc.nat({ max: 10_000 }), { minLength: 20, maxLength: 600 });

function randomPlan(values: number[]) {
  const result = planPipeline("p", parsePipeline({ tasks: randomTasks(new Tape(values)) }));
  if (!result.ok) assert.fail(result.errors.map((error) => error.message).join("\n"));
  return result.plan;
}

test("random graphs run to the end: every task ends, none early, none twice, limits kept, both implementations agree", () => {
  fc.assert(
    fc.property(tape, tape, fc.boolean(), (shape, choices, failFast) => {
      simulate(randomPlan(shape), new Tape(choices), failFast);
    }),
    { numRuns: 300 },
  );
});

test("random graphs: nodes are in topological order", () => {
  fc.assert(
    fc.property(tape, (shape) => {
      const plan = randomPlan(shape);
      const position = new Map(plan.nodes.map((node, i) => [node.path, i]));
      assert.equal(position.size, plan.byPath.size);
      for (const node of plan.nodes) {
        for (const dep of node.deps) assert.ok(position.get(dep.path)! < position.get(node.path)!);
        if (node.parent !== undefined) assert.ok(position.get(node.parent)! < position.get(node.path)!);
      }
    }),
    { numRuns: 200 },
  );
});

test("with everything succeeding, only on_fail handlers (and what needs them) are skipped", () => {
  fc.assert(
    fc.property(tape, (shape) => {
      const plan = randomPlan(shape);
      const states = new Map<string, TaskState>();
      for (let steps = nextSteps(plan, states); steps.start.length + steps.skip.length > 0; steps = nextSteps(plan, states)) {
        for (const skip of steps.skip) {
          assert.match(skip.reason, /^on_fail \[.*\]( \(inherited from .*\))?: none failed$|, which was skipped$/);
          states.set(skip.path, "skipped");
        }
        for (const path of steps.start) states.set(path, "succeeded");
      }
      for (const node of plan.nodes) {
        if (node.type === "task" && node.deps.every((dep) => dep.on !== "fail")) {
          const skippedDeps = node.deps.filter((dep) => nodeState(plan, states, dep.path) === "skipped" && dep.on === "pass");
          assert.equal(states.get(node.path), skippedDeps.length > 0 ? "skipped" : "succeeded", node.path);
        }
      }
      assert.equal(runOutcome(plan, states), "succeeded");
    }),
    { numRuns: 200 },
  );
});
