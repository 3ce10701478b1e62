/**
 * Run history in bulk, for pages that show many runs at once: the newest
 * runs of every pipeline (one statement for all of them), and a pipeline's
 * last runs with the states and times of their tasks (the history grid).
 * Only the columns those pages show are read: a run's definition and args
 * are most of its row.
 */
import type { Connection } from "../connection.js";
import type { HistoryQuery, HistoryRunRow, HistoryTaskRow, RecentRuns, RecentRunsQuery, RunState } from "../../port.js";
import { int, text } from "../../columns.js";
import { historyRunFromRow, historyTaskFromRow } from "../../rows.js";

/**
 * Epoch ms as ISO 8601 (UTC, ms), by the database: the same text as
 * Date#toISOString (see the store contract). datetime with 'subsec' and two
 * characters changed costs half of strftime with a format to read.
 */
const ISO = (column: string) => `replace(datetime(${column} / 1000.0, 'unixepoch', 'subsec'), ' ', 'T') || 'Z'`;

/**
 * For each pipeline that has a definition, the JSON text of its newest runs
 * and its newest run's fields. Each subquery is one seek of runs_recent per
 * pipeline, which holds every column read, so no run row is touched (a run's
 * row is mostly its definition, with its times after it).
 */
const RECENT = (filter: string) => `
SELECT p.namespace, p.name,
  (SELECT json_group_array(json_object('id', id, 'state', state, 'created_at', ${ISO("created_at")}, 'duration_ms', finished_at - started_at) ORDER BY created_at DESC, id DESC)
   FROM (SELECT id, state, created_at, started_at, finished_at FROM runs
         WHERE namespace = p.namespace AND pipeline = p.name ORDER BY created_at DESC, id DESC LIMIT @per_pipeline)) AS runs_json,
  (SELECT json_array(id, state, finished_at) FROM runs
   WHERE namespace = p.namespace AND pipeline = p.name ORDER BY created_at DESC, id DESC LIMIT 1) AS last
FROM pipelines AS p ${filter}
ORDER BY p.namespace, p.name`;

function lastRun(value: unknown): RecentRuns["last"] {
  if (typeof value !== "string") return null;
  const [id, state, finished_at] = JSON.parse(value) as [string, RunState, number | null];
  return { id, state, finished_at };
}

export function listRecentRuns(conn: Connection, query: RecentRunsQuery): RecentRuns[] {
  const params: Record<string, unknown> = { per_pipeline: query.perPipeline };
  const where: string[] = [];
  if (query.namespace !== undefined) (where.push("p.namespace = @namespace"), (params.namespace = query.namespace));
  if (query.pipeline !== undefined) (where.push("p.name = @pipeline"), (params.pipeline = query.pipeline));
  const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  return conn
    .statement(RECENT(filter))
    .all(params)
    .map((row) => ({
      namespace: text(row, "namespace"),
      pipeline: text(row, "name"),
      runs_json: text(row, "runs_json"),
      last: lastRun(row.last),
    }));
}

/** A pipeline's runs, newest first, and the attempts of their tasks. */
export function listRunHistory(conn: Connection, query: HistoryQuery): { runs: HistoryRunRow[]; tasks: HistoryTaskRow[] } {
  const where = ["namespace = @namespace", "pipeline = @pipeline"];
  const params: Record<string, unknown> = { namespace: query.namespace, pipeline: query.pipeline, limit: query.limit };
  if (query.before !== undefined) {
    const cursor = conn.statement("SELECT created_at FROM runs WHERE id = ?").get(query.before);
    params.before = query.before;
    // As listRuns: by (created_at, id) of the cursor run, or by id once retention removed it (ids sort by creation time).
    if (cursor) (where.push("(created_at < @cursor_at OR (created_at = @cursor_at AND id < @before))"), (params.cursor_at = int(cursor, "created_at")));
    else where.push("id < @before");
  }
  const sql = `SELECT id, state, json_extract("trigger", '$.kind') AS trigger_kind, created_at, started_at, finished_at
    FROM runs WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC LIMIT @limit`;
  const runs = conn.statement(sql).all(params).map(historyRunFromRow);
  if (runs.length === 0) return { runs, tasks: [] };
  // One statement per shape: the number of ids is at most the page's limit, and a page is usually full.
  const ids = runs.map((run) => run.id);
  const tasks = conn
    .statement(`SELECT run_id, path, attempt, state, exit_code, started_at, finished_at FROM task_runs WHERE run_id IN (${ids.map(() => "?").join(", ")})`)
    .all(...ids)
    .map(historyTaskFromRow);
  return { runs, tasks };
}
