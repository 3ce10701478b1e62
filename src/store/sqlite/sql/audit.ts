import type { Connection, Row } from "../connection.js";
import type { AuditQuery, AuditRow } from "../../port.js";
import { int, json, text, toJson } from "../columns.js";

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

export function listAudit(conn: Connection, query: AuditQuery): AuditRow[] {
  const rows =
    query.before === undefined
      ? conn.statement("SELECT * FROM audit ORDER BY seq DESC LIMIT ?").all(query.limit)
      : conn.statement("SELECT * FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT ?").all(query.before, query.limit);
  return rows.map(auditFromRow);
}

function auditFromRow(row: Row): AuditRow {
  return {
    seq: int(row, "seq"),
    ts: int(row, "ts"),
    actor: text(row, "actor"),
    action: text(row, "action"),
    target: text(row, "target"),
    details: json(row, "details"),
  };
}
