/** What a retry keeps: the passed results outside what must run again. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { keptForRetry } from "../../src/engine/runs/retry.js";
import { planPipeline } from "../../src/plan/plan.js";
import { pipelineSchema } from "../../src/definitions/schema.js";
import type { TaskState } from "../../src/plan/types.js";
import type { TaskRunRow } from "../../src/store/port.js";

const plan = (() => {
  const planned = planPipeline(
    "p",
    pipelineSchema.parse({
      tasks: {
        fetch: { run: "true" },
        build: { needs: ["fetch"], run: "true" },
        checks: { needs: ["build"], group: { lint: { run: "true" }, unit: { run: "true" } } },
        ship: { needs: ["checks"], run: "true" },
        docs: { needs: ["fetch"], run: "true" },
      },
    }),
  );
  assert.ok(planned.ok);
  return planned.plan;
})();

function rows(states: Record<string, TaskState>): TaskRunRow[] {
  return Object.entries(states).map(([path, state]) => ({
    run_id: "r1", path, attempt: 1, state, exit_code: state === "succeeded" ? 0 : 1, signal: null, reason: null, pid: null,
    started_at: 1, finished_at: 2, cpu_ms: null, peak_rss_bytes: null, warnings: 0, errors: 0, metrics: {}, outputs: {}, log_file: null, worker: null,
  }));
}

test("without --from: the tasks that did not pass and everything below them run again", () => {
  const result = keptForRetry(plan, rows({ fetch: "succeeded", build: "succeeded", "checks/lint": "succeeded", "checks/unit": "failed", ship: "skipped", docs: "succeeded" }));
  assert.ok("kept" in result);
  assert.deepEqual([...result.kept.keys()], ["fetch", "build", "checks/lint", "docs"]);
});

test("--from a task re-runs it and everything downstream, even what passed", () => {
  const all = rows({ fetch: "succeeded", build: "succeeded", "checks/lint": "succeeded", "checks/unit": "succeeded", ship: "succeeded", docs: "succeeded" });
  const result = keptForRetry(plan, all, "build");
  assert.ok("kept" in result);
  assert.deepEqual([...result.kept.keys()], ["fetch", "docs"]);
});

test("--from a group re-runs its tasks and what needs the group", () => {
  const all = rows({ fetch: "succeeded", build: "succeeded", "checks/lint": "succeeded", "checks/unit": "succeeded", ship: "succeeded", docs: "succeeded" });
  const result = keptForRetry(plan, all, "checks");
  assert.ok("kept" in result);
  assert.deepEqual([...result.kept.keys()], ["fetch", "build", "docs"]);
});

test("errors say what to do", () => {
  const passed = rows({ fetch: "succeeded", build: "succeeded", "checks/lint": "succeeded", "checks/unit": "succeeded", ship: "succeeded", docs: "succeeded" });
  assert.deepEqual(keptForRetry(plan, passed), { error: "every task of this run passed: there is nothing to retry (use --from TASK to run part of it again)" });
  assert.deepEqual(keptForRetry(plan, passed, "biuld"), { error: '--from "biuld": no such task in this run — did you mean "build"?' });
  assert.deepEqual(keptForRetry(plan, passed, "zzzzzz"), { error: '--from "zzzzzz": no such task in this run; its tasks: fetch, build, checks, checks/lint, checks/unit, ship, docs' });
  const many = planPipeline("p", pipelineSchema.parse({ tasks: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`t${i}`, { run: "true" }])) }));
  assert.ok(many.ok);
  assert.deepEqual(keptForRetry(many.plan, [], "zzzzzz"), { error: '--from "zzzzzz": no such task in this run; its tasks: t0, t1, t2, t3, t4, t5, t6, t7, t8, t9 and 2 more (spire show RUN lists them)' });
});
