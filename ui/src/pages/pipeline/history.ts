/**
 * The last 50 runs of one pipeline with each task's state, for the history
 * grid and the durations chart. From GET /pipelines/{ns}/{name}/history in
 * one request where the engine has it; else from GET /runs?pipeline= (the
 * columns, at once) and GET /runs/{id} per run (the cells, six at a time).
 * Live events of this pipeline's runs read them again; new runs come in as
 * new columns.
 */
import { signal } from "@preact/signals";
import { messageOf } from "../../api/api-error";
import { get, segment } from "../../api/client";
import { getRun } from "../../api/runs";
import type { Run, RunPage, RunState, RunSummary, TaskState } from "../../api/types";
import type { RunEvent } from "../../live/types";
import { hasRoute } from "../runs/capabilities";
import { isAbort, Pool } from "../runs/pool";
import { summaryOf } from "../runs/run-list";

export const HISTORY_RUNS = 50;

export type NodeKind = "task" | "group" | "array";

export interface Cell {
  state: TaskState;
  duration_ms: number | null;
  started_at: string | null;
  finished_at: string | null;
  attempts: number;
  exit_code: number | null;
}

/** A run as the grid heads its column (the history route gives no warning and error counts). */
export type ColumnSummary = Omit<RunSummary, "warnings" | "errors">;

export interface HistoryRun {
  summary: ColumnSummary;
  /** Each node's state in this run (tasks, groups, arrays and their copies); undefined until the run is read. */
  cells?: Map<string, Cell>;
  /** Node paths in the run's plan order, every group before what it holds. */
  order?: string[];
  kinds?: Map<string, NodeKind>;
}

/** The path a node sits in: `a/b` → `a`, `a[2]` → `a` (the array), `a` → undefined. */
export function parentOf(path: string): string | undefined {
  if (path.endsWith("]")) {
    const open = path.lastIndexOf("[");
    return open > 0 ? path.slice(0, open) : undefined;
  }
  const slash = path.lastIndexOf("/");
  return slash > 0 ? path.slice(0, slash) : undefined;
}

function ancestorsOf(path: string): string[] {
  const chain: string[] = [];
  for (let parent = parentOf(path); parent !== undefined; parent = parentOf(parent)) chain.unshift(parent);
  return chain;
}

function spanOf(cells: Cell[]): { started_at: string | null; finished_at: string | null; duration_ms: number | null } {
  let start = Infinity;
  let end = -Infinity;
  let open = false;
  for (const cell of cells) {
    if (cell.started_at) start = Math.min(start, Date.parse(cell.started_at));
    if (cell.finished_at) end = Math.max(end, Date.parse(cell.finished_at));
    else if (cell.started_at) open = true;
  }
  if (!Number.isFinite(start)) return { started_at: null, finished_at: null, duration_ms: null };
  const finished = !open && Number.isFinite(end);
  return { started_at: new Date(start).toISOString(), finished_at: finished ? new Date(end).toISOString() : null, duration_ms: finished ? end - start : null };
}

/** Task paths with every group and array above them put before what they hold, and what each path is. */
function tree(paths: readonly string[], known: ReadonlyMap<string, NodeKind>): { order: string[]; kinds: Map<string, NodeKind> } {
  const order: string[] = [];
  const kinds = new Map<string, NodeKind>();
  const seen = new Set<string>();
  for (const path of paths) {
    for (const ancestor of ancestorsOf(path)) {
      if (seen.has(ancestor)) continue;
      seen.add(ancestor);
      order.push(ancestor);
      // A copy `a[2]` sits in the array `a`; without the engine's word, what holds copies is an array, the rest groups.
      kinds.set(ancestor, known.get(ancestor) ?? (paths.some((inner) => inner.startsWith(`${ancestor}[`)) ? "array" : "group"));
    }
    seen.add(path);
    order.push(path);
    kinds.set(path, "task");
  }
  return { order, kinds };
}

/** A run's cells: its tasks as they are, its groups and arrays with their state and the span of what they hold. */
export function cellsOf(run: Run): Pick<HistoryRun, "cells" | "order" | "kinds"> {
  const cells = new Map<string, Cell>();
  const { order, kinds } = tree(
    run.tasks.map((task) => task.path),
    new Map(run.groups.map((group) => [group.path, group.type])),
  );
  for (const task of run.tasks) {
    cells.set(task.path, {
      state: task.state,
      duration_ms: task.duration_ms,
      started_at: task.started_at,
      finished_at: task.finished_at,
      attempts: task.attempts,
      exit_code: task.exit_code,
    });
  }
  for (const group of run.groups) {
    const inside = run.tasks.filter((task) => task.path.startsWith(`${group.path}/`) || task.path.startsWith(`${group.path}[`)).map((task) => cells.get(task.path)!);
    cells.set(group.path, { state: group.state, attempts: 0, exit_code: null, ...spanOf(inside) });
  }
  return { cells, order, kinds };
}

