import type { Connection } from "../connection.js";
import type { EventRow } from "../../port.js";
import { toJson } from "../../columns.js";
import { eventFromRow } from "../../rows.js";

const APPEND = `
INSERT INTO events (run_id, ts, type, task_path, attempt, data)
VALUES (@run_id, @ts, @type, @task_path, @attempt, @data)`;

/** Appends one event and returns it with the seq the database gave it. */
export function appendEvent(conn: Connection, event: Omit<EventRow, "seq">): EventRow {
  const data = toJson(event.data);
  const result = conn.statement(APPEND).run({
    run_id: event.run_id,
    ts: event.ts,
    type: event.type,
    task_path: event.task_path ?? null,
    attempt: event.attempt ?? null,
    data,
  });
  // Parse back what was stored, so the caller sees exactly what readers will.
  return { ...event, seq: Number(result.lastInsertRowid), data: JSON.parse(data) as EventRow["data"] };
}

export function listEvents(conn: Connection, runId: string, afterSeq: number, limit: number): EventRow[] {
  return conn
    .statement("SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?")
    .all(runId, afterSeq, limit)
    .map(eventFromRow);
}

/** All runs' events after `afterSeq`: the primary key is seq, so this is a range scan. */
export function listEventsSince(conn: Connection, afterSeq: number, limit: number): EventRow[] {
  return conn.statement("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?").all(afterSeq, limit).map(eventFromRow);
}

export function latestEventSeq(conn: Connection): number {
  return Number((conn.statement("SELECT coalesce(max(seq), 0) AS seq FROM events").get() as { seq: number }).seq);
}
