/**
 * Expands a pipeline into its task graph: groups, arrays and matrices
 * become nodes with paths, names become node paths, and every mistake in
 * the graph (unknown names, cycles, outputs used before they exist) is
 * reported at once. Pure: no I/O.
 */
import { DEFAULT_MAX_TASKS, countExpansion } from "./count.js";
import { expandPipeline, type Draft } from "./expand.js";
import { ErrorList, type PlanError } from "./errors.js";
import { findCycles, isUpstream, topologicalOrder } from "./graph.js";
import { resolveTaskRefs } from "./refs.js";
import { fieldOfKind, resolveConditions } from "./resolve.js";
import type { PipelineDef, Plan, PlannedNode } from "./types.js";

export type { PlanError } from "./errors.js";

export type PlanResult = { ok: true; plan: Plan } | { ok: false; errors: PlanError[] };

export interface PlanLimits {
  /** The most nodes (tasks, groups, arrays, copies) one run may have; default DEFAULT_MAX_TASKS. */
  maxTasks?: number;
}

/**
 * For a definition that already passed validation (a stored pipeline, a run's
 * own copy): the cap was applied when it came in, under the limit of the engine
 * that took it, so it is not applied again.
 */
export const ALREADY_CHECKED: PlanLimits = { maxTasks: Infinity };

export function planPipeline(name: string, pipeline: PipelineDef, limits: PlanLimits = {}): PlanResult {
  // Counted before anything is built: expanding first is what a definition bomb relies on.
  const tooBig = tooManyTasks(name, pipeline, limits.maxTasks ?? DEFAULT_MAX_TASKS);
  if (tooBig !== undefined) return { ok: false, errors: [tooBig] };
  const { drafts } = expandPipeline(name, pipeline);
  const errors = new ErrorList();
  const byPath = new Map<string, PlannedNode>();
  for (const draft of drafts) {
    if (byPath.has(draft.node.path)) {
      errors.add({ code: "duplicate_path", keyPath: draft.keyPath, message: `two tasks have the path ${draft.node.path}` });
    }
    byPath.set(draft.node.path, draft.node);
  }
  resolveConditions(drafts, byPath, errors);
  const nodes = drafts.map((draft) => draft.node);
  for (const cycle of findCycles(nodes, byPath)) errors.add(cycleError(cycle, drafts, byPath));
  for (const draft of drafts) {
    if (draft.node.type === "task") resolveTaskRefs(draft, byPath, (node, target) => isUpstream(node, target, byPath), errors);
  }
  if (errors.errors.length > 0) return { ok: false, errors: errors.errors };
  return { ok: true, plan: { pipeline: name, nodes: topologicalOrder(nodes, byPath), byPath } };
}

function tooManyTasks(name: string, pipeline: PipelineDef, maxTasks: number): PlanError | undefined {
  const { nodes, site } = countExpansion(name, pipeline);
  if (nodes <= maxTasks) return undefined;
  const where = site === undefined ? "it has that many tasks itself" : `${site.field} here makes ${formatCount(site.copies)} copies`;
  return {
    code: "too_many_tasks",
    keyPath: site?.keyPath ?? ["pipelines", name, "tasks"],
    ...(site === undefined ? {} : { field: site.field }),
    message: `pipeline ${name} expands to ${formatCount(nodes)} tasks (groups and copies included), more than the limit of ${formatCount(maxTasks)} per run (${where})`,
    hint: "make fewer copies, or split the work over several runs (a run argument can choose the part); an engine that must run more is started with --max-tasks N",
  };
}

function formatCount(count: number): string {
  if (!Number.isFinite(count)) return "more than 1e308";
  return count < 1e15 ? count.toLocaleString("en-US") : `about ${count.toExponential(1).replace("e+", "e")}`;
}

/**
 * Reports a cycle starting at the first node (in file order) that itself
 * declares its step of the cycle, so the key path and field point at a
 * condition the user wrote. Names are shown as written (no copy indices).
 */
function cycleError(cycle: string[], drafts: Draft[], byPath: ReadonlyMap<string, PlannedNode>): PlanError {
  const draftOf = new Map(drafts.map((draft, index) => [draft.node.path, { draft, index }]));
  const declared = cycle.map((path, i) => {
    const next = cycle[(i + 1) % cycle.length]!;
    return byPath.get(path)?.deps.find((dep) => dep.path === next && dep.from === path);
  });
  let start = 0;
  cycle.forEach((path, i) => {
    const better = declared[i] !== undefined && (declared[start] === undefined || draftOf.get(path)!.index < draftOf.get(cycle[start]!)!.index);
    if (better) start = i;
  });
  const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
  const names = [...rotated, rotated[0]!].map((path) => draftOf.get(path)!.draft.display);
  const shown = names.filter((name, i) => i === 0 || name !== names[i - 1]);
  const first = declared[start];
  return {
    code: "cycle",
    keyPath: draftOf.get(rotated[0]!)!.draft.keyPath,
    ...(first === undefined ? {} : { field: fieldOfKind(first.on) }),
    message: `dependency cycle: ${shown.join(" → ")}`,
    // Said where the first step is written (the list of its field): that step is one the user can remove.
    hint: `none of them could ever start: remove one of these dependencies${first === undefined ? "" : `, such as "${names[1]}" here`}`,
  };
}