/**
 * A group's state from its members', as the engine derives it (pending
 * until one moves, running until all have ended, then failed, canceled,
 * skipped if all were, else succeeded). The history answer has no group
 * rows, nor the members' allow_failure: a failure a group allows shows
 * here as failed.
 */
function groupState(states: TaskState[]): TaskState {
  if (states.length === 0) return "succeeded";
  const ended = states.filter((state) => state !== "pending" && state !== "running");
  if (ended.length < states.length) return states.every((state) => state === "pending") ? "pending" : "running";
  if (states.some((state) => state === "failed" || state === "timed_out" || state === "interrupted")) return "failed";
  if (states.includes("canceled")) return "canceled";
  if (states.every((state) => state === "skipped")) return "skipped";
  return "succeeded";
}

/** GET /pipelines/{ns}/{name}/history: the grid in one answer; each cell [state, duration_ms, attempts, exit_code] or null. */
export interface HistoryAnswer {
  tasks: string[];
  runs: {
    id: string;
    state: RunState;
    trigger: string;
    created_at: string;
    started_at: string | null;
    finished_at: string | null;
    duration_ms: number | null;
    tasks: ([TaskState, number | null, number, number | null] | null)[];
  }[];
  next_cursor: string | null;
}

export function fromAnswer(answer: HistoryAnswer, namespace: string, pipeline: string): HistoryRun[] {
  const { order, kinds } = tree(answer.tasks, new Map());
  const below = new Map<string, string[]>();
  for (const path of order) {
    const parent = parentOf(path);
    if (parent !== undefined) below.set(parent, [...(below.get(parent) ?? []), path]);
  }
  return answer.runs.map((run) => {
    const cells = new Map<string, Cell>();
    answer.tasks.forEach((path, index) => {
      const cell = run.tasks[index];
      if (cell) cells.set(path, { state: cell[0], duration_ms: cell[1], attempts: cell[2], exit_code: cell[3], started_at: null, finished_at: null });
    });
    // Innermost first, so a group's members (groups too) are known before it.
    for (const path of [...order].reverse()) {
      if (kinds.get(path) === "task") continue;
      const members = (below.get(path) ?? []).map((inner) => cells.get(inner)).filter((cell): cell is Cell => cell !== undefined);
      if (members.length > 0) cells.set(path, { state: groupState(members.map((cell) => cell.state)), duration_ms: null, attempts: 0, exit_code: null, started_at: null, finished_at: null });
    }
    const summary: ColumnSummary = {
      id: run.id,
      namespace,
      pipeline,
      state: run.state,
      reason: null,
      trigger: { kind: run.trigger },
      created_at: run.created_at,
      started_at: run.started_at,
      finished_at: run.finished_at,
      duration_ms: run.duration_ms,
    };
    // Every run gets the answer's rows: a task no run has had yet (just added) shows as a row of empty cells.
    return { summary, cells, order, kinds };
  });
}

const newestFirst = (a: HistoryRun, b: HistoryRun) => Date.parse(b.summary.created_at) - Date.parse(a.summary.created_at) || (a.summary.id < b.summary.id ? 1 : -1);

export interface HistoryStatus {
  loading: boolean;
  error: unknown;
  /** Runs whose tasks could not be read (the message of the last failure). */
  failed: string | null;
}

export class PipelineHistory {
  readonly runs = signal<HistoryRun[]>([]);
  readonly status = signal<HistoryStatus>({ loading: true, error: undefined, failed: null });
  private readonly pool = new Pool(6);
  private readonly queued = new Set<string>();
  private readonly inFlight = new Set<string>();
  private readonly again = new Set<string>();
  private disposed = false;
  /** The engine has GET /pipelines/{ns}/{name}/history (known after the first load). */
  private compact: boolean | undefined;
  private topTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  dispose(): void {
    this.disposed = true;
    this.pool.clear();
    clearTimeout(this.topTimer);
  }

  private page(limit: number): Promise<RunPage> {
    return get<RunPage>("/runs", { query: { namespace: this.namespace, pipeline: this.name, limit } });
  }

