import type { Sql } from "../pool.js";
import type { RunCountQuery, RunQuery, RunRow, RunState, TriggerInfo, TriggerUnderway } from "../../port.js";
import { int, text, toJson } from "../../columns.js";
import { definitionJson, runFromRow, triggerUnderwayFromRow } from "../../rows.js";
import { Params } from "./params.js";

/** A run's columns as stored, with the type each takes in a statement whose parameters PostgreSQL cannot type from a VALUES list. */
export const RUN_INSERT_COLUMNS: readonly [string, string][] = [
  ["id", "text"],
  ["namespace", "text"],
  ["pipeline", "text"],
  ["state", "text"],
  ['"trigger"', "text"],
  ["trigger_kind", "text"],
  ["args", "text"],
  ["definition", "text"],
  ['"partition"', "text"],
  ["seed", "integer"],
  ["reason", "text"],
  ["created_at", "bigint"],
  ["started_at", "bigint"],
  ["finished_at", "bigint"],
  ["warnings", "integer"],
  ["errors", "integer"],
  ["metrics", "text"],
];

const INSERT = `
INSERT INTO runs (${RUN_INSERT_COLUMNS.map(([column]) => column).join(", ")})
VALUES (${RUN_INSERT_COLUMNS.map((_, index) => `$${index + 1}`).join(", ")})`;

/** The values of RUN_INSERT_COLUMNS for a run. */
export function runValues(run: RunRow): unknown[] {
  return [
    run.id,
    run.namespace,
    run.pipeline,
    run.state,
    toJson(run.trigger),
    triggerKind(run.trigger),
    toJson(run.args),
    definitionJson(run.definition),
    run.partition ?? null,
    run.seed ?? null,
    run.reason ?? null,
    run.created_at,
    run.started_at ?? null,
    run.finished_at ?? null,
    run.warnings,
    run.errors,
    toJson(run.metrics),
  ];
}

export async function insertRun(sql: Sql, run: RunRow): Promise<void> {
  await sql.changes(INSERT, runValues(run));
}

/** The trigger's kind, a column of its own: lists filter by it, and reading it out of the JSON in SQL fails on a "\u0000" anywhere in it. */
export function triggerKind(trigger: TriggerInfo | undefined): string | null {
  return typeof trigger?.kind === "string" ? trigger.kind : null;
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
/** Every engine's: a fixed delay waits for its run wherever it went on (handed over, taken over). */
export async function listTriggersUnderway(sql: Sql): Promise<TriggerUnderway[]> {
  const rows = await sql.rows(
    `SELECT DISTINCT namespace, pipeline, ("trigger"::json)->>'trigger_key' AS trigger_key FROM runs
     WHERE state IN ('queued', 'running') AND ("trigger"::json)->>'trigger_key' IS NOT NULL`,
  );
  return rows.map(triggerUnderwayFromRow);
}

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
