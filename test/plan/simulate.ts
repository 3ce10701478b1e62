/**
 * Random pipelines and a driver that runs a plan to its end, with both the
 * stateless functions and the incremental Readiness in lockstep.
 */
import assert from "node:assert/strict";
import { nextSteps, nodeState, runOutcome } from "../../src/plan/ready.js";
import { Readiness } from "../../src/plan/readiness.js";
import type { Plan, TaskState } from "../../src/plan/types.js";

/** Reads choices from a tape of numbers (0 once it runs out), so fast-check can shrink it. */
export class Tape {
  private at = 0;
  constructor(private readonly values: readonly number[]) {}
  pick(n: number): number {
    const value = this.values[this.at++] ?? 0;
    return n <= 1 ? 0 : value % n;
  }
  chance(percent: number): boolean {
    return this.pick(100) < percent;
  }
}

/**
 * A random task tree: leaves, groups and arrays (of leaves or of groups),
 * nested two deep. Conditions only name tasks declared earlier and visible
 * from the task's scope, so the graph has no cycle.
 */
export function randomTasks(tape: Tape, depth = 0, visible: string[] = [], counter = { n: 0 }): Record<string, unknown> {
  const tasks: Record<string, unknown> = {};
  const earlier: string[] = [];
  const count = 1 + tape.pick(depth === 0 ? 8 : 3);
  for (let i = 0; i < count; i++) {
    const name = `t${counter.n++}`;
    const candidates = [...earlier, ...visible];
    const def: Record<string, unknown> = {};
    for (const field of ["needs", "on_fail", "on_done"] as const) {
      const chosen = candidates.filter(() => tape.chance(field === "needs" ? 25 : 8));
      if (chosen.length > 0) def[field] = chosen;
    }
    if (tape.chance(15)) def.allow_failure = tape.chance(70);
    const shape = tape.pick(depth < 2 ? 6 : 1);
    if (shape === 4 || shape === 5) {
      def.repeat = 1 + tape.pick(3);
      if (tape.chance(60)) def.parallel = 1 + tape.pick(2);
    }
    if (shape === 3 || shape === 5) def.group = randomTasks(tape, depth + 1, candidates, counter);
    else def.run = "true";
    tasks[name] = def;
    earlier.push(name);
  }
  return tasks;
}

const RESULTS: TaskState[] = ["succeeded", "succeeded", "succeeded", "failed", "timed_out", "canceled", "interrupted"];

export interface SimulationReport {
  states: Map<string, TaskState>;
  startOrder: string[];
}

/**
 * Runs the plan to its end: start everything offered, then end one running
 * task (chosen by the tape) with a result from the tape. Checks at every
 * step that both implementations agree and that nothing starts too early,
 * twice, or beyond a parallel limit.
 */
export function simulate(plan: Plan, tape: Tape, failFast: boolean): SimulationReport {
  const states = new Map<string, TaskState>();
  const readiness = new Readiness(plan, { failFast });
  const leaves = plan.nodes.filter((node) => node.type === "task").map((node) => node.path);
  const startOrder: string[] = [];
  for (let step = 0; step <= 3 * leaves.length + 2; step++) {
    const skipped = settleStateless(plan, states, failFast);
    const steps = readiness.next();
    assert.deepEqual(steps.skip.map((skip) => skip.path).sort(), skipped.sort(), "the same tasks are skipped");
    for (const path of steps.start) {
      assert.equal(states.get(path) ?? "pending", "pending", `${path} starts only once`);
      for (const dep of plan.byPath.get(path)!.deps) {
        assert.ok(isEnded(nodeState(plan, states, dep.path)), `${path} starts after ${dep.path} ended`);
      }
      states.set(path, "running");
      readiness.update(path, "running");
      startOrder.push(path);
    }
    assertWithinLimits(plan, states);
    const running = leaves.filter((path) => states.get(path) === "running");
    if (running.length === 0) break;
    const done = running[tape.pick(running.length)]!;
    const result = RESULTS[tape.pick(RESULTS.length)]!;
    states.set(done, result);
    readiness.update(done, result);
  }
  for (const path of leaves) assert.ok(isEnded(states.get(path) ?? "pending"), `${path} ended (it is ${states.get(path) ?? "pending"})`);
  assert.notEqual(runOutcome(plan, states), "running");
  assert.equal(readiness.outcome(), runOutcome(plan, states));
  return { states, startOrder };
}

/**
 * Applies the stateless skips until there are none, and checks that what it
 * offers to start then is what Readiness offers. Returns the skipped paths.
 */
function settleStateless(plan: Plan, states: Map<string, TaskState>, failFast: boolean): string[] {
  const skipped: string[] = [];
  for (;;) {
    const steps = nextSteps(plan, states, { failFast });
    if (steps.skip.length === 0) return skipped;
    for (const { path } of steps.skip) {
      assert.equal(states.get(path) ?? "pending", "pending", `only a pending task is skipped (${path})`);
      states.set(path, "skipped");
      skipped.push(path);
    }
  }
}

function assertWithinLimits(plan: Plan, states: Map<string, TaskState>): void {
  for (const node of plan.nodes) {
    if (node.type !== "array" || node.def.parallel === undefined) continue;
    const inProgress = node.children.filter((copy) => {
      const ends = leavesUnder(plan, copy).map((leaf) => states.get(leaf) ?? "pending");
      return ends.some((state) => state !== "pending" && state !== "skipped") && !ends.every(isEnded);
    }).length;
    assert.ok(inProgress <= node.def.parallel, `${node.path}: ${inProgress} copies in progress, at most ${node.def.parallel}`);
  }
}

function leavesUnder(plan: Plan, path: string): string[] {
  const node = plan.byPath.get(path)!;
  return node.type === "task" ? [path] : node.children.flatMap((child) => leavesUnder(plan, child));
}

function isEnded(state: TaskState): boolean {
  return state !== "pending" && state !== "running";
}