  async load(): Promise<void> {
    this.status.value = { loading: true, error: undefined, failed: null };
    this.compact ??= await hasRoute("GET", "/pipelines/{ns}/{name}/history");
    if (this.compact) return this.loadCompact();
    try {
      const page = await this.page(HISTORY_RUNS);
      if (this.disposed) return;
      const known = new Map(this.runs.peek().map((run) => [run.summary.id, run]));
      this.runs.value = page.runs.map((summary) => ({ ...known.get(summary.id), summary }));
      this.status.value = { loading: false, error: undefined, failed: null };
      for (const summary of page.runs) if (!known.get(summary.id)?.cells || summary.finished_at === null) this.read(summary.id);
    } catch (error) {
      if (!this.disposed) this.status.value = { loading: false, error, failed: null };
    }
  }

  /** The whole grid in one request (an engine with GET …/history). */
  private async loadCompact(): Promise<void> {
    try {
      const answer = await get<HistoryAnswer>(`/pipelines/${segment(this.namespace)}/${segment(this.name)}/history`, { query: { limit: HISTORY_RUNS } });
      if (this.disposed) return;
      this.runs.value = fromAnswer(answer, this.namespace, this.name);
      this.status.value = { loading: false, error: undefined, failed: null };
    } catch (error) {
      if (!this.disposed) this.status.value = { loading: false, error, failed: null };
    }
  }

  /** With the one-request grid, changes are read as a whole, at most once a second. */
  private reloadSoon(): void {
    if (this.topTimer !== undefined) return;
    this.topTimer = setTimeout(() => {
      this.topTimer = undefined;
      if (!this.disposed) void this.loadCompact();
    }, 1000);
  }

  /** Reads one run's tasks (again); a run asked for while it is being read is read once more after, not once per event. */
  private read(id: string): void {
    if (this.queued.has(id)) return;
    if (this.inFlight.has(id)) {
      this.again.add(id);
      return;
    }
    this.queued.add(id);
    this.pool
      .run(async () => {
        this.queued.delete(id);
        this.inFlight.add(id);
        try {
          return await getRun(id);
        } finally {
          this.inFlight.delete(id);
          if (this.again.delete(id) && !this.disposed) this.read(id);
        }
      })
      .then(
        (run) => {
          if (this.disposed) return;
          const detail = cellsOf(run);
          const summary = summaryOf(run);
          const list = this.runs.peek();
          const next = list.some((entry) => entry.summary.id === id) ? list.map((entry) => (entry.summary.id === id ? { summary, ...detail } : entry)) : [...list, { summary, ...detail }];
          this.runs.value = next.sort(newestFirst).slice(0, HISTORY_RUNS);
        },
        (error: unknown) => {
          this.queued.delete(id);
          if (this.disposed || isAbort(error)) return;
          this.status.value = { ...this.status.peek(), failed: messageOf(error) };
        },
      );
  }

  /** Live events: runs of this pipeline are read again; a new run (or one not known) brings the newest page. */
  applyEvents(events: RunEvent[]): { id: string; state: RunState }[] {
    const shown = new Set(this.runs.peek().map((run) => run.summary.id));
    const again = new Set<string>();
    const finished: { id: string; state: RunState }[] = [];
    let fresh = false;
    for (const event of events) {
      const ours = event.namespace !== undefined && event.pipeline !== undefined ? event.namespace === this.namespace && event.pipeline === this.name : undefined;
      if (shown.has(event.run_id)) {
        // Task events too: the grid shows every task's state as it changes.
        again.add(event.run_id);
        if (event.type === "run.finished" && typeof event.data?.["state"] === "string") finished.push({ id: event.run_id, state: event.data["state"] as RunState });
      } else if (event.type === "run.created" && ours !== false) fresh = true;
    }
    if (this.compact) {
      if (again.size > 0 || fresh) this.reloadSoon();
      return finished;
    }
    for (const id of again) this.read(id);
    if (fresh) this.newestSoon();
    return finished;
  }

  private newestSoon(): void {
    if (this.topTimer !== undefined) return;
    this.topTimer = setTimeout(async () => {
      this.topTimer = undefined;
      if (this.disposed) return;
      try {
        const page = await this.page(10);
        const shown = new Set(this.runs.peek().map((run) => run.summary.id));
        const newest = this.runs.peek()[0];
        for (const summary of page.runs) {
          if (shown.has(summary.id)) continue;
          if (newest && Date.parse(summary.created_at) < Date.parse(newest.summary.created_at)) continue;
          this.runs.value = [{ summary }, ...this.runs.peek()].sort(newestFirst).slice(0, HISTORY_RUNS);
          this.read(summary.id);
        }
      } catch {
        // Shown at the next event, or the next visit.
      }
    }, 300);
  }
}
