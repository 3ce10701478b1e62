/**
 * The shapes the engine's API answers with, as far as the UI reads them
 * (docs/reference/api.md; GET /api/v1/openapi.json is the authority).
 */

/** read < run < admin; worker: only what a worker on another machine does (`spire worker`), nothing of this UI. */
export type Scope = "read" | "run" | "admin" | "worker";

export const RUN_STATES = ["queued", "running", "succeeded", "failed", "canceled", "skipped", "interrupted"] as const;
export type RunState = (typeof RUN_STATES)[number];

export const TASK_STATES = ["pending", "running", "succeeded", "failed", "canceled", "skipped", "timed_out", "interrupted"] as const;
export type TaskState = (typeof TASK_STATES)[number];

export type AnyState = RunState | TaskState;

export interface SessionInfo {
  id: string;
  name: string;
  scope: Scope;
  created_at: string;
  expires_at: string | null;
}

/** GET /session: who is logged in, and the CSRF token for requests that change something. */
export interface WhoAmI {
  name: string;
  scope: Scope;
  session: SessionInfo | null;
  csrf: string | null;
}

export type TriggerKind = "cron" | "every" | "at" | "watch" | "webhook" | "after";

/** A trigger as the engine normalised it (durations in ms). */
export interface TriggerDef {
  kind: TriggerKind;
  cron?: string;
  every?: number;
  after_finish?: boolean;
  align?: boolean;
  at?: string;
  watch?: string | string[];
  debounce?: number;
  webhook?: true;
  after?: { pipeline: string; status: "success" | "failure" | "any" };
  timezone?: string;
  args?: Record<string, string | number | boolean>;
  start?: string;
  end?: string;
  jitter?: number;
  name?: string;
}

export type ArgScalar = string | number | boolean;

/** A run argument's declaration, normalised by the engine. */
export interface ArgDef {
  type: "string" | "number" | "integer" | "boolean";
  default?: ArgScalar;
  enum?: ArgScalar[];
  pattern?: string;
  required: boolean;
  description?: string;
  secret?: boolean;
}

/** A UTC offset that differs from the one before: the clocks change (DST) in between. */
export interface OffsetChange {
  before: string;
  after: string;
}

/** A trigger as the engine reads it: in plain words (the engine's wording is the UI's), and when it fires next. */
export interface TriggerReading {
  /** Its index in `triggers` and its kind, such as 0:cron (as missed records name it). */
  key: string;
  kind: string;
  description: string;
  next_fire_at: string | null;
  /** The clocks of its zone change before next_fire_at. */
  next_offset_change: OffsetChange | null;
}

/** One of a pipeline's newest runs (GET /pipelines?recent=N). */
export interface RecentRun {
  id: string;
  state: RunState;
  created_at: string;
  duration_ms: number | null;
}

export interface PipelineSummary {
  namespace: string;
  name: string;
  description: string | null;
  paused: boolean;
  /** Why it is paused: the reason given with the pause, or the engine's own (a spire watch whose lease lapsed); null otherwise. */
  paused_reason: string | null;
  /** While paused: when, and who (a token's name, or the engine). */
  paused_at: string | null;
  paused_by: string | null;
  triggers: TriggerDef[];
  trigger_info: TriggerReading[];
  next_fire_at: string | null;
  last_run: { id: string; state: RunState; finished_at: string | null } | null;
  /** Its newest runs, newest first: only with ?recent=N. */
  recent?: RecentRun[];
  updated_at: string;
}

export interface UpcomingSlot {
  at: string;
  offset: string;
  /** From the slot before (from now, for the first). */
  offset_change: OffsetChange | null;
}

export interface PipelineDetail extends PipelineSummary {
  trigger_info: (TriggerReading & { next: UpcomingSlot[] })[];
  definition: { args?: Record<string, ArgDef>; description?: string; [key: string]: unknown };
  definition_yaml: string;
  definition_yaml_from: "source" | "normalised";
  definition_line: number | null;
  /** Where its namespace was last applied from. */
  origin: { host: string; user: string; path: string | null; applied_at: string; author: string | null } | null;
}

export interface RunTrigger {
  kind: string;
  scheduled_at?: string | null;
  [key: string]: unknown;
}

export interface RunSummary {
  id: string;
  namespace: string;
  pipeline: string;
  state: RunState;
  reason: string | null;
  trigger: RunTrigger;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  /** Counted when the run ends (0 until then). */
  warnings: number;
  errors: number;
}

export interface RunPage {
  runs: RunSummary[];
  next_cursor: string | null;
}

export interface MetricAggregate {
  min: number;
  max: number;
  mean: number;
  sum: number;
  count: number;
}

export interface TaskRun {
  name: string;
  path: string;
  state: TaskState;
  attempts: number;
  exit_code: number | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  cpu_ms: number | null;
  peak_rss_bytes: number | null;
  warnings: number;
  errors: number;
  metrics: Record<string, MetricAggregate>;
  outputs: Record<string, string>;
  reason: string | null;
  signal: string | null;
  messages: { level: "warning" | "error"; text: string; ts: string; stream: "stdout" | "stderr" }[];
  /** The worker its last attempt ran on (the engine's own machine is one, named by its host name); null if it never started, or ran before engines recorded it. Absent from older engines. */
  worker?: string | null;
}

export interface Run extends RunSummary {
  args: Record<string, unknown>;
  partition: string | null;
  metrics: Record<string, MetricAggregate>;
  cpu_ms: number | null;
  peak_rss_bytes: number | null;
  tasks: TaskRun[];
  groups: { path: string; type: "group" | "array"; state: TaskState; warnings: number; errors: number; metrics: Record<string, MetricAggregate> }[];
}

/** GET /workers, and the data of the event stream's `event: workers` frames: a machine that runs tasks. */
export interface WorkerInfo {
  /** Unique; the engine's own machine is named by its host name. */
  name: string;
  /** What `runs_on:` matches; the engine's own machine has ["local", <host name>]. */
  labels: string[];
  /** True for the engine's own machine (listed first). */
  local: boolean;
  /** connected: it takes tasks; lost: it stopped answering without saying goodbye; disconnected: it left. */
  state: "connected" | "lost" | "disconnected";
  version: string | null;
  /** The host name it reported. */
  host: string | null;
  /** The address it connects from; null for the engine's own machine. */
  address: string | null;
  capacity: { tasks: number; cpus: number; memory_bytes: number };
  in_use: { tasks: number; cpus: number; memory_bytes: number };
  /** ISO 8601. */
  last_seen: string | null;
  /** ISO 8601; for the engine's own machine, when the engine started. */
  connected_since: string | null;
}

/** The body of every refusal. */
export interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}
