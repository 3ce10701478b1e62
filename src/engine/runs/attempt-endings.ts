/**
 * Ends of attempts that did not run to their own end, and what of an
 * attempt may be recorded: pure helpers of the RunController.
 */
import type { AttemptReport } from "../../exec/port.js";
import type { TaskRunRow } from "../../store/port.js";
import type { AttemptEnding } from "./task-row.js";
import type { Plan, TaskState } from "../../plan/types.js";
import { countsAsFailure } from "../../plan/conditions.js";

/** The end of an attempt nobody saw: the engine and its supervisor both stopped while it ran. */
export function interrupted(row: TaskRunRow, reason: string, pid: number | null, now: number): AttemptEnding {
  return { state: "interrupted", exitCode: null, signal: null, reason, pid, startedAt: row.started_at ?? now, finishedAt: now, warnings: 0, errors: 1, metrics: {}, outputs: {}, tail: [] };
}

export function failedToStart(row: TaskRunRow, reason: string, now: number, state: "failed" | "canceled" | "timed_out" = "failed"): AttemptReport {
  return {
    state,
    exitCode: null,
    signal: null,
    reason,
    pid: null,
    startedAt: row.started_at ?? now,
    finishedAt: now,
    // Warnings and errors count lines a task printed (::error::, error_pattern); it printed none, and `reason` says why it failed.
    warnings: 0,
    errors: 0,
    metrics: {},
    outputs: {},
    tail: [],
  };
}

/** argv as it may be recorded: secret values (long enough to mask) replaced by ***. */
export function maskAll(argv: string[], secrets: string[]): string[] {
  const masked = secrets.filter((secret) => secret.length >= 4);
  return masked.length === 0 ? argv : argv.map((item) => masked.reduce((text, secret) => text.split(secret).join("***"), item));
}

/** When every task that fails the run was interrupted (not its own doing), why: the run is then interrupted, not failed. */
export function onlyInterruptions(plan: Plan, states: ReadonlyMap<string, TaskState>, interruptions: ReadonlyMap<string, string>): string | undefined {
  const failures = [...states].filter(([path, state]) => countsAsFailure(plan.byPath.get(path)!, state));
  if (failures.length === 0 || failures.some(([, state]) => state !== "interrupted")) return undefined;
  const [path] = failures[0]!;
  return `${path} was interrupted: ${interruptions.get(path) ?? "its end was not seen"}`;
}
