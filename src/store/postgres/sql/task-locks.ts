/**
 * Units of named locks held by task attempts, shared by the engines on one
 * database (migration 10, task-locks-migration.ts): taken here in one
 * statement, under the named locks' advisory lock; given back by the
 * database itself as the attempt's end is recorded.
 */
import { prepared, type Sql } from "../pool.js";
import type { SharedLockHolder, TaskLockHolder, TaskLockTake } from "../../shared-port.js";

const TAKE = prepared("SELECT spire_take_task_locks($1, $2, $3, $4::text[], $5::integer[], $6::integer[], $7) AS outcome");

export async function takeTaskLocks(sql: Sql, holder: TaskLockHolder, locks: readonly { name: string; count: number; capacity: number }[], beyond: boolean): Promise<TaskLockTake> {
  const row = await sql.one(TAKE, [
    holder.run_id,
    holder.task,
    holder.attempt,
    locks.map((lock) => lock.name),
    locks.map((lock) => lock.count),
    locks.map((lock) => lock.capacity),
    beyond,
  ]);
  return row!.outcome as TaskLockTake;
}

const HOLDERS = prepared(`
SELECT name, run_id, NULL AS task, units FROM lock_holds
UNION ALL
SELECT name, run_id, task, sum(units) FROM task_lock_holds GROUP BY name, run_id, task
ORDER BY name, run_id, task NULLS FIRST`);

export async function listLockHolders(sql: Sql): Promise<SharedLockHolder[]> {
  const rows = await sql.rows(HOLDERS);
  return rows.map((row) => ({ name: String(row.name), run_id: String(row.run_id), task: row.task === null ? null : String(row.task), count: Number(row.units) }));
}
