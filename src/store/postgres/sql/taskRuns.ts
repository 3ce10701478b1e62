import type { Sql } from "../pool.js";
import type { TaskRunRow } from "../../port.js";
import { toJson } from "../../columns.js";
import { taskFromRow } from "../../rows.js";

// One row per attempt; a later write of the same attempt replaces it whole.
const UPSERT = `
INSERT INTO task_runs (run_id, path, attempt, state, exit_code, signal, reason, pid, started_at,
  finished_at, cpu_ms, peak_rss_bytes, warnings, errors, metrics, outputs, log_file, worker)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
ON CONFLICT (run_id, path, attempt) DO UPDATE SET
  state = excluded.state, exit_code = excluded.exit_code, signal = excluded.signal,
  reason = excluded.reason, pid = excluded.pid, started_at = excluded.started_at,
  finished_at = excluded.finished_at, cpu_ms = excluded.cpu_ms,
  peak_rss_bytes = excluded.peak_rss_bytes, warnings = excluded.warnings, errors = excluded.errors,
  metrics = excluded.metrics, outputs = excluded.outputs, log_file = excluded.log_file,
  worker = excluded.worker`;

const UPSERT_MESSAGES = `
INSERT INTO task_messages (run_id, path, attempt, messages) VALUES ($1, $2, $3, $4)
ON CONFLICT (run_id, path, attempt) DO UPDATE SET messages = excluded.messages`;

/** Stores an attempt's row, and its messages when it has some (a write without them keeps those stored). */
export async function upsertTaskRun(sql: Sql, task: TaskRunRow): Promise<void> {
  await sql.changes(UPSERT, [
    task.run_id,
    task.path,
    task.attempt,
    task.state,
    task.exit_code ?? null,
    task.signal ?? null,
    task.reason ?? null,
    task.pid ?? null,
    task.started_at ?? null,
    task.finished_at ?? null,
    task.cpu_ms ?? null,
    task.peak_rss_bytes ?? null,
    task.warnings,
    task.errors,
    toJson(task.metrics),
    toJson(task.outputs),
    task.log_file ?? null,
    task.worker ?? null,
  ]);
  if (task.messages !== undefined && task.messages.length > 0) {
    await sql.changes(UPSERT_MESSAGES, [task.run_id, task.path, task.attempt, JSON.stringify(task.messages)]);
  }
}

/** A run's task rows, by path then attempt (the same order on every backend), each with its messages when it has some. */
export async function listTaskRuns(sql: Sql, runId: string): Promise<TaskRunRow[]> {
  const rows = await sql.rows(
    `SELECT t.*, m.messages FROM task_runs AS t LEFT JOIN task_messages AS m USING (run_id, path, attempt)
     WHERE t.run_id = $1 ORDER BY t.path, t.attempt`,
    [runId],
  );
  return rows.map((row) => {
    const task = taskFromRow(row);
    if (typeof row.messages === "string") task.messages = JSON.parse(row.messages) as TaskRunRow["messages"];
    return task;
  });
}
