import type { Sql } from "../pool.js";
import type { RunCountQuery, RunQuery, RunRow, RunState, TriggerInfo } from "../../port.js";
import { RunNotFoundError } from "../../errors.js";
import { int, text, toJson } from "../../columns.js";
import { definitionJson, RUN_COLUMNS, runFromRow } from "../../rows.js";
import { Params } from "./params.js";

type RunPatch = Partial<Omit<RunRow, "id">> & { id: string };

const INSERT = `
INSERT INTO runs (id, namespace, pipeline, state, "trigger", trigger_kind, args, definition, "partition", reason,
  created_at, started_at, finished_at, warnings, errors, metrics)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`;

export async function insertRun(sql: Sql, run: RunRow): Promise<void> {
  await sql.changes(INSERT, [
    run.id,
    run.namespace,
    run.pipeline,
    run.state,
    toJson(run.trigger),
    triggerKind(run.trigger),
    toJson(run.args),
    definitionJson(run.definition),
    run.partition ?? null,
    run.reason ?? null,
    run.created_at,
    run.started_at ?? null,
    run.finished_at ?? null,
    run.warnings,
    run.errors,
    toJson(run.metrics),
  ]);
}

/** The trigger's kind, a column of its own: lists filter by it, and reading it out of the JSON in SQL fails on a "\u0000" anywhere in it. */
function triggerKind(trigger: TriggerInfo | undefined): string | null {
  return typeof trigger?.kind === "string" ? trigger.kind : null;
}

/** Sets only the fields present in `patch`; RunNotFoundError when there is no such run. */
export async function patchRun(sql: Sql, patch: RunPatch): Promise<void> {
  const params = new Params();
  const sets: string[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (field === "id" || value === undefined) continue;
    const spec = RUN_COLUMNS[field as keyof typeof RUN_COLUMNS];
    if (!spec) throw new Error(`store: a run has no field ${JSON.stringify(field)}`);
    sets.push(`${spec.column} = ${params.add(spec.encode(value))}`);
    if (field === "trigger") sets.push(`trigger_kind = ${params.add(triggerKind(value as TriggerInfo | undefined))}`);
  }
  const id = params.add(patch.id);
  const found =
    sets.length > 0
      ? (await sql.changes(`UPDATE runs SET ${sets.join(", ")} WHERE id = ${id}`, params.values)) > 0
      : (await sql.one(`SELECT 1 FROM runs WHERE id = ${id}`, params.values)) !== undefined;
  if (!found) throw new RunNotFoundError(patch.id);
}

export async function getRunRow(sql: Sql, id: string): Promise<RunRow | undefined> {
  const row = await sql.one("SELECT * FROM runs WHERE id = $1", [id]);
  return row && runFromRow(row);
}

/**
 * Ids starting with `prefix`, by a range scan of the primary key (ids order
 * by code point, COLLATE "C"): LIKE would need its wildcards escaped.
 */
export async function findRunIds(sql: Sql, prefix: string, limit: number): Promise<string[]> {
  const rows = await sql.rows("SELECT id FROM runs WHERE id >= $1 AND id < $2 ORDER BY id LIMIT $3", [prefix, prefix + "\u{10FFFF}", limit]);
  return rows.map((row) => text(row, "id")).filter((id) => id.startsWith(prefix));
}

/**
 * Newest first; `before` pages by (created_at, id) of the cursor run, or by
 * id once retention removed it (ids sort by creation time). Call in a read
 * transaction: the cursor is read first.
 */
export async function listRuns(sql: Sql, query: RunQuery): Promise<RunRow[]> {
  const params = new Params();
  const where: string[] = [];
  if (query.namespace !== undefined) where.push(`namespace = ${params.add(query.namespace)}`);
  if (query.pipeline !== undefined) where.push(`pipeline = ${params.add(query.pipeline)}`);
  if (query.state !== undefined) where.push(`state = ${params.add(query.state)}`);
  if (query.states !== undefined) where.push(`state = ANY(${params.add(query.states)}::text[])`);
  if (query.triggerKinds !== undefined) where.push(`trigger_kind = ANY(${params.add(query.triggerKinds)}::text[])`);
  if (query.createdFrom !== undefined) where.push(`created_at >= ${params.add(query.createdFrom)}`);
  if (query.createdBefore !== undefined) where.push(`created_at < ${params.add(query.createdBefore)}`);
  if (query.before !== undefined) where.push(await beforeRun(sql, params, query.before));
  const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  const rows = await sql.rows(`SELECT * FROM runs ${filter} ORDER BY created_at DESC, id DESC LIMIT ${params.add(query.limit)}`, params.values);
  return rows.map(runFromRow);
}

/** The condition "created strictly before run `id`" (see listRuns). */
export async function beforeRun(sql: Sql, params: Params, id: string): Promise<string> {
  const cursor = await sql.one("SELECT created_at FROM runs WHERE id = $1", [id]);
  if (!cursor) return `id < ${params.add(id)}`;
  return `(created_at, id) < (${params.add(int(cursor, "created_at"))}, ${params.add(id)})`;
}

/** Oldest first. Recovery lists queued and running runs: few rows, found by runs_by_state. */
export async function listRunsInStates(sql: Sql, states: readonly RunState[]): Promise<RunRow[]> {
  if (states.length === 0) return [];
  // This engine's runs and no one's; another engine's are its own to take up (see migration 3).
  return (
    await sql.rows("SELECT * FROM runs WHERE state = ANY($1::text[]) AND (owner IS NULL OR owner = nullif(current_setting('spire.owner', true), '')) ORDER BY created_at, id", [states])
  ).map(runFromRow);
}

export async function countRuns(sql: Sql, query: RunCountQuery): Promise<number> {
  if (query.states.length === 0) return 0;
  const params = new Params();
  const where = [`state = ANY(${params.add(query.states)}::text[])`];
  if (query.namespace !== undefined) where.push(`namespace = ${params.add(query.namespace)}`);
  if (query.pipeline !== undefined) where.push(`pipeline = ${params.add(query.pipeline)}`);
  // The partial index serves a query whose text implies its condition.
  if (query.states.every((state) => UNFINISHED.has(state))) where.push(`state IN ('queued', 'running')`);
  const row = await sql.one(`SELECT count(*) AS n FROM runs WHERE ${where.join(" AND ")}`, params.values);
  return row ? int(row, "n") : 0;
}

/** The states runs_unfinished_by_pipeline keeps. */
const UNFINISHED = new Set<RunState>(["queued", "running"]);
