import type { Connection } from "../connection.js";
import type { PauseDetail, PipelineHead, PipelineRow } from "../../port.js";
import { json, textOrNull } from "../../columns.js";
import { pipelineFromRow, pipelineHeadFromRow } from "../../rows.js";
import { changedSchedules } from "../../schedule-keys.js";

// created_at is kept from the first insert: it is when the pipeline first appeared.
const UPSERT = `
INSERT INTO pipelines (namespace, name, definition, digest, paused, created_at, updated_at, source)
VALUES (@namespace, @name, @definition, @digest, @paused, @created_at, @updated_at, @source)
ON CONFLICT (namespace, name) DO UPDATE SET
  definition = excluded.definition, digest = excluded.digest, paused = excluded.paused,
  updated_at = excluded.updated_at, source = excluded.source`;

// For apply: a definitions file says nothing about pausing, so an existing
// pipeline keeps its flag; a new one takes the row's.
const APPLY = `
INSERT INTO pipelines (namespace, name, definition, digest, paused, created_at, updated_at, source)
VALUES (@namespace, @name, @definition, @digest, @paused, @created_at, @updated_at, @source)
ON CONFLICT (namespace, name) DO UPDATE SET
  definition = excluded.definition, digest = excluded.digest, updated_at = excluded.updated_at, source = excluded.source`;

export function upsertPipeline(conn: Connection, row: PipelineRow): void {
  conn.statement(UPSERT).run(pipelineParams(row));
}

export function applyPipeline(conn: Connection, row: PipelineRow): void {
  const before = getPipeline(conn, row.namespace, row.name);
  // A time trigger whose timing changed starts its schedule again at the apply (schedule-keys.ts).
  for (const key of before ? changedSchedules(before.definition, row.definition) : []) {
    conn.statement("UPDATE schedules SET anchor = ?, last_slot = ? WHERE namespace = ? AND pipeline = ? AND trigger_key = ?").run(row.updated_at, row.updated_at, row.namespace, row.name, key);
  }
  conn.statement(APPLY).run(pipelineParams(row));
}

export function setPipelinePaused(conn: Connection, namespace: string, name: string, paused: boolean, detail?: PauseDetail): boolean {
  const sql = "UPDATE pipelines SET paused = ?, paused_at = ?, paused_by = ?, paused_reason = ? WHERE namespace = ? AND name = ?";
  const kept = paused && detail ? [detail.at, detail.by, detail.reason] : [null, null, null];
  return conn.statement(sql).run(paused ? 1 : 0, ...kept, namespace, name).changes > 0;
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
    source: row.source ? JSON.stringify(row.source) : null,
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

/** The database reads the two fields out of each definition's JSON: far cheaper than handing every definition to JSON.parse. */
const HEADS = (filter: string) => `
SELECT namespace, name, digest, paused, created_at, updated_at, paused_at, paused_by, paused_reason,
  definition ->> '$.description' AS description, definition -> '$.triggers' AS triggers
FROM pipelines ${filter} ORDER BY namespace, name`;

export function listPipelineHeads(conn: Connection, namespace?: string): PipelineHead[] {
  const rows = namespace === undefined ? conn.statement(HEADS("")).all() : conn.statement(HEADS("WHERE namespace = ?")).all(namespace);
  return rows.map((row) =>
    pipelineHeadFromRow(row, { description: textOrNull(row, "description"), triggers: row.triggers === null ? [] : json<unknown[]>(row, "triggers") }),
  );
}

export function deletePipeline(conn: Connection, namespace: string, name: string): boolean {
  // Its schedules go with it: one made again under this name starts afresh.
  conn.statement("DELETE FROM schedules WHERE namespace = ? AND pipeline = ?").run(namespace, name);
  return conn.statement("DELETE FROM pipelines WHERE namespace = ? AND name = ?").run(namespace, name).changes > 0;
}
