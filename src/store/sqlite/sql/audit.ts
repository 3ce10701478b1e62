import type { Connection } from "../connection.js";
import type { AuditQuery, AuditRow } from "../../port.js";
import { toJson } from "../../columns.js";
import { auditFromRow } from "../../rows.js";

const APPEND = `
INSERT INTO audit (ts, actor, action, target, details)
VALUES (@ts, @actor, @action, @target, @details)`;

/** Appends one entry and returns it with the seq the database gave it. */
export function appendAudit(conn: Connection, row: Omit<AuditRow, "seq">): AuditRow {
  const details = toJson(row.details);
  const result = conn.statement(APPEND).run({ ts: row.ts, actor: row.actor, action: row.action, target: row.target, details });
  // Parse back what was stored, so the caller sees exactly what readers will.
  return { ...row, seq: Number(result.lastInsertRowid), details: JSON.parse(details) as AuditRow["details"] };
}

/**
 * Newest first. The filters are checked entry by entry from the newest (the
 * table has no index but its seq): the audit of a personal engine is small,
 * and every entry written is one a person did.
 */
export function listAudit(conn: Connection, query: AuditQuery): AuditRow[] {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: query.limit };
  if (query.before !== undefined) (where.push("seq < @before"), (params.before = query.before));
  if (query.actor !== undefined) (where.push("actor = @actor"), (params.actor = query.actor));
  if (query.target !== undefined) (where.push("target = @target"), (params.target = query.target));
  if (query.since !== undefined) (where.push("ts >= @since"), (params.since = query.since));
  if (query.until !== undefined) (where.push("ts < @until"), (params.until = query.until));
  if (query.actions !== undefined) where.push(`(${query.actions.map((action, index) => actionMatch(params, action, index)).join(" OR ")})`);
  const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  return conn.statement(`SELECT * FROM audit ${filter} ORDER BY seq DESC LIMIT @limit`).all(params).map(auditFromRow);
}

/** `run.start` is that action; `run.*` every action that starts with `run.` (compared as text: no LIKE wildcards to escape). */
function actionMatch(params: Record<string, unknown>, action: string, index: number): string {
  const name = `action${index}`;
  const prefix = action.endsWith("*");
  params[name] = prefix ? action.slice(0, -1) : action;
  return prefix ? `substr(action, 1, length(@${name})) = @${name}` : `action = @${name}`;
}
