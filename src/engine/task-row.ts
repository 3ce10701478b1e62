/** A task attempt's row before anything is known about it; callers set what they know. */
import type { TaskRunRow } from "../store/port.js";

/** Each task's last attempt, by path. */
export function latestAttempts(rows: Iterable<TaskRunRow>): Map<string, TaskRunRow> {
  const latest = new Map<string, TaskRunRow>();
  for (const row of rows) if ((latest.get(row.path)?.attempt ?? 0) < row.attempt) latest.set(row.path, row);
  return latest;
}

export function blankTaskRow(runId: string, path: string, attempt: number, fields: Partial<TaskRunRow> = {}): TaskRunRow {
  return {
    run_id: runId,
    path,
    attempt,
    state: "pending",
    exit_code: null,
    signal: null,
    reason: null,
    pid: null,
    started_at: null,
    finished_at: null,
    cpu_ms: null,
    peak_rss_bytes: null,
    warnings: 0,
    errors: 0,
    metrics: {},
    outputs: {},
    log_file: null,
    ...fields,
  };
}
