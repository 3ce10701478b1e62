/**
 * bench/plan: planner time over a whole run of a 1,000-task graph, with a
 * call after every change as the engine makes them — the incremental
 * Readiness the engine uses against the stateless nextSteps (its baseline),
 * and planPipeline itself. Budget: Readiness well under 100 ms per run.
 *
 *   npm run build && node dist/bench/plan.js
 */
import { performance } from "node:perf_hooks";
import { planPipeline } from "../src/plan/plan.js";
import { nextSteps } from "../src/plan/ready.js";
import { Readiness } from "../src/plan/readiness.js";
import type { Plan, TaskState } from "../src/plan/types.js";
import { pipelineSchema } from "../src/definitions/schema.js";
import { machine, saveResult } from "./lib.js";

function planOf(tasks: Record<string, unknown>): Plan {
  const result = planPipeline("p", pipelineSchema.parse({ tasks }));
  if (!result.ok) throw new Error(result.errors.map((error) => error.message).join("\n"));
  return result.plan;
}

/** 1,000 leaves: a random DAG (seeded), each task needing up to 3 of the 50 before it, some in groups and arrays. */
function bigPlan(): Plan {
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const tasks: Record<string, unknown> = {};
  for (let i = 0; i < 900; i++) {
    const needs = i === 0 ? [] : [...new Set(Array.from({ length: random(4) }, () => `t${Math.max(0, i - 1 - random(50))}`))];
    tasks[`t${i}`] = { run: "true", needs, ...(random(10) === 0 ? { allow_failure: true } : {}) };
  }
  tasks.fan = { repeat: 50, parallel: 8, needs: ["t10"], run: "true" };
  tasks.g = { needs: ["t100"], group: Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`s${k}`, { run: "true", needs: k > 0 ? [`s${k - 1}`] : [] }])) };
  return planOf(tasks);
}

/** Runs to the end with `parallelism` at once, finishing the oldest running task each time; returns planner milliseconds. */
function run(plan: Plan, parallelism: number, steps: (states: Map<string, TaskState>) => { next(max: number): { start: string[]; skip: { path: string }[] }; update(path: string, state: TaskState): void }): { ms: number; calls: number; ended: number } {
  const states = new Map<string, TaskState>();
  const running: string[] = [];
  const driver = steps(states);
  let ms = 0;
  let calls = 0;
  for (;;) {
    const before = performance.now();
    const { start, skip } = driver.next(parallelism - running.length);
    for (const { path } of skip) driver.update(path, "skipped");
    for (const path of start) driver.update(path, "running");
    ms += performance.now() - before;
    calls++;
    for (const { path } of skip) states.set(path, "skipped");
    for (const path of start) {
      states.set(path, "running");
      running.push(path);
    }
    const done = running.shift();
    if (done === undefined && skip.length === 0) break;
    if (done === undefined) continue;
    const result: TaskState = done.endsWith("7") ? "failed" : "succeeded";
    states.set(done, result);
    const after = performance.now();
    driver.update(done, result);
    ms += performance.now() - after;
  }
  return { ms, calls, ended: [...states.values()].filter((state) => state !== "running" && state !== "pending").length };
}


const planStarted = performance.now();
const plan = bigPlan();
const planMs = performance.now() - planStarted;
const leaves = plan.nodes.filter((node) => node.type === "task").length;
const incremental = run(plan, 8, () => {
  const readiness = new Readiness(plan);
  return { next: (max) => readiness.next(max), update: (path, state) => readiness.update(path, state) };
});
const stateless = run(plan, 8, (states) => ({
  next: (max) => {
    const steps = nextSteps(plan, states, { max });
    return { start: steps.start, skip: steps.skip };
  },
  update: () => {},
}));
if (incremental.ended !== leaves || stateless.ended !== leaves) throw new Error("a run did not end every task");
console.log(`bench/plan: ${leaves} tasks, ${incremental.calls} planner calls, parallelism 8`);
console.log(`machine: ${machine()}`);
console.log(`  planPipeline (schema parse + plan)  ${planMs.toFixed(1).padStart(7)} ms`);
console.log(`  stateless nextSteps (baseline)      ${stateless.ms.toFixed(1).padStart(7)} ms`);
console.log(`  incremental Readiness (the engine)  ${incremental.ms.toFixed(1).padStart(7)} ms   (${(stateless.ms / incremental.ms).toFixed(1)}× faster; budget < 100 ms: ${incremental.ms < 100 ? "met" : "NOT met"})`);
saveResult("plan", { tasks: leaves, plan_ms: planMs, stateless_ms: stateless.ms, readiness_ms: incremental.ms });
