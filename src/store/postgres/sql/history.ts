/**
 * Run history in bulk, for pages that show many runs at once: the newest
 * runs of every pipeline (one statement for all of them), and a pipeline's
 * last runs with the states and times of their tasks (the history grid).
 * Only the columns those pages show are read: a run's definition and args
 * are most of its row.
 */
import type { Sql } from "../pool.js";
import type { HistoryQuery, HistoryRunRow, HistoryTaskRow, RecentRuns, RecentRunsQuery, RunState } from "../../port.js";
import { intOrNull, text } from "../../columns.js";
import { historyRunFromRow, historyTaskFromRow } from "../../rows.js";
import { Params } from "./params.js";
import { beforeRun } from "./runs.js";

/**
 * Epoch ms as ISO 8601 (UTC, ms), by the database: the same text as
 * Date#toISOString (see the store contract). Added to the epoch as an
 * interval, which is exact, where to_timestamp goes through a float.
 */
const ISO = (column: string) => `to_char(timestamp 'epoch' + ${column} * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * For each pipeline that has a definition, the JSON text of its newest runs
 * and its newest run's fields. Each lateral subquery is one scan of
 * runs_recent per pipeline, which holds every column read, so no run row is
 * read (a run's row is mostly its definition).
 */
const RECENT = (filter: string, perPipeline: string) => `
SELECT p.namespace, p.name, recent.runs_json, last.id AS last_id, last.state AS last_state, last.finished_at AS last_finished_at
FROM pipelines AS p
CROSS JOIN LATERAL (
  SELECT coalesce(json_agg(json_build_object('id', r.id, 'state', r.state, 'created_at', ${ISO("r.created_at")}, 'duration_ms', r.finished_at - r.started_at)
                  ORDER BY r.created_at DESC, r.id DESC), '[]')::text AS runs_json
  FROM (SELECT id, state, created_at, started_at, finished_at FROM runs
        WHERE namespace = p.namespace AND pipeline = p.name ORDER BY created_at DESC, id DESC LIMIT ${perPipeline}) AS r
) AS recent
LEFT JOIN LATERAL (
  SELECT id, state, finished_at FROM runs
  WHERE namespace = p.namespace AND pipeline = p.name ORDER BY created_at DESC, id DESC LIMIT 1
) AS last ON true
${filter}
ORDER BY p.namespace, p.name`;

export async function listRecentRuns(sql: Sql, query: RecentRunsQuery): Promise<RecentRuns[]> {
  const params = new Params();
  const perPipeline = params.add(query.perPipeline);
  const where: string[] = [];
  if (query.namespace !== undefined) where.push(`p.namespace = ${params.add(query.namespace)}`);
  if (query.pipeline !== undefined) where.push(`p.name = ${params.add(query.pipeline)}`);
  const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  const rows = await sql.rows(RECENT(filter, perPipeline), params.values);
  return rows.map((row) => ({
    namespace: text(row, "namespace"),
    pipeline: text(row, "name"),
    runs_json: text(row, "runs_json"),
    last: row.last_id === null ? null : { id: text(row, "last_id"), state: text(row, "last_state") as RunState, finished_at: intOrNull(row, "last_finished_at") },
  }));
}

/** A pipeline's runs, newest first, and the attempts of their tasks. Call in a read transaction. */
export async function listRunHistory(sql: Sql, query: HistoryQuery): Promise<{ runs: HistoryRunRow[]; tasks: HistoryTaskRow[] }> {
  const params = new Params();
  const where = [`namespace = ${params.add(query.namespace)}`, `pipeline = ${params.add(query.pipeline)}`];
  if (query.before !== undefined) where.push(await beforeRun(sql, params, query.before));
  const runs = (
    await sql.rows(
      `SELECT id, state, trigger_kind, created_at, started_at, finished_at
       FROM runs WHERE ${where.join(" AND ")} ORDER BY created_at DESC, id DESC LIMIT ${params.add(query.limit)}`,
      params.values,
    )
  ).map(historyRunFromRow);
  if (runs.length === 0) return { runs, tasks: [] };
  const tasks = await sql.rows(
    "SELECT run_id, path, attempt, state, exit_code, started_at, finished_at FROM task_runs WHERE run_id = ANY($1::text[])",
    [runs.map((run) => run.id)],
  );
  return { runs, tasks: tasks.map(historyTaskFromRow) };
}
