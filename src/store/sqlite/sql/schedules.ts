/** Trigger schedules and their slots: each slot starts at most one run (SPEC §6). */
import type { Connection, Row } from "../connection.js";
import type { ScheduleRow, SlotClaim } from "../../port.js";
import { insertRun } from "./runs.js";
import { appendEvent } from "./events.js";
import { int, intOrNull, text } from "../columns.js";

const KEY = "namespace = ? AND pipeline = ? AND trigger_key = ?";

export function ensureSchedule(conn: Connection, namespace: string, pipeline: string, triggerKey: string, anchor: number): ScheduleRow {
  conn.statement("INSERT INTO schedules (namespace, pipeline, trigger_key, anchor, last_slot) VALUES (?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING").run(namespace, pipeline, triggerKey, anchor);
  return scheduleFromRow(conn.statement(`SELECT * FROM schedules WHERE ${KEY}`).get(namespace, pipeline, triggerKey)!);
}

/**
 * Call inside a write transaction. The conditional UPDATE is the guard: it
 * moves last_slot forwards or changes nothing, and the slots primary key
 * backs it up across engines.
 */
export function claimSlots(conn: Connection, namespace: string, pipeline: string, triggerKey: string, claims: SlotClaim[], at: number): boolean {
  if (claims.length === 0) return true;
  const slots = claims.map((claim) => claim.slot);
  if (slots.some((slot, index) => index > 0 && slot <= slots[index - 1]!)) throw new Error("claimSlots: slots must be given in ascending order");
  const oldest = slots[0]!;
  const newest = slots[slots.length - 1]!;
  const moved = conn.statement(`UPDATE schedules SET last_slot = ? WHERE ${KEY} AND (last_slot IS NULL OR last_slot < ?)`).run(newest, namespace, pipeline, triggerKey, oldest);
  if (moved.changes === 0) return false;
  for (const claim of claims) {
    if (claim.run) {
      insertRun(conn, claim.run);
      if (claim.event) appendEvent(conn, claim.event);
    }
    conn
      .statement("INSERT INTO slots (namespace, pipeline, trigger_key, slot, outcome, run_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(namespace, pipeline, triggerKey, claim.slot, claim.outcome, claim.run?.id ?? null, at);
  }
  return true;
}

export function listSchedules(conn: Connection, namespace?: string): ScheduleRow[] {
  const rows = namespace === undefined ? conn.statement("SELECT * FROM schedules ORDER BY namespace, pipeline, trigger_key").all() : conn.statement("SELECT * FROM schedules WHERE namespace = ? ORDER BY pipeline, trigger_key").all(namespace);
  return rows.map(scheduleFromRow);
}

function scheduleFromRow(row: Row): ScheduleRow {
  return {
    namespace: text(row, "namespace"),
    pipeline: text(row, "pipeline"),
    trigger_key: text(row, "trigger_key"),
    anchor: int(row, "anchor"),
    last_slot: intOrNull(row, "last_slot"),
  };
}
