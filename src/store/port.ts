/**
 * The Store port: everything Spire remembers. Asynchronous from day one
 * (PostgreSQL comes later); each method is one transaction, and the boundary
 * of a transaction never leaves the adapter.
 *
 * Times are epoch milliseconds. JSON columns are plain values here.
 */
import type { TaskState } from "../plan/types.js";
import type { MetricAggregate } from "../exec/port.js";

export type RunState = "queued" | "running" | "succeeded" | "failed" | "canceled" | "skipped" | "interrupted";

export interface NamespaceOrigin {
  host: string;
  user: string;
  /** Absolute path of the definitions file, when there is one. */
  path: string | null;
  applied_at: number;
  author: string | null;
}

export interface NamespaceRow {
  name: string;
  origin: NamespaceOrigin;
  metadata: Record<string, unknown>;
  created_at: number;
  updated_at: number;
}

export interface PipelineRow {
  namespace: string;
  name: string;
  /** The normalised PipelineDef, as JSON. */
  definition: unknown;
  /** sha256 of the canonical definition JSON: tells changed from unchanged. */
  digest: string;
  paused: boolean;
  created_at: number;
  updated_at: number;
}

export interface TriggerInfo {
  kind: string;
  scheduled_at?: string | null;
  [key: string]: unknown;
}

export interface RunRow {
  id: string;
  namespace: string;
  pipeline: string;
  state: RunState;
  trigger: TriggerInfo;
  args: Record<string, unknown>;
  /** The normalised PipelineDef this run ran with. */
  definition: unknown;
  partition: string | null;
  reason: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  warnings: number;
  errors: number;
  metrics: Record<string, MetricAggregate>;
}

export interface TaskRunRow {
  run_id: string;
  path: string;
  /** 1 for the first attempt. One row per attempt. */
  attempt: number;
  state: TaskState;
  exit_code: number | null;
  signal: string | null;
  reason: string | null;
  pid: number | null;
  started_at: number | null;
  finished_at: number | null;
  cpu_ms: number | null;
  peak_rss_bytes: number | null;
  warnings: number;
  errors: number;
  metrics: Record<string, MetricAggregate>;
  outputs: Record<string, string>;
  log_file: string | null;
}

export interface EventRow {
  /** Monotonic across the store; the SSE event id. */
  seq: number;
  run_id: string;
  ts: number;
  /** `run.created`, `run.started`, `run.finished`, `task.started`, `task.finished`, `task.skipped`, `task.retry_scheduled`, … */
  type: string;
  task_path: string | null;
  attempt: number | null;
  data: Record<string, unknown>;
}

/**
 * One state change: the event is appended and the rows are written in the
 * same transaction, before the engine acts on the change (write-ahead).
 */
export interface StateChange {
  event: Omit<EventRow, "seq">;
  /** Fields to set on the run (by id). */
  run?: Partial<Omit<RunRow, "id">> & { id: string };
  /** The whole row of one attempt, inserted or replaced by (run_id, path, attempt). */
  task?: TaskRunRow;
}

export interface RunQuery {
  namespace?: string;
  pipeline?: string;
  state?: RunState;
  limit: number;
  /** Runs created strictly before this run id (ids sort by creation time). */
  before?: string;
}

export interface Store {
  /** Creates or upgrades the schema (numbered migrations). Idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;

  upsertNamespace(row: NamespaceRow): Promise<void>;
  getNamespace(name: string): Promise<NamespaceRow | undefined>;
  listNamespaces(): Promise<NamespaceRow[]>;

  upsertPipeline(row: PipelineRow): Promise<void>;
  getPipeline(namespace: string, name: string): Promise<PipelineRow | undefined>;
  listPipelines(namespace?: string): Promise<PipelineRow[]>;
  deletePipeline(namespace: string, name: string): Promise<boolean>;

  /** Inserts the run and its `run.created` event in one transaction. */
  createRun(run: RunRow, event: Omit<EventRow, "seq">): Promise<EventRow>;
  /** Applies the changes in order, in one transaction; returns the stored events. */
  write(changes: StateChange[]): Promise<EventRow[]>;

  getRun(id: string): Promise<{ run: RunRow; tasks: TaskRunRow[] } | undefined>;
  /** Ids starting with `prefix` (at most `limit`), for short ids on the command line. */
  findRunIds(prefix: string, limit: number): Promise<string[]>;
  /** Newest first. */
  listRuns(query: RunQuery): Promise<RunRow[]>;
  /** Events of a run with seq > afterSeq, oldest first. */
  listEvents(runId: string, afterSeq: number, limit: number): Promise<EventRow[]>;
}
