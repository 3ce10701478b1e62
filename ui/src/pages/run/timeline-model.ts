/**
 * The run as a waterfall: one row per attempt, with the time it waited
 * (queued) and the time it ran, and the critical path: the chain of tasks,
 * each waiting for the one before it, that decided when the run ended.
 *
 * When a task became runnable is not in the API: it is worked out here
 * from the definition, as the end of the last of its needs to finish (or
 * the run's start when it needs nothing), and for a retry as the end of the
 * attempt before plus the engine's retry delay. Without the definition,
 * every first attempt counts as runnable from the run's start.
 */
import type { Run, TaskRun, TaskState } from "../../api/types";
import { effectiveDeps, tasksUnder, type GraphModel } from "../../graph/model";
import { withRecordedTimes, type Attempt, type AttemptLog } from "./attempts";

export interface Bar {
  path: string;
  attempt: number;
  /** How many attempts the task had: rows of one task are shown together. */
  attempts: number;
  state: TaskState;
  /** When it could have started: its needs were met, or its retry delay was over. */
  readyAt: number | null;
  /** What it waited for before readyAt: "needs" (the path of the last need to end), "retry", or "run" (the run's start). */
  waitedFor: { kind: "needs"; path: string } | { kind: "retry" } | { kind: "run" };
  startedAt: number | null;
  /** null while it runs. */
  finishedAt: number | null;
  exitCode: number | null;
  reason: string | null;
  keptFrom: string | null;
  critical: boolean;
}

export interface Timeline {
  rows: Bar[];
  /** Epoch ms of the axis' 0 (the run's start) and its end. */
  start: number;
  end: number;
  /** Tasks on the critical path, first to last. */
  criticalPath: string[];
  /** Whether times of waiting come from the definition (true) or from the run's start (false). */
  fromNeeds: boolean;
}

const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : null);

/** For each task, the leaf tasks of each thing it waits for (its own needs and its groups'), worked out once per model. */
const waitsCache = new WeakMap<GraphModel, Map<string, string[][]>>();

function waitsOf(model: GraphModel, path: string): string[][] {
  let cache = waitsCache.get(model);
  if (!cache) waitsCache.set(model, (cache = new Map()));
  let waits = cache.get(path);
  if (!waits) {
    waits = effectiveDeps(model, path).map((dep) => (model.nodes.get(dep.path)?.kind === "task" ? [dep.path] : tasksUnder(model, dep.path)));
    cache.set(path, waits);
  }
  return waits;
}

function attemptsFrom(task: TaskRun, log: AttemptLog): Attempt[] {
  const logged = log.attemptsOf(task.path);
  // A task kept from an earlier run did not run in this one: no bar, whatever times it had there.
  if (logged.length > 0) return withRecordedTimes(logged, task).map((attempt) => (attempt.keptFrom ? { ...attempt, startedAt: null, finishedAt: null } : attempt));
  // No events for it (yet): its last attempt as the run object has it.
  return [
    {
      attempt: Math.max(1, task.attempts),
      state: task.state,
      startedAt: ms(task.started_at),
      finishedAt: task.state === "running" ? null : ms(task.finished_at),
      exitCode: task.exit_code,
      reason: task.reason,
      argv: null,
      retryDelayMs: null,
      keptFrom: null,
    },
  ];
}

