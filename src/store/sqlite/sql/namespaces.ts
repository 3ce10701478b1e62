import type { Connection } from "../connection.js";
import type { NamespaceRow } from "../../port.js";
import { toJson } from "../../columns.js";
import { namespaceFromRow } from "../../rows.js";

// created_at is kept from the first insert: it is when the namespace first appeared.
const UPSERT = `
INSERT INTO namespaces (name, origin, metadata, created_at, updated_at)
VALUES (@name, @origin, @metadata, @created_at, @updated_at)
ON CONFLICT (name) DO UPDATE SET
  origin = excluded.origin, metadata = excluded.metadata, updated_at = excluded.updated_at`;

export function upsertNamespace(conn: Connection, row: NamespaceRow): void {
  conn.statement(UPSERT).run({
    name: row.name,
    origin: toJson(row.origin),
    metadata: toJson(row.metadata),
    created_at: row.created_at,
    updated_at: row.updated_at,
  });
}

export function getNamespace(conn: Connection, name: string): NamespaceRow | undefined {
  const row = conn.statement("SELECT * FROM namespaces WHERE name = ?").get(name);
  return row && namespaceFromRow(row);
}

export function listNamespaces(conn: Connection): NamespaceRow[] {
  return conn.statement("SELECT * FROM namespaces ORDER BY name").all().map(namespaceFromRow);
}
