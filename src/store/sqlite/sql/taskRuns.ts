import type { Connection } from "../connection.js";
import type { TaskRunRow } from "../../port.js";
import { int, json, text, toJson } from "../../columns.js";
import { taskFromRow } from "../../rows.js";

// One row per attempt; a later write of the same attempt replaces it whole.
const UPSERT = `
INSERT INTO task_runs (run_id, path, attempt, state, exit_code, signal, reason, pid, started_at,
  finished_at, cpu_ms, peak_rss_bytes, warnings, errors, metrics, outputs, log_file, worker)
VALUES (@run_id, @path, @attempt, @state, @exit_code, @signal, @reason, @pid, @started_at,
  @finished_at, @cpu_ms, @peak_rss_bytes, @warnings, @errors, @metrics, @outputs, @log_file, @worker)
ON CONFLICT (run_id, path, attempt) DO UPDATE SET
  state = excluded.state, exit_code = excluded.exit_code, signal = excluded.signal,
  reason = excluded.reason, pid = excluded.pid, started_at = excluded.started_at,
  finished_at = excluded.finished_at, cpu_ms = excluded.cpu_ms,
  peak_rss_bytes = excluded.peak_rss_bytes, warnings = excluded.warnings, errors = excluded.errors,
  metrics = excluded.metrics, outputs = excluded.outputs, log_file = excluded.log_file,
  worker = excluded.worker`;

export function upsertTaskRun(conn: Connection, task: TaskRunRow): void {
  conn.statement(UPSERT).run({
    run_id: task.run_id,
    path: task.path,
    attempt: task.attempt,
    state: task.state,
    exit_code: task.exit_code ?? null,
    signal: task.signal ?? null,
    reason: task.reason ?? null,
    pid: task.pid ?? null,
    started_at: task.started_at ?? null,
    finished_at: task.finished_at ?? null,
    cpu_ms: task.cpu_ms ?? null,
    peak_rss_bytes: task.peak_rss_bytes ?? null,
    warnings: task.warnings,
    errors: task.errors,
    metrics: toJson(task.metrics),
    outputs: toJson(task.outputs),
    log_file: task.log_file ?? null,
    worker: task.worker ?? null,
  });
  if (task.messages !== undefined && task.messages.length > 0) {
    conn.statement(UPSERT_MESSAGES).run(task.run_id, task.path, task.attempt, JSON.stringify(task.messages));
  }
}

const UPSERT_MESSAGES = `
INSERT INTO task_messages (run_id, path, attempt, messages) VALUES (?, ?, ?, ?)
ON CONFLICT (run_id, path, attempt) DO UPDATE SET messages = excluded.messages`;

/** A run's task rows, by path then attempt (the same order on every backend). */
export function listTaskRuns(conn: Connection, runId: string): TaskRunRow[] {
  const rows = conn.statement("SELECT * FROM task_runs WHERE run_id = ? ORDER BY path, attempt").all(runId).map(taskFromRow);
  const withMessages = conn.statement("SELECT path, attempt, messages FROM task_messages WHERE run_id = ?").all(runId);
  if (withMessages.length === 0) return rows;
  const byAttempt = new Map(withMessages.map((row) => [`${text(row, "path")}\0${int(row, "attempt")}`, row] as const));
  for (const row of rows) {
    const found = byAttempt.get(`${row.path}\0${row.attempt}`);
    if (found !== undefined) row.messages = json(found, "messages");
  }
  return rows;
}
