import { prepared, type Sql } from "../pool.js";
import { RUN_INSERT_COLUMNS } from "./runs.js";
import type { RunRow, TaskRunRow } from "../../port.js";
import type { Row } from "../../columns.js";
import { runFromRow, taskFromRow } from "../../rows.js";

// The run and its tasks in one statement (one snapshot, without BEGIN and COMMIT): the tasks as a JSON array of their rows.
// The run's columns by name: a prepared statement's result must keep its shape whatever columns are added.
const RUN_WITH_TASKS = prepared(`
SELECT ${RUN_INSERT_COLUMNS.map(([column]) => `r.${column}`).join(", ")}, (
  SELECT coalesce(json_agg(t ORDER BY t.path, t.attempt), '[]'::json)
  FROM (SELECT t.*, m.messages FROM task_runs AS t LEFT JOIN task_messages AS m USING (run_id, path, attempt) WHERE t.run_id = r.id) AS t
) AS tasks_json
FROM runs AS r WHERE r.id = $1`);

/** Store.getRun. */
export async function getRunWithTasks(sql: Sql, id: string): Promise<{ run: RunRow; tasks: TaskRunRow[] } | undefined> {
  const row = await sql.one(RUN_WITH_TASKS, [id]);
  return row && { run: runFromRow(row), tasks: (row.tasks_json as Row[]).map(taskWithMessages) };
}

function taskWithMessages(row: Row): TaskRunRow {
  const task = taskFromRow(row);
  if (typeof row.messages === "string") task.messages = JSON.parse(row.messages) as TaskRunRow["messages"];
  return task;
}
