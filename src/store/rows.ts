/**
 * Port rows from database rows, for every adapter: each table has the same
 * columns in SQLite and PostgreSQL, and columns.ts reads each value.
 */
import type { AuditRow, ClaimResult, EventRow, HistoryRunRow, HistoryTaskRow, MissedRow, NamespaceRow, PipelineHead, PipelineRow, RunRow, ScheduleRow, TaskRunRow, TokenKind, TokenRow, TriggerUnderway } from "./port.js";
import type { PipelineSource } from "../definitions/pipeline-source.js";
import { bool, int, intOrNull, json, text, textOrNull, toJson, type Row } from "./columns.js";

export function namespaceFromRow(row: Row): NamespaceRow {
  return {
    name: text(row, "name"),
    origin: json(row, "origin"),
    metadata: json(row, "metadata"),
    created_at: int(row, "created_at"),
    updated_at: int(row, "updated_at"),
  };
}

export function pipelineFromRow(row: Row): PipelineRow {
  return {
    namespace: text(row, "namespace"),
    name: text(row, "name"),
    definition: json(row, "definition"),
    digest: text(row, "digest"),
    paused: bool(row, "paused"),
    created_at: int(row, "created_at"),
    updated_at: int(row, "updated_at"),
    ...pauseDetail(row),
    // Only when there is one: most rows are neither paused with a detail nor from a file with lines of their own.
    ...(row.source !== null ? { source: json<PipelineSource>(row, "source") } : {}),
  };
}

/** A pipeline's head: its row's columns but the definition, with what the adapter read of the definition. */
export function pipelineHeadFromRow(row: Row, fromDefinition: Pick<PipelineHead, "description" | "triggers">): PipelineHead {
  return {
    namespace: text(row, "namespace"),
    name: text(row, "name"),
    digest: text(row, "digest"),
    paused: bool(row, "paused"),
    created_at: int(row, "created_at"),
    updated_at: int(row, "updated_at"),
    ...pauseDetail(row),
    ...fromDefinition,
  };
}

export function pauseDetail(row: Row): Pick<PipelineRow, "paused_at" | "paused_by" | "paused_reason"> {
  return row.paused_at === null ? {} : { paused_at: intOrNull(row, "paused_at"), paused_by: textOrNull(row, "paused_by"), paused_reason: textOrNull(row, "paused_reason") };
}

export function runFromRow(row: Row): RunRow {
  return {
    id: text(row, "id"),
    namespace: text(row, "namespace"),
    pipeline: text(row, "pipeline"),
    state: text(row, "state") as RunRow["state"],
    trigger: json(row, "trigger"),
    args: json(row, "args"),
    definition: json(row, "definition"),
    partition: textOrNull(row, "partition"),
    seed: intOrNull(row, "seed"),
    reason: textOrNull(row, "reason"),
    created_at: int(row, "created_at"),
    started_at: intOrNull(row, "started_at"),
    finished_at: intOrNull(row, "finished_at"),
    warnings: int(row, "warnings"),
    errors: int(row, "errors"),
    metrics: json(row, "metrics"),
  };
}

/** How each field of a run patch is stored: its column and its encoding. */
export const RUN_COLUMNS: Record<keyof Omit<RunRow, "id">, { column: string; encode: (value: unknown) => unknown }> = {
  namespace: plain("namespace"),
  pipeline: plain("pipeline"),
  state: plain("state"),
  trigger: encoded('"trigger"'),
  args: encoded("args"),
  definition: { column: "definition", encode: definitionJson },
  partition: plain('"partition"'),
  seed: plain("seed"),
  reason: plain("reason"),
  created_at: plain("created_at"),
  started_at: plain("started_at"),
  finished_at: plain("finished_at"),
  warnings: plain("warnings"),
  errors: plain("errors"),
  metrics: encoded("metrics"),
};

function plain(column: string) {
  return { column, encode: (value: unknown) => value };
}

function encoded(column: string) {
  return { column, encode: toJson };
}

/** A task row without its messages (they live in a table of their own). */
/** A row of Store.listTriggersUnderway's query (namespace, pipeline, trigger_key). */
export function triggerUnderwayFromRow(row: Row): TriggerUnderway {
  return { namespace: text(row, "namespace"), pipeline: text(row, "pipeline"), trigger_key: text(row, "trigger_key") };
}

