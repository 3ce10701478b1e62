import type { Connection, Row } from "../connection.js";
import type { PipelineRow } from "../../port.js";
import { bool, int, json, text, toJson } from "../columns.js";

// created_at is kept from the first insert: it is when the pipeline first appeared.
const UPSERT = `
INSERT INTO pipelines (namespace, name, definition, digest, paused, created_at, updated_at)
VALUES (@namespace, @name, @definition, @digest, @paused, @created_at, @updated_at)
ON CONFLICT (namespace, name) DO UPDATE SET
  definition = excluded.definition, digest = excluded.digest, paused = excluded.paused,
  updated_at = excluded.updated_at`;

// For apply: a definitions file says nothing about pausing, so an existing
// pipeline keeps its flag; a new one takes the row's.
const APPLY = `
INSERT INTO pipelines (namespace, name, definition, digest, paused, created_at, updated_at)
VALUES (@namespace, @name, @definition, @digest, @paused, @created_at, @updated_at)
ON CONFLICT (namespace, name) DO UPDATE SET
  definition = excluded.definition, digest = excluded.digest, updated_at = excluded.updated_at`;

export function upsertPipeline(conn: Connection, row: PipelineRow): void {
  conn.statement(UPSERT).run(pipelineParams(row));
}

export function applyPipeline(conn: Connection, row: PipelineRow): void {
  conn.statement(APPLY).run(pipelineParams(row));
}

export function setPipelinePaused(conn: Connection, namespace: string, name: string, paused: boolean): boolean {
  const sql = "UPDATE pipelines SET paused = ? WHERE namespace = ? AND name = ?";
  return conn.statement(sql).run(paused ? 1 : 0, namespace, name).changes > 0;
}

function pipelineParams(row: PipelineRow): Record<string, unknown> {
  return {
    namespace: row.namespace,
    name: row.name,
    definition: JSON.stringify(row.definition ?? null),
    digest: row.digest,
    paused: row.paused ? 1 : 0,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function getPipeline(conn: Connection, namespace: string, name: string): PipelineRow | undefined {
  const row = conn.statement("SELECT * FROM pipelines WHERE namespace = ? AND name = ?").get(namespace, name);
  return row && pipelineFromRow(row);
}

export function listPipelines(conn: Connection, namespace?: string): PipelineRow[] {
  const rows =
    namespace === undefined
      ? conn.statement("SELECT * FROM pipelines ORDER BY namespace, name").all()
      : conn.statement("SELECT * FROM pipelines WHERE namespace = ? ORDER BY name").all(namespace);
  return rows.map(pipelineFromRow);
}

export function deletePipeline(conn: Connection, namespace: string, name: string): boolean {
  return conn.statement("DELETE FROM pipelines WHERE namespace = ? AND name = ?").run(namespace, name).changes > 0;
}

function pipelineFromRow(row: Row): PipelineRow {
  return {
    namespace: text(row, "namespace"),
    name: text(row, "name"),
    definition: json(row, "definition"),
    digest: text(row, "digest"),
    paused: bool(row, "paused"),
    created_at: int(row, "created_at"),
    updated_at: int(row, "updated_at"),
  };
}
