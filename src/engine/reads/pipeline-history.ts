/**
 * A pipeline's history grid (tasks × its last runs, the Airflow grid) and
 * how long its runs and tasks take, in one answer: one read of the store
 * (Store.listRunHistory), where the run objects would take one request per
 * run.
 *
 * Compact on purpose: a 1,000-task pipeline over 50 runs is 50,000 cells,
 * so each cell is a 4-tuple aligned with `tasks`, not an object that
 * repeats its field names.
 */
import { ALREADY_CHECKED, planPipeline } from "../../plan/plan.js";
import type { TaskState } from "../../plan/types.js";
import type { PipelineDef } from "../../definitions/schema.js";
import type { HistoryRunRow, HistoryTaskRow, PipelineRow, RunState, Store } from "../../store/port.js";
import { iso } from "./run-object.js";

/** [state, duration_ms, attempts, exit_code] of a task's last attempt in one run. */
export type TaskCell = [TaskState, number | null, number, number | null];

export interface DurationStats {
  /** How many durations the figures are of. */
  count: number;
  p50: number | null;
  p95: number | null;
}

export interface HistoryRun {
  id: string;
  state: RunState;
  trigger: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  /** One cell per entry of `tasks`; null where the run has no row for that task (it never got that far, or the task was not in its definition). */
  tasks: (TaskCell | null)[];
}

export interface PipelineHistory {
  namespace: string;
  pipeline: string;
  /** The grid's rows: the tasks of the current definition in plan order, then those only older runs had. */
  tasks: string[];
  /** Newest first. */
  runs: HistoryRun[];
  /** Of the runs on this page that succeeded, and of each task's succeeded last attempts among them. */
  durations: { run: DurationStats; tasks: Record<string, DurationStats> };
  next_cursor: string | null;
}

export async function pipelineHistory(store: Store, row: PipelineRow, query: { limit: number; before?: string }): Promise<PipelineHistory> {
  const read = await store.listRunHistory({ namespace: row.namespace, pipeline: row.name, limit: query.limit + 1, ...(query.before !== undefined ? { before: query.before } : {}) });
  const runs = read.runs.slice(0, query.limit);
  const kept = new Set(runs.map((run) => run.id));
  const latest = latestByRun(read.tasks.filter((task) => kept.has(task.run_id)));
  const tasks = gridRows(row, runs, latest);
  const column = new Map(tasks.map((path, index) => [path, index]));
  const out: HistoryRun[] = runs.map((run) => historyRun(run, latest.get(run.id), column));
  return {
    namespace: row.namespace,
    pipeline: row.name,
    tasks,
    runs: out,
    durations: durations(tasks, out),
    next_cursor: read.runs.length > query.limit ? runs[runs.length - 1]!.id : null,
  };
}

/** Each run's last attempt of each task. */
function latestByRun(rows: readonly HistoryTaskRow[]): Map<string, Map<string, HistoryTaskRow>> {
  const byRun = new Map<string, Map<string, HistoryTaskRow>>();
  for (const row of rows) {
    let tasks = byRun.get(row.run_id);
    if (!tasks) byRun.set(row.run_id, (tasks = new Map()));
    if ((tasks.get(row.path)?.attempt ?? 0) < row.attempt) tasks.set(row.path, row);
  }
  return byRun;
}

/** Plans of current definitions, by digest: planning a big graph costs more than reading its history. */
const plannedPaths = new Map<string, string[]>();
const PLANS_KEPT = 200;

function gridRows(row: PipelineRow, runs: readonly HistoryRunRow[], latest: Map<string, Map<string, HistoryTaskRow>>): string[] {
  let current = plannedPaths.get(row.digest);
  if (current === undefined) {
    const planned = planPipeline(row.name, row.definition as PipelineDef, ALREADY_CHECKED);
    current = planned.ok ? planned.plan.nodes.filter((node) => node.type === "task").map((node) => node.path) : [];
    if (plannedPaths.size >= PLANS_KEPT) plannedPaths.delete(plannedPaths.keys().next().value!);
    plannedPaths.set(row.digest, current);
  }
  const paths = new Set(current);
  for (const run of runs) for (const path of latest.get(run.id)?.keys() ?? []) paths.add(path);
  return [...paths];
}

function historyRun(run: HistoryRunRow, tasks: Map<string, HistoryTaskRow> | undefined, column: Map<string, number>): HistoryRun {
  const cells: (TaskCell | null)[] = new Array<TaskCell | null>(column.size).fill(null);
  for (const [path, task] of tasks ?? []) {
    cells[column.get(path)!] = [task.state, span(task.started_at, task.finished_at), task.started_at !== null ? task.attempt : 0, task.exit_code];
  }
  return {
    id: run.id,
    state: run.state,
    trigger: run.trigger_kind,
    created_at: new Date(run.created_at).toISOString(),
    started_at: iso(run.started_at),
    finished_at: iso(run.finished_at),
    duration_ms: span(run.started_at, run.finished_at),
    tasks: cells,
  };
}

function span(from: number | null, to: number | null): number | null {
  return from === null || to === null ? null : to - from;
}

/**
 * Percentiles by nearest rank, of succeeded runs and succeeded tasks only:
 * how long it takes when it works (a run that failed early or was canceled
 * says little of that).
 */
function durations(tasks: readonly string[], out: readonly HistoryRun[]): PipelineHistory["durations"] {
  const runTimes = out.filter((run) => run.state === "succeeded" && run.duration_ms !== null).map((run) => run.duration_ms!);
  const byTask: Record<string, DurationStats> = {};
  tasks.forEach((path, index) => {
    const times: number[] = [];
    for (const run of out) {
      const cell = run.tasks[index];
      if (cell && cell[0] === "succeeded" && cell[1] !== null) times.push(cell[1]);
    }
    byTask[path] = stats(times);
  });
  return { run: stats(runTimes), tasks: byTask };
}

function stats(values: number[]): DurationStats {
  const sorted = values.sort((a, b) => a - b);
  const rank = (p: number) => (sorted.length === 0 ? null : sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!);
  return { count: sorted.length, p50: rank(50), p95: rank(95) };
}