export function buildTimeline(run: Run, model: GraphModel | undefined, log: AttemptLog, now: number): Timeline {
  const start = ms(run.started_at) ?? log.runStartedAt ?? ms(run.created_at) ?? now;
  const runEnd = ms(run.finished_at);
  const byTask = new Map<string, Attempt[]>();
  for (const task of run.tasks) byTask.set(task.path, attemptsFrom(task, log));

  const endOf = (path: string): number | null => {
    const list = byTask.get(path);
    const last = list?.[list.length - 1];
    // Kept from an earlier run: done before this one started.
    if (last?.keptFrom) return start;
    return last?.finishedAt ?? null;
  };
  const rows: Bar[] = [];
  const firstReady = new Map<string, { at: number; by: string | null }>();
  for (const task of run.tasks) {
    const list = byTask.get(task.path)!;
    let ready: { at: number; by: string | null } = { at: start, by: null };
    let needsDone = true;
    if (model) {
      for (const leaves of waitsOf(model, task.path)) {
        for (const leaf of leaves) {
          const at = endOf(leaf);
          if (at === null) needsDone = false;
          else if (at > ready.at) ready = { at, by: leaf };
        }
      }
    }
    firstReady.set(task.path, ready);
    list.forEach((attempt, index) => {
      const before = index > 0 ? list[index - 1] : undefined;
      const isRetry = before !== undefined && before.finishedAt !== null;
      let readyAt: number | null;
      if (attempt.keptFrom) readyAt = null;
      else if (isRetry) readyAt = before.finishedAt! + (before.retryDelayMs ?? 0);
      else if (attempt.startedAt !== null) readyAt = ready.at;
      // Not started: waiting for its turn when its needs are met, else not ready (or it never will be: skipped, canceled).
      else readyAt = attempt.state === "pending" && needsDone ? ready.at : null;
      if (readyAt !== null && attempt.startedAt !== null) readyAt = Math.min(readyAt, attempt.startedAt);
      rows.push({
        path: task.path,
        attempt: attempt.attempt,
        attempts: list.length,
        state: attempt.state,
        readyAt,
        waitedFor: isRetry ? { kind: "retry" } : ready.by ? { kind: "needs", path: ready.by } : { kind: "run" },
        startedAt: attempt.startedAt,
        finishedAt: attempt.finishedAt,
        exitCode: attempt.exitCode,
        reason: attempt.reason,
        keptFrom: attempt.keptFrom,
        critical: false,
      });
    });
  }

  // The critical path: from the task that ended last (or still runs), back along the need that ended last.
  let end = runEnd ?? now;
  let tail: string | undefined;
  let tailAt = -Infinity;
  for (const task of run.tasks) {
    const list = byTask.get(task.path)!;
    const last = list[list.length - 1]!;
    if (last.startedAt === null) continue;
    const at = last.finishedAt ?? now;
    if (at > tailAt) {
      tailAt = at;
      tail = task.path;
    }
  }
  if (runEnd === null) end = Math.max(now, tailAt === -Infinity ? start : tailAt);
  else end = Math.max(runEnd, tailAt === -Infinity ? start : tailAt);
  const criticalPath: string[] = [];
  const onPath = new Set<string>();
  for (let at = tail; at !== undefined && !onPath.has(at); at = firstReady.get(at)?.by ?? undefined) {
    onPath.add(at);
    criticalPath.unshift(at);
  }
  for (const row of rows) row.critical = onPath.has(row.path);

  // Rows of a task together; tasks in the order they first started (or became ready); those that never ran last.
  const firstTime = new Map<string, number>();
  for (const row of rows) {
    const at = row.startedAt ?? row.readyAt ?? Infinity;
    firstTime.set(row.path, Math.min(firstTime.get(row.path) ?? Infinity, at));
  }
  const order = new Map(run.tasks.map((task, index) => [task.path, index]));
  rows.sort((a, b) => firstTime.get(a.path)! - firstTime.get(b.path)! || order.get(a.path)! - order.get(b.path)! || a.attempt - b.attempt);

  return { rows, start, end: Math.max(end, start + 1), criticalPath, fromNeeds: model !== undefined };
}

/** Ticks for an axis of `span` ms with room for about `count` labels: round steps (1, 2, 5 × 10ⁿ ms, then 10 s, 15 s, 30 s, minutes, hours, days). */
export function ticks(span: number, count: number): number[] {
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000];
  const wanted = span / Math.max(1, count);
  let step = steps.find((candidate) => candidate >= wanted) ?? Math.ceil(wanted / 86_400_000) * 86_400_000;
  if (step <= 0) step = 1;
  const out: number[] = [];
  for (let at = 0; at <= span + 0.5; at += step) out.push(at);
  return out;
}

/** An axis label: "0", "500 ms", "1.5 s", "30 s", "2 min", "1 h 30 min". */
export function offsetLabel(offset: number): string {
  if (offset === 0) return "0";
  if (offset < 1000) return `${Math.round(offset)} ms`;
  if (offset < 60_000) return `${+(offset / 1000).toFixed(offset % 1000 === 0 ? 0 : 1)} s`;
  if (offset < 3_600_000) {
    const minutes = Math.floor(offset / 60_000);
    const seconds = Math.round((offset % 60_000) / 1000);
    return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
  }
  const hours = Math.floor(offset / 3_600_000);
  const minutes = Math.round((offset % 3_600_000) / 60_000);
  return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
}
