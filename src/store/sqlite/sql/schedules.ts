/** Trigger schedules and their slots: each slot starts at most one run (SPEC §6). */
import type { Connection } from "../connection.js";
import type { ClaimResult, ScheduleRow, SlotClaim } from "../../port.js";
import { insertRun } from "./runs.js";
import { appendEvent } from "./events.js";
import { appendMissed } from "./missed.js";
import { stillStored } from "./run-creation.js";
import { refusedClaim, scheduleFromRow } from "../../rows.js";

const KEY = "namespace = ? AND pipeline = ? AND trigger_key = ?";

export function ensureSchedule(conn: Connection, namespace: string, pipeline: string, triggerKey: string, anchor: number): ScheduleRow {
  conn.statement("INSERT INTO schedules (namespace, pipeline, trigger_key, anchor, last_slot) VALUES (?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING").run(namespace, pipeline, triggerKey, anchor);
  return scheduleFromRow(conn.statement(`SELECT * FROM schedules WHERE ${KEY}`).get(namespace, pipeline, triggerKey)!);
}

/**
 * Call inside a write transaction. Per claim, the conditional UPDATE is the
 * guard: it moves last_slot forwards or changes nothing, and then nothing of
 * that claim is written. Every slot in `slots` is ≤ its schedule's last_slot,
 * so a claim that passed the guard cannot meet the primary key (it backs the
 * guard up across engines).
 */
export function claimSlots(conn: Connection, claims: SlotClaim[], at: number): ClaimResult[] {
  return claims.map((claim) => claimOne(conn, claim, at));
}

function claimOne(conn: Connection, claim: SlotClaim, at: number): ClaimResult {
  const { namespace, pipeline, trigger_key: triggerKey, runs, missed } = claim;
  const slots = runs.map((entry) => entry.slot);
  if (slots.some((slot, index) => index > 0 && slot <= slots[index - 1]!)) throw new Error("claimSlots: run slots must be given in ascending order");
  if (missed && (missed.first_slot > missed.last_slot || missed.count < 1)) throw new Error("claimSlots: a missed record needs count ≥ 1 and first_slot ≤ last_slot");
  if (slots.length === 0 && !missed) return { claimed: true, events: [] };
  if (claim.madeFrom && !stillStored(conn, namespace, pipeline, claim.madeFrom)) return { claimed: false, events: [], changed: true };
  const oldest = Math.min(slots[0] ?? Infinity, missed?.first_slot ?? Infinity);
  const newest = Math.max(slots[slots.length - 1] ?? -Infinity, missed?.last_slot ?? -Infinity);
  const moved = conn.statement(`UPDATE schedules SET last_slot = ? WHERE ${KEY} AND (last_slot IS NULL OR last_slot < ?)`).run(newest, namespace, pipeline, triggerKey, oldest);
  if (moved.changes === 0) return refusedClaim(conn.statement(`SELECT last_slot FROM schedules WHERE ${KEY}`).get(namespace, pipeline, triggerKey));
  const events = runs.map(({ slot, run, event }) => {
    insertRun(conn, run);
    const stored = appendEvent(conn, event);
    conn.statement("INSERT INTO slots (namespace, pipeline, trigger_key, slot, outcome, run_id, recorded_at) VALUES (?, ?, ?, ?, 'run', ?, ?)").run(namespace, pipeline, triggerKey, slot, run.id, at);
    return stored;
  });
  if (!missed) return { claimed: true, events };
  const record = appendMissed(conn, { ...missed, namespace, pipeline, trigger_key: triggerKey, detected_at: at, run_id: runs[runs.length - 1]?.run.id ?? null });
  return { claimed: true, events, missed: record };
}

export function listSchedules(conn: Connection, namespace?: string): ScheduleRow[] {
  const rows = namespace === undefined ? conn.statement("SELECT * FROM schedules ORDER BY namespace, pipeline, trigger_key").all() : conn.statement("SELECT * FROM schedules WHERE namespace = ? ORDER BY pipeline, trigger_key").all(namespace);
  return rows.map(scheduleFromRow);
}
