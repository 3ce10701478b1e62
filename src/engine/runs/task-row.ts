/** A task attempt's row before anything is known about it; callers set what they know. */
import type { AttemptReport } from "../../exec/port.js";
import type { TaskRunRow } from "../../store/port.js";

/** How an attempt ended: its report, or an interruption (its end was not seen). */
export type AttemptEnding = Omit<AttemptReport, "state"> & {
  state: AttemptReport["state"] | "interrupted";
  /** No attempt of this task could ever start here (it asks for more than the engine has): never retried. */
  hopeless?: true;
};

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
    worker: null,
    ...fields,
  };
}

/** The row of an attempt once it has ended, from the row it started with and its report. */
export function endedRow(started: TaskRunRow, report: AttemptEnding): TaskRunRow {
  return {
    ...started,
    state: report.state,
    exit_code: report.exitCode,
    signal: report.signal,
    reason: report.reason,
    pid: report.pid,
    // An attempt that never ran has no start of its own: it keeps the time it was stored.
    started_at: report.pid === null ? started.started_at : report.startedAt,
    finished_at: report.finishedAt,
    warnings: report.warnings,
    errors: report.errors,
    metrics: report.metrics,
    outputs: report.outputs,
    cpu_ms: report.cpuMs ?? null,
    peak_rss_bytes: report.peakRssBytes ?? null,
    ...(report.messages !== undefined ? { messages: report.messages } : {}),
  };
}
