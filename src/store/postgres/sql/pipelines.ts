import type { Sql } from "../pool.js";
import type { PauseDetail, PipelineHead, PipelineRow } from "../../port.js";
import { json } from "../../columns.js";
import { pipelineFromRow, pipelineHeadFromRow } from "../../rows.js";
import { changedSchedules } from "../../schedule-keys.js";

// created_at is kept from the first insert: it is when the pipeline first appeared.
const INSERT = `
INSERT INTO pipelines (namespace, name, definition, head, digest, paused, created_at, updated_at, source)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (namespace, name) DO UPDATE SET
  definition = excluded.definition, head = excluded.head, digest = excluded.digest,
  updated_at = excluded.updated_at, source = excluded.source`;

// An upsert of the whole row sets its paused flag too.
const UPSERT = `${INSERT}, paused = excluded.paused`;

// For apply: a definitions file says nothing about pausing, so an existing
// pipeline keeps its flag; a new one takes the row's.
const APPLY = INSERT;

export async function upsertPipeline(sql: Sql, row: PipelineRow): Promise<void> {
  await sql.changes(UPSERT, pipelineParams(row));
}

export async function applyPipeline(sql: Sql, row: PipelineRow): Promise<void> {
  const before = await getPipeline(sql, row.namespace, row.name);
  // A time trigger whose timing changed starts its schedule again at the apply (schedule-keys.ts).
  for (const key of before ? changedSchedules(before.definition, row.definition) : []) {
    await sql.changes("UPDATE schedules SET anchor = $1, last_slot = $1 WHERE namespace = $2 AND pipeline = $3 AND trigger_key = $4", [row.updated_at, row.namespace, row.name, key]);
  }
  await sql.changes(APPLY, pipelineParams(row));
}

export async function setPipelinePaused(sql: Sql, namespace: string, name: string, paused: boolean, detail?: PauseDetail): Promise<boolean> {
  const kept = paused && detail ? [detail.at, detail.by, detail.reason] : [null, null, null];
  const update = "UPDATE pipelines SET paused = $1, paused_at = $2, paused_by = $3, paused_reason = $4 WHERE namespace = $5 AND name = $6";
  return (await sql.changes(update, [paused, ...kept, namespace, name])) > 0;
}

function pipelineParams(row: PipelineRow): unknown[] {
  const source = row.source ? JSON.stringify(row.source) : null;
  return [row.namespace, row.name, JSON.stringify(row.definition ?? null), headJson(row.definition), row.digest, row.paused, row.created_at, row.updated_at, source];
}

/**
 * What lists show of a definition, kept beside it: reading them out of the
 * definition in SQL would fail on a definition holding "\u0000" anywhere
 * (json operators refuse it), and parsing every definition here costs a page of 1,000 pipelines dearly.
 */
function headJson(definition: unknown): string {
  const fields = typeof definition === "object" && definition !== null && !Array.isArray(definition) ? (definition as Record<string, unknown>) : {};
  return JSON.stringify({ description: typeof fields.description === "string" ? fields.description : null, triggers: fields.triggers ?? [] });
}

export async function getPipeline(sql: Sql, namespace: string, name: string): Promise<PipelineRow | undefined> {
  const row = await sql.one("SELECT * FROM pipelines WHERE namespace = $1 AND name = $2", [namespace, name]);
  return row && pipelineFromRow(row);
}

export async function listPipelines(sql: Sql, namespace?: string): Promise<PipelineRow[]> {
  const rows =
    namespace === undefined
      ? await sql.rows("SELECT * FROM pipelines ORDER BY namespace, name")
      : await sql.rows("SELECT * FROM pipelines WHERE namespace = $1 ORDER BY name", [namespace]);
  return rows.map(pipelineFromRow);
}

const HEADS = `SELECT namespace, name, digest, paused, created_at, updated_at, paused_at, paused_by, paused_reason, head FROM pipelines`;

export async function listPipelineHeads(sql: Sql, namespace?: string): Promise<PipelineHead[]> {
  const rows =
    namespace === undefined
      ? await sql.rows(`${HEADS} ORDER BY namespace, name`)
      : await sql.rows(`${HEADS} WHERE namespace = $1 ORDER BY name`, [namespace]);
  return rows.map((row) => pipelineHeadFromRow(row, json<Pick<PipelineHead, "description" | "triggers">>(row, "head")));
}

export async function deletePipeline(sql: Sql, namespace: string, name: string): Promise<boolean> {
  // Its schedules go with it: one made again under this name starts afresh.
  await sql.changes("DELETE FROM schedules WHERE namespace = $1 AND pipeline = $2", [namespace, name]);
  return (await sql.changes("DELETE FROM pipelines WHERE namespace = $1 AND name = $2", [namespace, name])) > 0;
}
