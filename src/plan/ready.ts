/**
 * Readiness as pure functions of (plan, leaf states): which leaves may start,
 * which can no longer run, and the run's result. Each call walks the whole
 * plan once; the engine should prefer the incremental `Readiness`
 * (readiness.ts), which gives the same answers for a fraction of the cost.
 */
import {
  countsAsFailure,
  emptyTally,
  evaluateConditions,
  failFastReason,
  groupState,
  hasHandlerCondition,
  hasStarted,
  inProgress,
  isTerminal,
  outcomeOf,
  tallyChild,
} from "./conditions.js";
import type { Plan, PlannedNode, TaskState } from "./types.js";

export interface NextSteps {
  start: string[];
  skip: { path: string; reason: string }[];
}

export interface ReadyOptions {
  /** Once a leaf has failed, pending leaves without on_fail/on_done conditions are skipped. */
  failFast?: boolean;
  /** At most this many in `start` (the free places of the caller's own limit); saves work on wide graphs. */
  max?: number;
}

const leafCache = new WeakMap<Plan, PlannedNode[]>();

/** The leaf tasks of a plan, in plan order (computed once per plan). */
export function leavesOf(plan: Plan): PlannedNode[] {
  let leaves = leafCache.get(plan);
  if (leaves === undefined) {
    leaves = plan.nodes.filter((node) => node.type === "task");
    leafCache.set(plan, leaves);
  }
  return leaves;
}

type States = ReadonlyMap<string, TaskState>;

/** Derived state of any node: leaves from `states` (missing = "pending"); groups/arrays from children. */
export function nodeState(plan: Plan, states: States, path: string): TaskState {
  return deriver(plan, states)(path);
}

/** A memoised state lookup for one call: each group is derived once. */
function deriver(plan: Plan, states: States): (path: string) => TaskState {
  const memo = new Map<string, TaskState>();
  const derive = (path: string): TaskState => {
    const node = plan.byPath.get(path);
    if (node === undefined || node.type === "task") return states.get(path) ?? "pending";
    const known = memo.get(path);
    if (known !== undefined) return known;
    // Count every child from its actual state (emptyTally starts them all as pending).
    const tally = { ...emptyTally(node.children.length), pending: 0 };
    for (const child of node.children) {
      const childNode = plan.byPath.get(child);
      if (childNode !== undefined) tallyChild(tally, childNode, derive(child), 1);
    }
    const state = groupState(tally);
    memo.set(path, state);
    return state;
  };
  return derive;
}

/**
 * Leaf tasks to start now (in plan order, respecting parallelLimits given those already
 * running) and pending leaves whose conditions can no longer be met. The caller applies the
 * global parallelism limit by taking a prefix of `start`, and calls again after each change.
 */
export function nextSteps(plan: Plan, states: States, options: ReadyOptions = {}): NextSteps {
  const stateOf = deriver(plan, states);
  const leaves = leavesOf(plan);
  const failed = options.failFast ? leaves.find((leaf) => countsAsFailure(leaf, stateOf(leaf.path))) : undefined;
  const candidates: PlannedNode[] = [];
  const skip: NextSteps["skip"] = [];
  for (const leaf of leaves) {
    if (stateOf(leaf.path) !== "pending") continue;
    if (failed !== undefined && !hasHandlerCondition(leaf)) {
      skip.push({ path: leaf.path, reason: failFastReason(failed.path) });
      continue;
    }
    if (!leaf.deps.every((dep) => isTerminal(stateOf(dep.path)))) continue;
    const verdict = evaluateConditions(leaf, plan.byPath, stateOf);
    if (verdict.ok) candidates.push(leaf);
    else skip.push({ path: leaf.path, reason: verdict.reason });
  }
  return { start: withinParallelLimits(plan, candidates, stateOf, options.max ?? Infinity), skip };
}

/**
 * Keeps the candidates whose arrays have room: a copy already in progress
 * may always go on; a new copy needs a free place under every limit.
 */
function withinParallelLimits(plan: Plan, candidates: PlannedNode[], stateOf: (path: string) => TaskState, max: number): string[] {
  const inProgress = new Map<string, Set<string>>();
  const copiesInProgress = (arrayPath: string): Set<string> => {
    let copies = inProgress.get(arrayPath);
    if (copies === undefined) {
      const array = plan.byPath.get(arrayPath);
      copies = new Set(array?.children.filter((copy) => copyInProgress(plan, copy, stateOf)) ?? []);
      inProgress.set(arrayPath, copies);
    }
    return copies;
  };
  const start: string[] = [];
  for (const leaf of candidates) {
    if (start.length >= max) break;
    if (leaf.parallelLimits.length === 0) {
      start.push(leaf.path);
      continue;
    }
    const needed = leaf.parallelLimits.map((limit) => ({ limit, copy: copyWithin(plan, leaf, limit.path) }));
    const fits = needed.every(({ limit, copy }) => {
      const copies = copiesInProgress(limit.path);
      return copies.has(copy) || copies.size < limit.max;
    });
    if (!fits) continue;
    for (const { limit, copy } of needed) copiesInProgress(limit.path).add(copy);
    start.push(leaf.path);
  }
  return start;
}

function copyInProgress(plan: Plan, copy: string, stateOf: (path: string) => TaskState): boolean {
  const counts = { leaves: 0, started: 0, ended: 0 };
  const stack = [copy];
  while (stack.length > 0) {
    const node = plan.byPath.get(stack.pop()!);
    if (node === undefined) continue;
    if (node.type !== "task") {
      stack.push(...node.children);
      continue;
    }
    const state = stateOf(node.path);
    counts.leaves++;
    counts.started += Number(hasStarted(state));
    counts.ended += Number(isTerminal(state));
  }
  return inProgress(counts);
}

/** The child of `arrayPath` (a copy) that contains `leaf`, or is it. */
export function copyWithin(plan: Plan, leaf: PlannedNode, arrayPath: string): string {
  let node: PlannedNode | undefined = leaf;
  while (node !== undefined && node.parent !== arrayPath) node = node.parent === undefined ? undefined : plan.byPath.get(node.parent);
  return node?.path ?? leaf.path;
}

/** "running" while any leaf is not terminal; otherwise the run's result. */
export function runOutcome(plan: Plan, states: States): "running" | "succeeded" | "failed" | "canceled" {
  const counts = { active: 0, failures: 0, canceled: 0 };
  for (const node of leavesOf(plan)) {
    const state = states.get(node.path) ?? "pending";
    if (!isTerminal(state)) counts.active++;
    else if (countsAsFailure(node, state)) counts.failures++;
    else if (state === "canceled") counts.canceled++;
  }
  return outcomeOf(counts);
}
