/**
 * Retention: which finished runs have expired, and removing them. Task runs
 * and events go with their run (ON DELETE CASCADE); slots and missed records
 * keep their rows with run_id set to NULL.
 */
import type { Connection } from "../connection.js";
import type { ExpiredRun, RetentionQuery, RunState } from "../../port.js";
import { int, intOrNull, text } from "../../columns.js";

const UNFINISHED = "('queued', 'running')";

export function listRunPipelines(conn: Connection): { namespace: string; pipeline: string }[] {
  return conn
    .statement("SELECT DISTINCT namespace, pipeline FROM runs ORDER BY namespace, pipeline")
    .all()
    .map((row) => ({ namespace: text(row, "namespace"), pipeline: text(row, "pipeline") }));
}

/**
 * `newer` numbers a pipeline's finished runs from the newest (1), the order of
 * runs_recent (by pipeline, newest first); the newest is never returned. Oldest first, so that a
 * sweep cut short by its limit has removed the oldest.
 */
const EXPIRED = `
SELECT id, state, created_at, finished_at FROM (
  SELECT id, state, created_at, finished_at,
         ROW_NUMBER() OVER (ORDER BY created_at DESC, id DESC) AS newer
  FROM runs
  WHERE namespace = @namespace AND pipeline = @pipeline AND state NOT IN ${UNFINISHED}
)
WHERE newer > 1 AND (newer > @keep OR finished_at < @before)
ORDER BY newer DESC
LIMIT @limit`;

export function listExpiredRuns(conn: Connection, query: RetentionQuery): ExpiredRun[] {
  const params = {
    namespace: query.namespace,
    pipeline: query.pipeline,
    keep: query.keep ?? Number.MAX_SAFE_INTEGER,
    // No time limit: a time no run finished before.
    before: query.finishedBefore ?? Number.MIN_SAFE_INTEGER,
    limit: query.limit,
  };
  return conn
    .statement(EXPIRED)
    .all(params)
    .map((row) => ({ id: text(row, "id"), state: text(row, "state") as RunState, created_at: int(row, "created_at"), finished_at: intOrNull(row, "finished_at") }));
}

/** Call inside a write transaction: the state check and the delete see the same row. */
export function deleteRuns(conn: Connection, ids: readonly string[]): string[] {
  const remove = conn.statement(`DELETE FROM runs WHERE id = ? AND state NOT IN ${UNFINISHED}`);
  return ids.filter((id) => remove.run(id).changes > 0);
}

export function knownRunIds(conn: Connection, ids: readonly string[]): string[] {
  const find = conn.statement("SELECT 1 FROM runs WHERE id = ?");
  return ids.filter((id) => find.get(id) !== undefined);
}
