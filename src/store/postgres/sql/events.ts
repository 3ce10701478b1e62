/**
 * The event stream. Seqs come from seq_counters (migration 1 says why): the
 * counter's row stays locked from the append to the commit, so events become
 * visible in seq order whatever the number of writers. Appended last in a
 * transaction, to hold that lock for as short a time as can be. A run's
 * events are mostly appended by batch-write.ts, in a statement that is its
 * own transaction: the lock is then held inside the server only, never while
 * an answer travels to the engine and a COMMIT back.
 */
import { prepared, type Sql } from "../pool.js";
import type { EventRow } from "../../port.js";
import { int, toJson } from "../../columns.js";
import { eventFromRow } from "../../rows.js";

// One statement for any number of events: the counter moves by all of them at once.
const APPEND = prepared(`
WITH counter AS (UPDATE seq_counters SET value = value + $1 WHERE stream = 'events' RETURNING value)
INSERT INTO events (seq, run_id, ts, type, task_path, attempt, data)
SELECT counter.value - $1 + e.ord, e.run_id, e.ts, e.type, e.task_path, e.attempt, e.data
FROM counter, unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::integer[], $7::text[])
  WITH ORDINALITY AS e (run_id, ts, type, task_path, attempt, data, ord)
RETURNING seq`);

/** Appends the events in order and returns them with their seqs, as readers will read them. */
export async function appendEvents(sql: Sql, events: readonly Omit<EventRow, "seq">[]): Promise<EventRow[]> {
  if (events.length === 0) return [];
  const data = events.map((event) => toJson(event.data));
  const rows = await sql.rows(APPEND, [
    events.length,
    events.map((event) => event.run_id),
    events.map((event) => event.ts),
    events.map((event) => event.type),
    events.map((event) => event.task_path ?? null),
    events.map((event) => event.attempt ?? null),
    data,
  ]);
  const first = rows.reduce((lowest, row) => Math.min(lowest, int(row, "seq")), Infinity);
  // Parse back what was stored, so the caller sees exactly what readers will.
  return events.map((event, index) => ({ ...event, seq: first + index, data: JSON.parse(data[index]!) as EventRow["data"] }));
}

export async function listEvents(sql: Sql, runId: string, afterSeq: number, limit: number): Promise<EventRow[]> {
  return (await sql.rows("SELECT * FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3", [runId, afterSeq, limit])).map(eventFromRow);
}

/** All runs' events after `afterSeq`: the primary key is seq, so this is a range scan. */
export async function listEventsSince(sql: Sql, afterSeq: number, limit: number): Promise<EventRow[]> {
  return (await sql.rows("SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2", [afterSeq, limit])).map(eventFromRow);
}

/** The counter, not max(seq): it is held until its appends commit, so what it says is stored and visible. */
export async function latestEventSeq(sql: Sql): Promise<number> {
  return Number((await sql.one("SELECT value FROM seq_counters WHERE stream = 'events'"))?.value ?? 0);
}
