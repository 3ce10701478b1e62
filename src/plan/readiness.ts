/**
 * Incremental readiness: told of each leaf's state change, it keeps group
 * states, dependency counts and array progress up to date, so a change costs
 * only what it affects instead of a walk over the whole plan. It answers
 * exactly as the stateless functions of ready.ts do (a property test holds
 * it to that), and applies skips itself, cascades included, so one call
 * after a change gives everything that follows from it.
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
  type ChildTally,
} from "./conditions.js";
import { copyWithin, type NextSteps, type ReadyOptions } from "./ready.js";
import type { Plan, PlannedNode, TaskState } from "./types.js";

interface Limit {
  array: number;
  copy: number;
  max: number;
}

export interface ReadinessOptions extends ReadyOptions {
  /** Leaf states to start from (a resumed run); missing leaves are pending. */
  states?: ReadonlyMap<string, TaskState>;
}

export class Readiness {
  private readonly nodes: readonly PlannedNode[];
  private readonly index = new Map<string, number>();
  private readonly parent: number[];
  private readonly dependents: number[][];
  private readonly limits: Limit[][];
  private readonly leafStates = new Map<string, TaskState>();
  private readonly outbox: { index: number; reason: string }[] = [];
  private state: TaskState[] = [];
  private tallies: (ChildTally | undefined)[] = [];
  private unresolved: number[] = [];
  /** Per array: copies in progress. Per node: its leaves, and how many have started and ended. */
  private inProgress: number[] = [];
  private progress: { leaves: number; started: number; ended: number }[] = [];
  private ready = new Set<number>();
  /**
   * `ready` sorted by plan order (undefined: made again at the next look); an addition takes its place in it. A removal (a task started)
   * leaves its entry where it is, counted in `readyGone`, and the entries before `readyHead` are all gone:
   * an array of 5,000 ready copies started one by one is not filtered 5,000 times.
   */
  private readyOrder: number[] | undefined = [];
  private readyHead = 0;
  private readyGone = 0;
  private toEvaluate: number[] = [];
  private failedFirst: string | undefined;
  private sweepDue = false;
  private counts = { active: 0, failures: 0, canceled: 0 };

  constructor(
    private readonly plan: Plan,
    private readonly options: ReadinessOptions = {},
  ) {
    this.nodes = plan.nodes;
    this.nodes.forEach((node, i) => this.index.set(node.path, i));
    this.parent = this.nodes.map((node) => (node.parent === undefined ? -1 : (this.index.get(node.parent) ?? -1)));
    this.dependents = this.nodes.map(() => []);
    this.nodes.forEach((node, i) => {
      if (node.type !== "task") return;
      for (const target of this.depTargets(node)) this.dependents[target]!.push(i);
    });
    this.limits = this.nodes.map((node) =>
      node.type !== "task"
        ? []
        : node.parallelLimits.map((limit) => ({
            array: this.index.get(limit.path) ?? -1,
            copy: this.index.get(copyWithin(plan, node, limit.path)) ?? -1,
            max: limit.max,
          })),
    );
    for (const [path, state] of options.states ?? []) this.leafStates.set(path, state);
    this.rebuild();
  }

  /** Records a leaf's new state. Forward moves cost what they affect; a move back (a reset) rebuilds. */
  update(path: string, state: TaskState): void {
    const i = this.index.get(path);
    if (i === undefined || this.nodes[i]!.type !== "task" || this.state[i] === state) return;
    const old = this.state[i]!;
    this.leafStates.set(path, state);
    const forward = old === "pending" ? state !== "pending" : old === "running" && isTerminal(state);
    if (!forward) return this.rebuild();
    this.applyLeaf(i, state);
    this.settle();
  }

  /**
   * Leaves to start now (at most `max`, in plan order, within parallel
   * limits given the copies in progress), and the leaves skipped since the
   * last call. Skips are already recorded here; the caller persists them.
   * Starting is up to the caller: report each start with update(path, "running").
   */
  next(max = Infinity): NextSteps {
    const start: string[] = [];
    const admitted = new Map<number, Set<number>>();
    const order = this.readyInOrder();
    for (let at = this.readyHead; at < order.length; at++) {
      if (start.length >= max) break;
      const i = order[at]!;
      if (!this.ready.has(i) || this.state[i] !== "pending" || !this.fits(i, admitted)) continue;
      for (const limit of this.limits[i]!) {
        if (!this.copyInProgress(limit.copy)) admittedCopies(admitted, limit.array).add(limit.copy);
      }
      start.push(this.nodes[i]!.path);
    }
    const skip = this.outbox.sort((a, b) => a.index - b.index).map(({ index, reason }) => ({ path: this.nodes[index]!.path, reason }));
    this.outbox.length = 0;
    return { start, skip };
  }

