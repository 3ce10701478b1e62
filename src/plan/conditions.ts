/**
 * What states mean for conditions and for the run, shared by the stateless
 * functions (ready.ts) and the incremental tracker (readiness.ts) so that
 * the two cannot drift apart.
 */
import { TERMINAL_TASK_STATES, type Dependency, type PlannedNode, type TaskState } from "./types.js";

const FAILED: ReadonlySet<TaskState> = new Set(["failed", "timed_out", "interrupted"]);

export function isTerminal(state: TaskState): boolean {
  return TERMINAL_TASK_STATES.has(state);
}

/** Failed, timed out or interrupted: what `on_fail` reacts to. */
export function isFailed(state: TaskState): boolean {
  return FAILED.has(state);
}

/** A failure that fails the run (and its group): not excused by allow_failure. Group states are already derived. */
export function countsAsFailure(node: PlannedNode, state: TaskState): boolean {
  if (node.type !== "task") return state === "failed";
  return isFailed(state) && !allowsFailure(node);
}

export function allowsFailure(node: PlannedNode): boolean {
  return node.allowFailure ?? node.def.allow_failure ?? false;
}

/** Counts over the derived states of a group's children. */
export interface ChildTally {
  total: number;
  pending: number;
  terminal: number;
  failures: number;
  canceled: number;
  skipped: number;
}

export function emptyTally(total: number): ChildTally {
  return { total, pending: total, terminal: 0, failures: 0, canceled: 0, skipped: 0 };
}

/** Adds (sign 1) or removes (sign -1) one child's contribution. */
export function tallyChild(tally: ChildTally, child: PlannedNode, state: TaskState, sign: 1 | -1): void {
  if (state === "pending") tally.pending += sign;
  if (!isTerminal(state)) return;
  tally.terminal += sign;
  if (countsAsFailure(child, state)) tally.failures += sign;
  if (state === "canceled") tally.canceled += sign;
  if (state === "skipped") tally.skipped += sign;
}

/**
 * A group's state: pending until a child moves, running until all have
 * ended; then failed if any child failed (not excused), else canceled if any
 * was canceled, else skipped if all were skipped, else succeeded. An empty
 * group has nothing to wait for and succeeds.
 */
export function groupState(tally: ChildTally): TaskState {
  if (tally.total === 0) return "succeeded";
  if (tally.terminal < tally.total) return tally.pending === tally.total ? "pending" : "running";
  if (tally.failures > 0) return "failed";
  if (tally.canceled > 0) return "canceled";
  if (tally.skipped === tally.total) return "skipped";
  return "succeeded";
}

const IN_WORDS: Record<TaskState, string> = {
  pending: "is pending",
  running: "is running",
  succeeded: "succeeded",
  failed: "failed",
  canceled: "was canceled",
  skipped: "was skipped",
  timed_out: "timed out",
  interrupted: "was interrupted",
};

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Whether a pending leaf whose dependencies have all ended may run. `needs`
 * and `on_done` deps must each hold; the `on_fail` deps declared by one node
 * form one clause that holds when any of them failed. All clauses are ANDed.
 */
export function evaluateConditions(
  leaf: PlannedNode,
  byPath: ReadonlyMap<string, PlannedNode>,
  stateOf: (path: string) => TaskState,
): Verdict {
  const failClauses = new Map<string, Dependency[]>();
  for (const dep of leaf.deps) {
    if (dep.on === "fail") {
      const clause = failClauses.get(dep.from ?? leaf.path) ?? [];
      clause.push(dep);
      failClauses.set(dep.from ?? leaf.path, clause);
      continue;
    }
    const state = stateOf(dep.path);
    if (dep.on === "pass" && !passes(byPath.get(dep.path), state)) {
      return { ok: false, reason: `needs ${dep.path}${inherited(leaf, dep.from)}, which ${IN_WORDS[state]}` };
    }
  }
  for (const [from, clause] of failClauses) {
    if (!clause.some((dep) => isFailed(stateOf(dep.path)))) {
      return { ok: false, reason: `on_fail [${clause.map((dep) => dep.path).join(", ")}]${inherited(leaf, from)}: none failed` };
    }
  }
  return { ok: true };
}

function passes(dep: PlannedNode | undefined, state: TaskState): boolean {
  if (state === "succeeded") return true;
  return dep !== undefined && dep.type === "task" && isFailed(state) && allowsFailure(dep);
}

function inherited(leaf: PlannedNode, from: string | undefined): string {
  return from === undefined || from === leaf.path ? "" : ` (inherited from ${from})`;
}

/** The run's result once every leaf has ended (see runOutcome). */
export function outcomeOf(counts: { active: number; failures: number; canceled: number }): "running" | "succeeded" | "failed" | "canceled" {
  if (counts.active > 0) return "running";
  if (counts.failures > 0) return "failed";
  if (counts.canceled > 0) return "canceled";
  return "succeeded";
}

export function failFastReason(failedPath: string): string {
  return `fail_fast: ${failedPath} failed`;
}

/** fail_fast spares the handlers: leaves with an on_fail or on_done condition follow it instead. */
export function hasHandlerCondition(leaf: PlannedNode): boolean {
  return leaf.deps.some((dep) => dep.on !== "pass");
}

/**
 * For parallel limits, a copy of an array holds a place from the start of
 * its first task until all its tasks have ended. Tasks skipped before they
 * ran do not take a place: otherwise skips alone could fill the places.
 */
export function hasStarted(state: TaskState): boolean {
  return state !== "pending" && state !== "skipped";
}

export function inProgress(counts: { leaves: number; started: number; ended: number }): boolean {
  return counts.started > 0 && counts.ended < counts.leaves;
}
