/**
 * The planned task graph of one pipeline: groups, arrays and matrices
 * expanded, names resolved to paths. Pure data, no I/O.
 */
import type { PipelineDef, TaskDef } from "../definitions/schema.js";

export type TaskState =
  | "pending"
  | "running"
  | "succeeded"
  | "failed"
  | "canceled"
  | "skipped"
  | "timed_out"
  | "interrupted";

export const TERMINAL_TASK_STATES: ReadonlySet<TaskState> = new Set([
  "succeeded",
  "failed",
  "canceled",
  "skipped",
  "timed_out",
  "interrupted",
]);

/** `pass`: from needs/on_pass/depends_on; `fail`: on_fail; `done`: on_done. */
export type DependencyKind = "pass" | "fail" | "done";

export interface Dependency {
  /** Path of a planned node (a leaf task, a group or an array). */
  path: string;
  on: DependencyKind;
  /**
   * Path of the node that declared this condition: the node itself, or the
   * enclosing group/array it was inherited from. The `fail` deps declared by
   * one node form one clause ("runs when any of these failed").
   */
  from?: string;
}

export interface PlannedNode {
  /** `dump`, `checks/size`, `shards[2]`, `arr[1]/say_count`. Unique in the plan. */
  path: string;
  /** The last name segment as written in the file (`size`, `shards`). */
  name: string;
  /** `task` runs a payload; `group` and `array` only aggregate their children. */
  type: "task" | "group" | "array";
  /** Path of the enclosing group or array node, if any. */
  parent?: string;
  /** Paths of the direct children (groups and arrays only), in file order. */
  children: string[];
  /** The definition this node came from (for an array copy: the task def with repeat/matrix removed). */
  def: TaskDef;
  /**
   * For a copy of an array, and for every node inside one: the index of the
   * innermost enclosing copy, and the matrix values of all enclosing copies
   * (inner wins on equal keys).
   */
  arrayIndex?: number;
  matrix?: Record<string, string | number | boolean>;
  /** Key path of the definition in the file: ["pipelines", "p", "tasks", "a", "group", "b"]. */
  keyPath?: (string | number)[];
  /**
   * Effective runs_on: the labels a worker must all have. The node's own
   * runs_on, else the nearest enclosing group's or array's, else the
   * pipeline's; the nearest one replaces the outer ones (no union). Absent:
   * the engine's own machine. Set on every node type, so that a group shows
   * where its tasks run, but only `task` nodes are ever dispatched. An array's
   * copies carry the array's value.
   */
  runsOn?: string[];
  /** Effective allow_failure: the node's own, else the nearest enclosing group's; default false. */
  allowFailure?: boolean;
  /**
   * Environment inherited down the tree, later wins: pipeline env < enclosing
   * groups' env < the task's own env. Values are unrendered (may hold templates).
   */
  env: Record<string, string>;
  /** Own conditions plus those inherited from enclosing groups, resolved to node paths. */
  deps: Dependency[];
  /**
   * `${{ tasks.NAME.outputs.K }}` names used by this task's templates, resolved
   * (with the same scoping as needs) to the path of an upstream node.
   */
  taskRefs: Record<string, string>;
  /**
   * Enclosing arrays with `parallel`: at most `max` copies of the array at
   * `path` in progress at once. A copy is in progress from the start of its
   * first task until all of its tasks have ended (for an array of plain
   * tasks: while the copy runs).
   */
  parallelLimits: { path: string; max: number }[];
}

export interface Plan {
  pipeline: string;
  /** All nodes in a topological order (every dependency before its dependents; parents before children). */
  nodes: PlannedNode[];
  byPath: Map<string, PlannedNode>;
}

export type { PipelineDef, TaskDef };
