import type { Sql } from "../pool.js";
import type { NamespaceRow } from "../../port.js";
import { toJson } from "../../columns.js";
import { namespaceFromRow } from "../../rows.js";

// created_at is kept from the first insert: it is when the namespace first appeared.
const UPSERT = `
INSERT INTO namespaces (name, origin, metadata, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (name) DO UPDATE SET
  origin = excluded.origin, metadata = excluded.metadata, updated_at = excluded.updated_at`;

export async function upsertNamespace(sql: Sql, row: NamespaceRow): Promise<void> {
  await sql.changes(UPSERT, [row.name, toJson(row.origin), toJson(row.metadata), row.created_at, row.updated_at]);
}

export async function getNamespace(sql: Sql, name: string): Promise<NamespaceRow | undefined> {
  const row = await sql.one("SELECT * FROM namespaces WHERE name = $1", [name]);
  return row && namespaceFromRow(row);
}

export async function listNamespaces(sql: Sql): Promise<NamespaceRow[]> {
  return (await sql.rows("SELECT * FROM namespaces ORDER BY name")).map(namespaceFromRow);
}
