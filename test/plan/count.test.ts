/**
 * The count that guards against definition bombs must be exactly what the
 * planner builds (an undercount would let a bomb through), and must cost
 * nothing however much it multiplies to.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { countExpansion } from "../../src/plan/count.js";
import { GATOR_TREE, parsePipeline, planOf } from "./fixtures.js";
import { randomTasks, Tape } from "./simulate.js";

const tape = fc.array(fc.nat({ max: 10_000 }), { minLength: 20, maxLength: 600 });

function assertCountIsPlanSize(tasks: Record<string, unknown>): void {
  const counted = countExpansion("p", parsePipeline({ tasks }));
  assert.equal(counted.nodes, planOf(tasks).nodes.length);
}

test("the count is the number of nodes the planner makes: groups, arrays, matrices and copies of groups", () => {
  assertCountIsPlanSize(GATOR_TREE);
  assertCountIsPlanSize({
    m: { matrix: { os: ["linux", "mac"], py: [3.11, 3.12, 3.13] }, group: { a: { run: "true" }, r: { repeat: 2, exec: ["true"] } } },
    empty: { repeat: 3, group: {} },
    plain: { run: "true" },
  });
  fc.assert(fc.property(tape, (shape) => assertCountIsPlanSize(randomTasks(new Tape(shape)))), { numRuns: 200 });
});

test("a bomb is counted in no time, and the site is the outermost multiplier on the way to the biggest part", () => {
  const started = performance.now();
  const thousand = Array.from({ length: 1000 }, (_, i) => i);
  const counted = countExpansion("p", parsePipeline({ tasks: {
    small: { repeat: 3, run: "true" },
    big: { group: { outer: { repeat: 10_000, group: { inner: { matrix: { a: thousand, b: thousand }, run: "true" } } } } },
  } }));
  assert.ok(performance.now() - started < 100);
  assert.equal(counted.nodes, 4 + 1 + 1 + 10_000 * (1 + 1 + 1_000_000));
  assert.deepEqual(counted.site, { keyPath: ["pipelines", "p", "tasks", "big", "group", "outer"], field: "repeat", copies: 10_000 });
  assert.equal(countExpansion("p", parsePipeline({ tasks: { a: { run: "true" } } })).site, undefined);
});
