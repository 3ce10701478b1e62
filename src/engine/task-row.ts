/** A task attempt's row before anything is known about it; callers set what they know. */
import type { TaskRunRow } from "../store/port.js";

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
