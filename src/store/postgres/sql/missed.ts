/** Slots that did not run: one record per trigger per look, with a count. */
import type { Sql } from "../pool.js";
import type { MissedQuery, MissedRow } from "../../port.js";
import { int } from "../../columns.js";
import { missedFromRow } from "../../rows.js";

/** Told with the commit of each record, the store's schema as payload: every engine's event stream reads the new ones (see every-engine-missed.ts). */
export const MISSED_CHANNEL = "spire_missed";

// The seq from seq_counters, as for events (see events.ts): records become visible in seq order.
// The notice goes in the same statement, so it costs no round trip, and with the commit, so it is never early.
const APPEND = `
WITH counter AS (UPDATE seq_counters SET value = value + 1 WHERE stream = 'missed' RETURNING value),
stored AS (
  INSERT INTO missed (seq, namespace, pipeline, trigger_key, detected_at, count, count_exact, first_slot, last_slot, slots, reason, run_id)
  SELECT counter.value, $1::text, $2::text, $3::text, $4::bigint, $5::bigint, $6::boolean, $7::bigint, $8::bigint, $9::text, $10::text, $11::text FROM counter
  RETURNING seq)
SELECT seq, pg_notify('${MISSED_CHANNEL}', current_schema()) FROM stored`;

export async function appendMissed(sql: Sql, row: Omit<MissedRow, "seq">): Promise<MissedRow> {
  const stored = await sql.one(APPEND, [
    row.namespace,
    row.pipeline,
    row.trigger_key,
    row.detected_at,
    row.count,
    row.count_exact,
    row.first_slot,
    row.last_slot,
    JSON.stringify(row.slots),
    row.reason,
    row.run_id,
  ]);
  return { ...row, seq: int(stored!, "seq") };
}

export async function listMissed(sql: Sql, query: MissedQuery): Promise<MissedRow[]> {
  // Filters are fixed in the text and switched off by NULL, so one statement serves every query.
  const rows = await sql.rows(
    `SELECT * FROM missed
     WHERE ($1::text IS NULL OR namespace = $1)
       AND ($2::text IS NULL OR pipeline = $2)
       AND ($3::text IS NULL OR run_id = $3)
       AND ($4::bigint IS NULL OR seq < $4)
     ORDER BY seq DESC LIMIT $5`,
    [query.namespace ?? null, query.pipeline ?? null, query.run_id ?? null, query.before ?? null, query.limit],
  );
  return rows.map(missedFromRow);
}

/** Every record after `afterSeq`, oldest first: the primary key is seq, so this is a range scan. */
export async function missedSince(sql: Sql, afterSeq: number, limit: number): Promise<MissedRow[]> {
  return (await sql.rows("SELECT * FROM missed WHERE seq > $1 ORDER BY seq LIMIT $2", [afterSeq, limit])).map(missedFromRow);
}

/** The counter, not max(seq): it is held until its appends commit, so what it says is stored and visible. */
export async function latestMissedSeq(sql: Sql): Promise<number> {
  return Number((await sql.one("SELECT value FROM seq_counters WHERE stream = 'missed'"))?.value ?? 0);
}
