/**
 * Which results a retry keeps. Re-run the tasks that did not pass (or, with
 * `from`, that task or group) and everything downstream of them; keep every
 * other task that passed. Pure.
 */
import type { Plan } from "../../plan/types.js";
import type { TaskRunRow } from "../../store/port.js";
import { suggest } from "../../definitions/suggest.js";
import { latestAttempts } from "./task-row.js";

export function keptForRetry(plan: Plan, rows: TaskRunRow[], from?: string): { kept: Map<string, TaskRunRow> } | { error: string } {
  const latest = latestAttempts(rows);
  const leaves = plan.nodes.filter((node) => node.type === "task");

  let seeds: string[];
  if (from !== undefined) {
    const node = plan.byPath.get(from);
    if (!node) {
      const close = suggest(from, plan.nodes.map((n) => n.path));
      return { error: `--from ${JSON.stringify(from)}: no such task in this run${close ? ` — did you mean ${JSON.stringify(close)}?` : `; its tasks: ${taskList(plan)}`}` };
    }
    seeds = leaves.filter((leaf) => leaf.path === from || within(leaf.path, from)).map((leaf) => leaf.path);
  } else {
    seeds = leaves.filter((leaf) => latest.get(leaf.path)?.state !== "succeeded").map((leaf) => leaf.path);
    if (seeds.length === 0) return { error: "every task of this run passed: there is nothing to retry (use --from TASK to run part of it again)" };
  }

  const rerun = new Set(seeds);
  // Plan order is topological: a leaf's dependencies are decided before it.
  for (const leaf of leaves) {
    if (rerun.has(leaf.path)) continue;
    if (leaf.deps.some((dep) => rerun.has(dep.path) || [...rerun].some((path) => within(path, dep.path)))) rerun.add(leaf.path);
  }
  const kept = new Map<string, TaskRunRow>();
  for (const leaf of leaves) {
    const row = latest.get(leaf.path);
    if (!rerun.has(leaf.path) && row?.state === "succeeded") kept.set(leaf.path, row);
  }
  return { kept };
}

/** What --from may name, in the plan's order: the first few, and how many more. */
function taskList(plan: Plan): string {
  const paths = plan.nodes.map((node) => node.path);
  const shown = paths.slice(0, LISTED_TASKS).join(", ");
  return paths.length > LISTED_TASKS ? `${shown} and ${paths.length - LISTED_TASKS} more (spire show RUN lists them)` : shown;
}

const LISTED_TASKS = 10;

/** Is `path` inside the group or array at `container`? */
function within(path: string, container: string): boolean {
  return path.startsWith(`${container}/`) || path.startsWith(`${container}[`);
}
