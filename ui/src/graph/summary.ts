/** What a folded group or array shows: how many of its tasks are in each state, and one state for the whole. */
import type { TaskState } from "../api/types";
import { stateLabel } from "../components/state-badge";
import type { GraphModel } from "./model";

/** A task's (or group's) state as the graph draws it. */
export interface NodeStatus {
  state: TaskState;
  /** Known once it ended. */
  durationMs?: number | null;
  attempts?: number;
  /** A word more, such as "retrying". */
  note?: string;
}

export type GraphStates = ReadonlyMap<string, NodeStatus>;

export interface Summary {
  total: number;
  counts: Partial<Record<TaskState, number>>;
  state: TaskState;
  /** Equal keys, equal summaries: lets nodes skip re-rendering. */
  key: string;
}

/** Worst first: the order in which states are listed in words. */
const ORDER: TaskState[] = ["failed", "timed_out", "interrupted", "canceled", "running", "pending", "skipped", "succeeded"];

/** One state for a set of tasks, as the engine rolls a group up (its own word wins when it sends one). */
export function overallState(counts: Partial<Record<TaskState, number>>, total: number): TaskState {
  const n = (state: TaskState) => counts[state] ?? 0;
  if (total === 0) return "pending";
  if (n("running") > 0) return "running";
  if (n("pending") === total) return "pending";
  if (n("pending") > 0) return "running";
  if (n("failed") + n("timed_out") > 0) return "failed";
  if (n("interrupted") > 0) return "interrupted";
  if (n("canceled") > 0) return "canceled";
  if (n("skipped") === total) return "skipped";
  return "succeeded";
}

/** "2 succeeded, 1 failed, 3 pending", worst first. */
export function countsInWords(counts: Partial<Record<TaskState, number>>): string {
  return ORDER.filter((state) => (counts[state] ?? 0) > 0)
    .map((state) => `${counts[state]} ${stateLabel(state)}`)
    .join(", ");
}

export const STATE_ORDER = ORDER;

/**
 * Summaries of every box in `containers` (open or folded), from the states
 * of the tasks below them. `previous` hands back the same object when
 * nothing changed, so unchanged boxes are not drawn again.
 */
export function summarize(model: GraphModel, containers: ReadonlySet<string>, states: GraphStates | undefined, previous: ReadonlyMap<string, Summary>): Map<string, Summary> {
  const counting = new Map<string, Partial<Record<TaskState, number>>>();
  for (const path of containers) counting.set(path, {});
  for (const task of model.tasks) {
    const state = states?.get(task)?.state ?? "pending";
    for (let parent = model.nodes.get(task)?.parent; parent !== undefined; parent = model.nodes.get(parent)?.parent) {
      const counts = counting.get(parent);
      if (counts) counts[state] = (counts[state] ?? 0) + 1;
    }
  }
  const out = new Map<string, Summary>();
  for (const [path, counts] of counting) {
    const total = model.nodes.get(path)?.taskCount ?? 0;
    const state = states?.get(path)?.state ?? overallState(counts, total);
    const key = `${state}|${ORDER.map((s) => counts[s] ?? 0).join(",")}`;
    const before = previous.get(path);
    out.set(path, before && before.key === key ? before : { total, counts, state, key });
  }
  return out;
}
