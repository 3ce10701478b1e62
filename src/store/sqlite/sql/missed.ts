/** Slots that did not run: one record per trigger per look, with a count (see migration 4). */
import type { Connection } from "../connection.js";
import type { MissedQuery, MissedRow } from "../../port.js";
import { missedFromRow } from "../../rows.js";

const APPEND = `
INSERT INTO missed (namespace, pipeline, trigger_key, detected_at, count, count_exact, first_slot, last_slot, slots, reason, run_id)
VALUES (@namespace, @pipeline, @trigger_key, @detected_at, @count, @count_exact, @first_slot, @last_slot, @slots, @reason, @run_id)`;

export function appendMissed(conn: Connection, row: Omit<MissedRow, "seq">): MissedRow {
  const result = conn.statement(APPEND).run({ ...row, count_exact: row.count_exact ? 1 : 0, slots: JSON.stringify(row.slots) });
  return { ...row, seq: Number(result.lastInsertRowid) };
}

export function listMissed(conn: Connection, query: MissedQuery): MissedRow[] {
  // Filters are fixed in the text and switched off by NULL, so one statement serves every query.
  const rows = conn
    .statement(
      `SELECT * FROM missed
       WHERE (@namespace IS NULL OR namespace = @namespace)
         AND (@pipeline IS NULL OR pipeline = @pipeline)
         AND (@run_id IS NULL OR run_id = @run_id)
         AND (@before IS NULL OR seq < @before)
       ORDER BY seq DESC LIMIT @limit`,
    )
    .all({ namespace: query.namespace ?? null, pipeline: query.pipeline ?? null, run_id: query.run_id ?? null, before: query.before ?? null, limit: query.limit });
  return rows.map(missedFromRow);
}