export function taskFromRow(row: Row): TaskRunRow {
  return {
    run_id: text(row, "run_id"),
    path: text(row, "path"),
    attempt: int(row, "attempt"),
    state: text(row, "state") as TaskRunRow["state"],
    exit_code: intOrNull(row, "exit_code"),
    signal: textOrNull(row, "signal"),
    reason: textOrNull(row, "reason"),
    pid: intOrNull(row, "pid"),
    started_at: intOrNull(row, "started_at"),
    finished_at: intOrNull(row, "finished_at"),
    cpu_ms: intOrNull(row, "cpu_ms"),
    peak_rss_bytes: intOrNull(row, "peak_rss_bytes"),
    warnings: int(row, "warnings"),
    errors: int(row, "errors"),
    metrics: json(row, "metrics"),
    outputs: json(row, "outputs"),
    log_file: textOrNull(row, "log_file"),
    worker: textOrNull(row, "worker"),
  };
}

export function eventFromRow(row: Row): EventRow {
  return {
    seq: int(row, "seq"),
    run_id: text(row, "run_id"),
    ts: int(row, "ts"),
    type: text(row, "type"),
    task_path: textOrNull(row, "task_path"),
    attempt: intOrNull(row, "attempt"),
    data: json(row, "data"),
  };
}

export function auditFromRow(row: Row): AuditRow {
  return {
    seq: int(row, "seq"),
    ts: int(row, "ts"),
    actor: text(row, "actor"),
    action: text(row, "action"),
    target: text(row, "target"),
    details: json(row, "details"),
  };
}

export function tokenFromRow(row: Row): TokenRow {
  return {
    id: text(row, "id"),
    name: text(row, "name"),
    scope: text(row, "scope") as TokenRow["scope"],
    created_at: int(row, "created_at"),
    expires_at: intOrNull(row, "expires_at"),
    revoked_at: intOrNull(row, "revoked_at"),
    last_used_at: intOrNull(row, "last_used_at"),
    kind: text(row, "kind") as TokenKind,
    parent_id: textOrNull(row, "parent_id"),
  };
}

export function missedFromRow(row: Row): MissedRow {
  return {
    seq: int(row, "seq"),
    namespace: text(row, "namespace"),
    pipeline: text(row, "pipeline"),
    trigger_key: text(row, "trigger_key"),
    detected_at: int(row, "detected_at"),
    count: int(row, "count"),
    count_exact: bool(row, "count_exact"),
    first_slot: int(row, "first_slot"),
    last_slot: int(row, "last_slot"),
    slots: json<number[]>(row, "slots"),
    reason: text(row, "reason"),
    run_id: textOrNull(row, "run_id"),
  };
}

export function scheduleFromRow(row: Row): ScheduleRow {
  return {
    namespace: text(row, "namespace"),
    pipeline: text(row, "pipeline"),
    trigger_key: text(row, "trigger_key"),
    anchor: int(row, "anchor"),
    last_slot: intOrNull(row, "last_slot"),
  };
}

/** A refused slot claim, with the newest slot its schedule had handled (the row read after the refusal; undefined when the schedule is gone). */
export function refusedClaim(schedule: Row | undefined): ClaimResult {
  const lastSlot = schedule ? intOrNull(schedule, "last_slot") : null;
  return lastSlot === null ? { claimed: false, events: [] } : { claimed: false, events: [], last_slot: lastSlot };
}

export function historyRunFromRow(row: Row): HistoryRunRow {
  return {
    id: text(row, "id"),
    state: text(row, "state") as HistoryRunRow["state"],
    trigger_kind: typeof row.trigger_kind === "string" ? row.trigger_kind : "unknown",
    created_at: int(row, "created_at"),
    started_at: intOrNull(row, "started_at"),
    finished_at: intOrNull(row, "finished_at"),
  };
}

export function historyTaskFromRow(row: Row): HistoryTaskRow {
  return {
    run_id: text(row, "run_id"),
    path: text(row, "path"),
    attempt: int(row, "attempt"),
    state: text(row, "state") as HistoryTaskRow["state"],
    exit_code: intOrNull(row, "exit_code"),
    started_at: intOrNull(row, "started_at"),
    finished_at: intOrNull(row, "finished_at"),
  };
}

// Runs of one applied definition share its object (a scheduler makes thousands a
// second): its JSON is made once. Definitions are never changed once made.
const definitionTexts = new WeakMap<object, string>();

/** A run's definition as JSON text. */
export function definitionJson(definition: unknown): string {
  if (typeof definition !== "object" || definition === null) return JSON.stringify(definition ?? null);
  let text = definitionTexts.get(definition);
  if (text === undefined) definitionTexts.set(definition, (text = JSON.stringify(definition)));
  return text;
}
