import type { Connection } from "../connection.js";
import type { RunCountQuery, RunQuery, RunRow, RunState, TriggerUnderway } from "../../port.js";
import { RunNotFoundError } from "../../errors.js";
import { int, text, toJson } from "../../columns.js";
import { definitionJson, RUN_COLUMNS, runFromRow, triggerUnderwayFromRow } from "../../rows.js";

type RunPatch = Partial<Omit<RunRow, "id">> & { id: string };

const INSERT = `
INSERT INTO runs (id, namespace, pipeline, state, "trigger", args, definition, "partition", seed, reason,
  created_at, started_at, finished_at, warnings, errors, metrics)
VALUES (@id, @namespace, @pipeline, @state, @trigger, @args, @definition, @partition, @seed, @reason,
  @created_at, @started_at, @finished_at, @warnings, @errors, @metrics)`;

export function insertRun(conn: Connection, run: RunRow): void {
  conn.statement(INSERT).run(runParams(run));
}

/**
 * Sets only the fields present in `patch`. The statement text depends on
 * which fields are given; the engine uses a handful of shapes, each prepared once.
 */
export function patchRun(conn: Connection, patch: RunPatch): void {
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (field === "id" || value === undefined) continue;
    const spec = RUN_COLUMNS[field as keyof typeof RUN_COLUMNS];
    if (!spec) throw new Error(`store: a run has no field ${JSON.stringify(field)}`);
    sets.push(`${spec.column} = ?`);
    values.push(spec.encode(value));
  }
  const sql = sets.length > 0 ? `UPDATE runs SET ${sets.join(", ")} WHERE id = ?` : "SELECT 1 FROM runs WHERE id = ?";
  const found = sets.length > 0 ? conn.statement(sql).run(...values, patch.id).changes > 0 : conn.statement(sql).get(patch.id) !== undefined;
  if (!found) throw new RunNotFoundError(patch.id);
}

export function getRunRow(conn: Connection, id: string): RunRow | undefined {
  const row = conn.statement("SELECT * FROM runs WHERE id = ?").get(id);
  return row && runFromRow(row);
}

/**
 * Ids starting with `prefix`, by a range scan of the primary key: a LIKE
 * would be case-insensitive and could not use the index.
 */
export function findRunIds(conn: Connection, prefix: string, limit: number): string[] {
  const rows = conn
    .statement("SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT ?")
    .all(prefix, prefix + "\u{10FFFF}", limit);
  return rows.map((row) => text(row, "id")).filter((id) => id.startsWith(prefix));
}

/** Newest first; `before` pages by (created_at, id) of the cursor run. */
export function listRuns(conn: Connection, query: RunQuery): RunRow[] {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: query.limit };
  if (query.namespace !== undefined) (where.push("namespace = @namespace"), (params.namespace = query.namespace));
  if (query.pipeline !== undefined) (where.push("pipeline = @pipeline"), (params.pipeline = query.pipeline));
  if (query.state !== undefined) (where.push("state = @state"), (params.state = query.state));
  if (query.states !== undefined) where.push(`state IN (${named(params, "state", query.states)})`);
  if (query.triggerKinds !== undefined) where.push(`json_extract("trigger", '$.kind') IN (${named(params, "kind", query.triggerKinds)})`);
  if (query.createdFrom !== undefined) (where.push("created_at >= @created_from"), (params.created_from = query.createdFrom));
  if (query.createdBefore !== undefined) (where.push("created_at < @created_before"), (params.created_before = query.createdBefore));
  if (query.before !== undefined) {
    const cursor = conn.statement("SELECT created_at FROM runs WHERE id = ?").get(query.before);
    params.before = query.before;
    if (cursor) {
      where.push("(created_at < @cursor_at OR (created_at = @cursor_at AND id < @before))");
      params.cursor_at = int(cursor, "created_at");
    } else {
      // The cursor run is gone (retention): ids sort by creation time, so compare ids.
      where.push("id < @before");
    }
  }
  const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  const sql = `SELECT * FROM runs ${filter} ORDER BY created_at DESC, id DESC LIMIT @limit`;
  return conn.statement(sql).all(params).map(runFromRow);
}

/** Oldest first. Recovery lists queued and running runs: few rows, found by runs_by_state. */
export function listRunsInStates(conn: Connection, states: readonly RunState[]): RunRow[] {
  if (states.length === 0) return [];
  // One placeholder per state: at most seven shapes, each prepared once, and the index stays usable.
  const sql = `SELECT * FROM runs WHERE state IN (${placeholders(states.length)}) ORDER BY created_at, id`;
  return conn.statement(sql).all(...states).map(runFromRow);
}

export function listTriggersUnderway(conn: Connection): TriggerUnderway[] {
  const sql = `SELECT DISTINCT namespace, pipeline, json_extract("trigger", '$.trigger_key') AS trigger_key FROM runs
    WHERE state IN ('queued', 'running') AND json_extract("trigger", '$.trigger_key') IS NOT NULL`;
  return conn.statement(sql).all().map(triggerUnderwayFromRow);
}

export function countRuns(conn: Connection, query: RunCountQuery): number {
  if (query.states.length === 0) return 0;
  const where = [`state IN (${placeholders(query.states.length)})`];
  const params: unknown[] = [...query.states];
  if (query.namespace !== undefined) (where.push("namespace = ?"), params.push(query.namespace));
  if (query.pipeline !== undefined) (where.push("pipeline = ?"), params.push(query.pipeline));
  // SQLite uses a partial index only when the query spells out its condition.
  if (query.states.every((state) => UNFINISHED.has(state))) where.push(`state IN ('queued', 'running')`);
  const row = conn.statement(`SELECT count(*) AS n FROM runs WHERE ${where.join(" AND ")}`).get(...params);
  return row ? int(row, "n") : 0;
}

/** One named parameter per value (`@state0, @state1`), set in `params`: the statement's text depends only on how many there are. */
function named(params: Record<string, unknown>, prefix: string, values: readonly unknown[]): string {
  return values
    .map((value, index) => {
      params[`${prefix}${index}`] = value;
      return `@${prefix}${index}`;
    })
    .join(", ");
}

/** The states runs_unfinished_by_pipeline keeps (migration 7). */
const UNFINISHED = new Set<RunState>(["queued", "running"]);

function placeholders(count: number): string {
  return Array.from({ length: count }, () => "?").join(", ");
}

function runParams(run: RunRow): Record<string, unknown> {
  return {
    id: run.id,
    namespace: run.namespace,
    pipeline: run.pipeline,
    state: run.state,
    trigger: toJson(run.trigger),
    args: toJson(run.args),
    definition: definitionJson(run.definition),
    partition: run.partition ?? null,
    seed: run.seed ?? null,
    reason: run.reason ?? null,
    created_at: run.created_at,
    started_at: run.started_at ?? null,
    finished_at: run.finished_at ?? null,
    warnings: run.warnings,
    errors: run.errors,
    metrics: toJson(run.metrics),
  };
}