  /** Derived state of any node. */
  stateOf(path: string): TaskState {
    const i = this.index.get(path);
    return i === undefined ? "pending" : this.state[i]!;
  }

  /** Leaves not terminal yet: pending, running, or waiting to retry. */
  unfinishedLeaves(): number {
    return this.counts.active;
  }

  /** "running" while any leaf is not terminal; otherwise the run's result. */
  outcome(): "running" | "succeeded" | "failed" | "canceled" {
    return outcomeOf(this.counts);
  }

  private depTargets(node: PlannedNode): Set<number> {
    const targets = new Set<number>();
    for (const dep of node.deps) {
      const target = this.index.get(dep.path);
      if (target !== undefined) targets.add(target);
    }
    return targets;
  }

  /** Everything from scratch: all pending, then the known leaf states, then what follows. */
  private rebuild(): void {
    this.state = this.nodes.map(() => "pending");
    this.tallies = this.nodes.map((node) => (node.type === "task" ? undefined : emptyTally(node.children.length)));
    this.inProgress = this.nodes.map(() => 0);
    this.progress = this.nodes.map(() => ({ leaves: 0, started: 0, ended: 0 }));
    this.nodes.forEach((node, i) => {
      if (node.type !== "task") return;
      for (let j = i; j >= 0; j = this.parent[j]!) this.progress[j]!.leaves++;
    });
    this.ready = new Set();
    this.readyOrder = undefined;
    this.failedFirst = undefined;
    this.sweepDue = false;
    this.counts = { active: this.nodes.filter((node) => node.type === "task").length, failures: 0, canceled: 0 };
    this.unresolved = this.nodes.map((node) => (node.type === "task" ? this.depTargets(node).size : 0));
    this.toEvaluate = [];
    this.nodes.forEach((node, i) => {
      if (node.type === "task" && this.unresolved[i] === 0) this.toEvaluate.push(i);
    });
    // Groups without children are terminal from the start (see groupState); innermost first.
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const tally = this.tallies[i];
      if (tally !== undefined && tally.total === 0) this.changeState(i, groupState(tally));
    }
    for (const [path, state] of this.leafStates) {
      const i = this.index.get(path);
      if (i !== undefined && this.nodes[i]!.type === "task" && state !== "pending") this.applyLeaf(i, state);
    }
    this.settle();
  }

  private applyLeaf(i: number, state: TaskState): void {
    const node = this.nodes[i]!;
    const old = this.state[i]!;
    if (!isTerminal(old) && isTerminal(state)) {
      this.counts.active--;
      if (countsAsFailure(node, state)) this.counts.failures++;
      else if (state === "canceled") this.counts.canceled++;
    }
    if (this.ready.delete(i)) this.readyGone++;
    this.trackProgress(i, old, state);
    this.changeState(i, state);
    if (this.options.failFast && this.failedFirst === undefined && countsAsFailure(node, state)) {
      this.failedFirst = node.path;
      this.sweepDue = true;
    }
  }

  /** Sets a node's state and carries the change up through its groups and on to dependents. */
  private changeState(start: number, startState: TaskState): void {
    let i = start;
    let state = startState;
    while (i >= 0) {
      const old = this.state[i]!;
      if (old === state) return;
      this.state[i] = state;
      if (!isTerminal(old) && isTerminal(state)) this.resolveDependents(i);
      const p = this.parent[i]!;
      if (p < 0) return;
      const tally = this.tallies[p]!;
      tallyChild(tally, this.nodes[i]!, old, -1);
      tallyChild(tally, this.nodes[i]!, state, 1);
      i = p;
      state = groupState(tally);
    }
  }

  /** Updates the started/ended counts of the leaf and its ancestors, and the copies in progress of each array. */
  private trackProgress(leaf: number, old: TaskState, state: TaskState): void {
    const started = Number(hasStarted(state)) - Number(hasStarted(old));
    const ended = Number(isTerminal(state)) - Number(isTerminal(old));
    if (started === 0 && ended === 0) return;
    for (let j = leaf; j >= 0; j = this.parent[j]!) {
      const counts = this.progress[j]!;
      const before = inProgress(counts);
      counts.started += started;
      counts.ended += ended;
      const p = this.parent[j]!;
      if (p >= 0 && this.nodes[p]!.type === "array") this.inProgress[p]! += Number(inProgress(counts)) - Number(before);
    }
  }

  private resolveDependents(target: number): void {
    for (const dependent of this.dependents[target]!) {
      if (--this.unresolved[dependent]! === 0) this.toEvaluate.push(dependent);
    }
  }

  /** Runs the evaluations and fail-fast sweep that earlier changes made due, until nothing follows. */
  private settle(): void {
    while (this.sweepDue || this.toEvaluate.length > 0) {
      if (this.sweepDue) {
        this.sweepDue = false;
        this.nodes.forEach((node, i) => {
          if (node.type === "task" && this.state[i] === "pending" && !hasHandlerCondition(node)) this.skip(i, failFastReason(this.failedFirst!));
        });
        continue;
      }
      this.evaluate(this.toEvaluate.pop()!);
    }
  }

  private evaluate(i: number): void {
    const node = this.nodes[i]!;
    if (this.state[i] !== "pending" || this.unresolved[i] !== 0) return;
    if (this.failedFirst !== undefined && !hasHandlerCondition(node)) return this.skip(i, failFastReason(this.failedFirst));
    const verdict = evaluateConditions(node, this.plan.byPath, (path) => this.stateOf(path));
    if (!verdict.ok) return this.skip(i, verdict.reason);
    if (this.ready.has(i)) return;
    this.ready.add(i);
    this.placeInOrder(i);
  }

  /**
   * A leaf that became ready takes its place in `readyOrder` (sorted from `readyHead` on), where
   * sorting the whole ready set again at the next look cost a 1,000-task graph 47 ms (bench/dag).
   */
  private placeInOrder(i: number): void {
    const order = this.readyOrder;
    if (order === undefined) return;
    let low = this.readyHead;
    let high = order.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (order[middle]! < i) low = middle + 1;
      else high = middle;
    }
    // Its entry from before it was started is still there: ready again, not listed twice.
    if (order[low] === i) this.readyGone--;
    else order.splice(low, 0, i);
  }

  private skip(i: number, reason: string): void {
    this.outbox.push({ index: i, reason });
    this.leafStates.set(this.nodes[i]!.path, "skipped");
    this.applyLeaf(i, "skipped");
  }

  /** `readyOrder` from `readyHead` on: the ready leaves in plan order, among entries no longer ready (skip those). */
  private readyInOrder(): number[] {
    let order = this.readyOrder;
    // Made from the set (no entry twice, whatever was removed and added again), or cut down once half is gone.
    if (order === undefined || this.readyGone * 2 > order.length - this.readyHead) {
      order = this.readyOrder = order === undefined ? [...this.ready].sort((a, b) => a - b) : order.slice(this.readyHead).filter((i) => this.ready.has(i));
      this.readyHead = 0;
      this.readyGone = 0;
    }
    while (this.readyHead < order.length && !this.ready.has(order[this.readyHead]!)) {
      this.readyHead++;
      this.readyGone--;
    }
    return order;
  }

  private copyInProgress(copy: number): boolean {
    const counts = this.progress[copy];
    return counts !== undefined && inProgress(counts);
  }

  private fits(i: number, admitted: Map<number, Set<number>>): boolean {
    return this.limits[i]!.every((limit) => {
      if (limit.array < 0 || this.copyInProgress(limit.copy)) return true;
      const copies = admittedCopies(admitted, limit.array);
      return copies.has(limit.copy) || this.inProgress[limit.array]! + copies.size < limit.max;
    });
  }
}

function admittedCopies(admitted: Map<number, Set<number>>, array: number): Set<number> {
  let copies = admitted.get(array);
  if (copies === undefined) admitted.set(array, (copies = new Set()));
  return copies;
}
