/** Builders of port rows for store tests: complete rows with overridable fields. */
import type { AuditRow, EventRow, NamespaceRow, PipelineRow, RunRow, StateChange, TaskRunRow, TokenRow } from "../../src/store/port.js";

export function aNamespace(name: string, over: Partial<NamespaceRow> = {}): NamespaceRow {
  return {
    name,
    origin: { host: "box", user: "jane", path: `/home/jane/${name}/spire.yaml`, applied_at: 1_000, author: "jane" },
    metadata: { team: "ops" },
    created_at: 1_000,
    updated_at: 1_000,
    ...over,
  };
}

export function aPipeline(namespace: string, name: string, over: Partial<PipelineRow> = {}): PipelineRow {
  return {
    namespace,
    name,
    definition: { tasks: { dump: { run: "pg_dump app" } }, concurrency: 1 },
    digest: `digest-${namespace}-${name}`,
    paused: false,
    created_at: 2_000,
    updated_at: 2_000,
    ...over,
  };
}

export function aRun(id: string, over: Partial<RunRow> = {}): RunRow {
  return {
    id,
    namespace: "home",
    pipeline: "backup",
    state: "queued",
    trigger: { kind: "cron", scheduled_at: "2026-01-01T03:00:00.000Z" },
    args: { target: "/srv/backup", full: false },
    definition: { tasks: { dump: { run: "pg_dump app" } } },
    partition: null,
    seed: 42,
    reason: null,
    created_at: 10_000,
    started_at: null,
    finished_at: null,
    warnings: 0,
    errors: 0,
    metrics: {},
    ...over,
  };
}

export function aTask(runId: string, path: string, over: Partial<TaskRunRow> = {}): TaskRunRow {
  return {
    run_id: runId,
    path,
    attempt: 1,
    state: "running",
    exit_code: null,
    signal: null,
    reason: null,
    pid: 4242,
    started_at: 11_000,
    finished_at: null,
    cpu_ms: null,
    peak_rss_bytes: null,
    warnings: 0,
    errors: 0,
    metrics: {},
    outputs: {},
    log_file: `/data/logs/${runId}/${path}.log`,
    worker: null,
    ...over,
  };
}

export function anEvent(runId: string, type: string, over: Partial<Omit<EventRow, "seq">> = {}): Omit<EventRow, "seq"> {
  return { run_id: runId, ts: 12_000, type, task_path: null, attempt: null, data: {}, ...over };
}

export function runCreated(run: RunRow): Omit<EventRow, "seq"> {
  return anEvent(run.id, "run.created", { ts: run.created_at, data: { trigger: run.trigger } });
}

/** The engine's most frequent change: a task's event and its row. */
export function taskChange(runId: string, path: string, type: string, over: Partial<TaskRunRow> = {}): StateChange {
  const task = aTask(runId, path, over);
  return { event: anEvent(runId, type, { task_path: path, attempt: task.attempt, data: { state: task.state } }), task };
}

export function aToken(id: string, over: Partial<TokenRow> = {}): TokenRow {
  return { id, name: `token-${id}`, scope: "run", created_at: 3_000, expires_at: 90_000, revoked_at: null, last_used_at: null, kind: "token", parent_id: null, ...over };
}

export function anAudit(action: string, over: Partial<Omit<AuditRow, "seq">> = {}): Omit<AuditRow, "seq"> {
  return { ts: 4_000, actor: "cli:jane", action, target: "home/backup", details: { via: "test" }, ...over };
}
