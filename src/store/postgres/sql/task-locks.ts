/**
 * Units of named locks held by task attempts, shared by the engines on one
 * database (migration 10, task-locks-migration.ts): taken here in one
 * statement, under the named locks' advisory lock; given back by the
 * database itself as the attempt's end is recorded.
 */
import { prepared, type Sql } from "../pool.js";
import type { TaskLockHolder, TaskLockTake } from "../../shared-port.js";

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
