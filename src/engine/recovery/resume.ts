/**
 * Where a run stood when its engine stopped, read back from its stored rows
 * and events, so that a RunController can carry on from there: what each
 * task's latest attempt was, which tasks are done, which wait for a retry,
 * which were running (and what became of them, see recover.ts), and whether
 * the run was already stopping. Pure: no I/O.
 */
import { latestAttempts } from "../runs/task-row.js";
import type { AttemptReport, LaunchEvents, TaskHandle } from "../../exec/port.js";
import { countsAsFailure, failFastReason, isTerminal } from "../../plan/conditions.js";
import type { Plan } from "../../plan/types.js";
import type { EventRow, RunState, TaskRunRow } from "../../store/port.js";

/** What became of an attempt that was running when the engine stopped. */
export type Reattached =
  /** The supervisor still runs it: watch it to its end. */
  | { kind: "running"; adopt(events: LaunchEvents, need?: { cpus: number; memoryBytes: number }): TaskHandle }
  /** It ended while the engine was down: record this report. */
  | { kind: "ended"; report: AttemptReport }
  /** Nobody saw it end (the supervisor died too): it is marked interrupted. */
  | { kind: "lost"; reason: string; pid: number | null }
  /** Stored as started, but it never reached a supervisor: it has not run, so it starts now (same attempt number). */
  | { kind: "unsent" };

export interface ResumePoint {
  /** The latest attempt number of each task that has one. */
  attempts: Map<string, number>;
  /** Tasks that are finished for good: their last row. */
  done: Map<string, TaskRunRow>;
  /** Tasks between a failed attempt and their next one: ms left to wait. */
  retries: Map<string, number>;
  /** Attempts that were running, and what became of each. */
  running: Map<string, { row: TaskRunRow; how: Reattached }>;
  /** The run was being stopped (canceled, timed out) when the engine died. */
  stop: { state: RunState; reason: string } | null;
}

export function resumePoint(rows: readonly TaskRunRow[], events: readonly EventRow[], reattached: ReadonlyMap<string, Reattached>, now: number): ResumePoint {
  const latest = latestAttempts(rows);
  const retryDueAt = new Map<string, number>();
  let stop: ResumePoint["stop"] = null;
  for (const event of events) {
    if (event.type === "task.retry_scheduled" && event.task_path !== null) {
      retryDueAt.set(`${event.task_path}\n${event.attempt}`, event.ts + Number(event.data.delay_ms ?? 0));
    } else if (event.type === "run.stopping" && stop === null) {
      stop = { state: String(event.data.state) as RunState, reason: String(event.data.reason) };
    }
  }
  const point: ResumePoint = { attempts: new Map(), done: new Map(), retries: new Map(), running: new Map(), stop };
  for (const [path, row] of latest) {
    const how = row.state === "running" ? (reattached.get(path) ?? { kind: "lost", reason: "its end was not seen", pid: row.pid }) : undefined;
    if (row.state === "pending" || how?.kind === "unsent") {
      // Not started: the controller starts it when it is ready, with this same attempt number.
      point.attempts.set(path, row.attempt - 1);
      continue;
    }
    point.attempts.set(path, row.attempt);
    if (how !== undefined) point.running.set(path, { row, how });
    else if (!isTerminal(row.state)) continue;
    else {
      // task.retry_scheduled is stored with the failed attempt's row: there is no retry without it.
      const dueAt = retryDueAt.get(`${path}\n${row.attempt}`);
      if (dueAt !== undefined) point.retries.set(path, Math.max(0, dueAt - now));
      else point.done.set(path, row);
    }
  }
  return point;
}

/** What the `run.resumed` event says: how the attempts under way were found again, and how many retries still wait. */
export function resumedData(point: ResumePoint): { adopted: number; recorded: number; interrupted: number; waiting_retries: number } {
  const data = { adopted: 0, recorded: 0, interrupted: 0, waiting_retries: point.retries.size };
  for (const { how } of point.running.values()) data[how.kind === "running" ? "adopted" : how.kind === "ended" ? "recorded" : "interrupted"]++;
  return data;
}

/** Under fail_fast, a failure stored just before the engine stopped may not have reached the other tasks yet: its fail_fast reason, or null. */
export function storedFailFast(point: ResumePoint, plan: Plan): string | null {
  const failed = [...point.done.values()].find((row) => countsAsFailure(plan.byPath.get(row.path)!, row.state));
  return failed ? failFastReason(failed.path) : null;
}
