import type { Sql } from "../pool.js";
import type { AuditQuery, AuditRow } from "../../port.js";
import { int, toJson } from "../../columns.js";
import { auditFromRow } from "../../rows.js";
import { Params } from "./params.js";

// The seq from seq_counters, as for events (see events.ts): entries become visible in seq order.
const APPEND = `
WITH counter AS (UPDATE seq_counters SET value = value + 1 WHERE stream = 'audit' RETURNING value)
INSERT INTO audit (seq, ts, actor, action, target, details)
SELECT counter.value, $1::bigint, $2::text, $3::text, $4::text, $5::text FROM counter
RETURNING seq`;

/** Appends one entry and returns it with its seq. Last in a transaction, as events are. */
export async function appendAudit(sql: Sql, row: Omit<AuditRow, "seq">): Promise<AuditRow> {
  const details = toJson(row.details);
  const stored = await sql.one(APPEND, [row.ts, row.actor, row.action, row.target, details]);
  // Parse back what was stored, so the caller sees exactly what readers will.
  return { ...row, seq: int(stored!, "seq"), details: JSON.parse(details) as AuditRow["details"] };
}

/**
 * Newest first. The filters are checked entry by entry from the newest (the
 * table has no index but its seq): the audit of a personal engine is small,
 * and every entry written is one a person did.
 */
export async function listAudit(sql: Sql, query: AuditQuery): Promise<AuditRow[]> {
  const params = new Params();
  const where: string[] = [];
  if (query.before !== undefined) where.push(`seq < ${params.add(query.before)}`);
  if (query.actor !== undefined) where.push(`actor = ${params.add(query.actor)}`);
  if (query.target !== undefined) where.push(`target = ${params.add(query.target)}`);
  if (query.since !== undefined) where.push(`ts >= ${params.add(query.since)}`);
  if (query.until !== undefined) where.push(`ts < ${params.add(query.until)}`);
  if (query.actions !== undefined) where.push(`(${query.actions.map((action) => actionMatch(params, action)).join(" OR ") || "false"})`);
  const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  return (await sql.rows(`SELECT * FROM audit ${filter} ORDER BY seq DESC LIMIT ${params.add(query.limit)}`, params.values)).map(auditFromRow);
}

/** `run.start` is that action; `run.*` every action that starts with `run.` (no LIKE wildcards to escape). */
function actionMatch(params: Params, action: string): string {
  return action.endsWith("*") ? `starts_with(action, ${params.add(action.slice(0, -1))})` : `action = ${params.add(action)}`;
}
