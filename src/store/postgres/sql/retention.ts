/**
 * Retention: which finished runs have expired, and removing them. Task runs,
 * their messages and events go with their run (ON DELETE CASCADE); slots and
 * missed records keep their rows with run_id set to NULL.
 */
import type { Sql } from "../pool.js";
import type { ExpiredRun, RetentionQuery, RunState } from "../../port.js";
import { int, intOrNull, text } from "../../columns.js";

const UNFINISHED = "('queued', 'running')";

/** Told with the commit of a removal, the store's schema as payload: the other engines drop the runs they keep in memory (see removed-runs.ts). */
export const RUNS_REMOVED_CHANNEL = "spire_runs_removed";

export async function listRunPipelines(sql: Sql): Promise<{ namespace: string; pipeline: string }[]> {
  const rows = await sql.rows("SELECT DISTINCT namespace, pipeline FROM runs ORDER BY namespace, pipeline");
  return rows.map((row) => ({ namespace: text(row, "namespace"), pipeline: text(row, "pipeline") }));
}

/**
 * `newer` numbers a pipeline's finished runs from the newest (1), in the
 * order of runs_recent; the newest is never returned. Oldest first, so that
 * a sweep cut short by its limit has removed the oldest.
 */
const EXPIRED = `
SELECT id, state, created_at, finished_at FROM (
  SELECT id, state, created_at, finished_at,
         ROW_NUMBER() OVER (ORDER BY created_at DESC, id DESC) AS newer
  FROM runs
  WHERE namespace = $1 AND pipeline = $2 AND state NOT IN ${UNFINISHED}
) AS finished
WHERE newer > 1 AND (newer > $3 OR finished_at < $4)
ORDER BY newer DESC
LIMIT $5`;

export async function listExpiredRuns(sql: Sql, query: RetentionQuery): Promise<ExpiredRun[]> {
  const rows = await sql.rows(EXPIRED, [
    query.namespace,
    query.pipeline,
    query.keep ?? Number.MAX_SAFE_INTEGER,
    // No time limit: a time no run finished before.
    query.finishedBefore ?? Number.MIN_SAFE_INTEGER,
    query.limit,
  ]);
  return rows.map((row) => ({ id: text(row, "id"), state: text(row, "state") as RunState, created_at: int(row, "created_at"), finished_at: intOrNull(row, "finished_at") }));
}

/**
 * One statement: the state check and the delete see the same row. Returns the ids deleted, in the order given.
 * The notice (one per transaction: PostgreSQL folds those alike) goes when any run was removed.
 */
export async function deleteRuns(sql: Sql, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await sql.rows(
    `WITH gone AS (DELETE FROM runs WHERE id = ANY($1::text[]) AND state NOT IN ${UNFINISHED} RETURNING id)
     SELECT id, pg_notify('${RUNS_REMOVED_CHANNEL}', current_schema()) FROM gone`,
    [ids],
  );
  const deleted = new Set(rows.map((row) => text(row, "id")));
  return ids.filter((id) => deleted.has(id));
}

export async function knownRunIds(sql: Sql, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const known = new Set((await sql.rows("SELECT id FROM runs WHERE id = ANY($1::text[])", [ids])).map((row) => text(row, "id")));
  return ids.filter((id) => known.has(id));
}
