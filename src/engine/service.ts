/**
 * What the engine offers its clients (the HTTP API, later the MCP server):
 * one method per operation, plain data in and out. Routes translate HTTP to
 * these calls and ServiceError to statuses; nothing here knows about HTTP.
 */
import type { CheckedDefinitions } from "../definitions/load.js";
import type { PipelineEvent } from "./event-bus.js";
import type { DefinitionError } from "../definitions/errors.js";
import type { PipelineDef } from "../definitions/schema.js";
import type { LogLine, LogStream } from "../exec/port.js";
import type { AuditQuery, EventRow, NamespaceOrigin, RunState } from "../store/port.js";
import type { RunObject } from "./reads/run-object.js";
import type { MissedObject } from "./triggers/missed-object.js";
import type { ArtifactDownload, ArtifactEntry } from "./artifacts/artifact-listing.js";
import type { SweepReport } from "./runs/retention.js";
import type { EngineInfo } from "./reads/engine-info.js";
import type { PipelineHistory } from "./reads/pipeline-history.js";
import type { ForwardedRequest } from "./sharing/run-requests.js";

/**
 * What a token may do. read < run < admin: each includes the ones before it.
 * worker stands apart: a worker program's token, good only on the routes that
 * ask for worker (which an admin may use too) and on nothing else.
 */
export const SCOPES = ["read", "run", "admin", "worker"] as const;
export type Scope = (typeof SCOPES)[number];

/** Who asks: the name of the token that authenticated the request. */
export interface Actor {
  name: string;
  scope: Scope;
  /** The record of the token or session that authenticated the request (absent for the engine's own actors). */
  tokenId?: string;
  /** A browser session (cookie), not an API token. */
  session?: boolean;
}

export type ServiceErrorCode =
  | "bad_request"
  | "not_found"
  | "conflict"
  | "queue_full"
  | "invalid_args"
  | "invalid_definitions"
  | "unauthorized"
  | "forbidden"
  | "unavailable";

/** A client's mistake (or a refusal), never a 500. `details` is shown to the client as is. */
export class ServiceError extends Error {
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

/** The error for a pipeline that is not there, with where to look. */
export function notFoundPipeline(namespace: string, name: string): ServiceError {
  return new ServiceError("not_found", `no pipeline ${namespace}/${name}`, { hint: "see the pipelines with: spire ls" });
}

export interface ApplyRequest {
  /** The definitions file's text: YAML (JSON is YAML too). */
  text: string;
  /** Shown in error positions; default "spire.yaml". */
  fileName?: string;
  /** Overrides the file's `namespace:`. */
  namespace?: string;
  /** Used when neither `namespace` nor the file names one (the CLI sends the digest of host, user and path). */
  defaultNamespace?: string;
  prune: boolean;
  dryRun: boolean;
  /** Where the file came from (the CLI sends its host, user, absolute path). */
  origin?: { host?: string; user?: string; path?: string | null };
  /**
   * `text` as this process already parsed and checked it, with the same
   * limits (an in-process engine: `spire run -f`), so that it is not parsed
   * again; never from a client, which only sends the text.
   */
  checked?: CheckedDefinitions;
}

export interface ChangeSet {
  namespace: string;
  created: string[];
  changed: string[];
  unchanged: string[];
  removed: string[];
  dry_run: boolean;
  /** Applied, but will not work as the file seems to mean (see DefinitionError.severity). */
  warnings: DefinitionError[];
}

export interface PipelineSummary {
  namespace: string;
  name: string;
  description: string | null;
  paused: boolean;
  /** Why it was paused: what the person who paused it said, or why the engine did (a `spire watch` whose lease lapsed); null otherwise. */
  paused_reason: string | null;
  /** While paused: when and by whom (a token's name, or the engine). */
  paused_at: string | null;
  paused_by: string | null;
  triggers: PipelineDef["triggers"];
  /** Each trigger in plain words, in the order of `triggers`. */
  trigger_info: TriggerReading[];
  /** ISO time of the next scheduled run, when a trigger has one. */
  next_fire_at: string | null;
  last_run: { id: string; state: RunState; finished_at: string | null } | null;
  /** The newest runs, newest first: only when asked for (GET /pipelines?recent=N). */
  recent?: RecentRun[];
  updated_at: string;
}

/** A trigger as a person reads it. */
export interface TriggerReading {
  /** Its index in `triggers` and its kind, as missed records and runs' triggers name it (`0:cron`). */
  key: string;
  kind: string;
  description: string;
  /** The zone its times are read in, for time triggers: its own `timezone`, else the engine's; null for other triggers. */
  zone: string | null;
  /** When it next fires (its next slot, plus jitter), for time triggers that have one; null otherwise. */
  next_fire_at: string | null;
  /** The zone's UTC offset at next_fire_at differs from its offset now: the clocks change (DST) before it fires; null otherwise. */
  next_offset_change: { before: string; after: string } | null;
  /** GET /pipelines/{ns}/{name} only: its next slots, with the UTC offset changes between them marked. */
  next?: UpcomingSlot[];
}

export interface UpcomingSlot {
  /** ISO 8601 in the trigger's zone, with its offset. */
  at: string;
  offset: string;
  /** The zone's UTC offset differs from the previous slot's (a DST change between them); null otherwise. */
  offset_change: { before: string; after: string } | null;
}

export interface RecentRun {
  id: string;
  state: RunState;
  created_at: string;
  /** From start to end; null until it has both. */
  duration_ms: number | null;
}

export interface PipelineDetail extends PipelineSummary {
  definition: PipelineDef;
  /** The definition as YAML: the pipeline's own lines of the file it was applied from, or the normalised definition written out. */
  definition_yaml: string;
  definition_yaml_from: "source" | "normalised";
  /** With "source": the line of the origin file where its lines begin. */
  definition_line: number | null;
  /** Where the file was applied from, as GET /namespaces says: host, user, path, applied_at, author. */
  origin: NamespaceInfo["origin"] | null;
}

/** A run asked for by a person or a program. */
export interface StartRunRequest {
  args: Record<string, unknown>;
  partition?: string;
  seed?: number;
  /**
   * The run whose task or notify command asks for this one (its SPIRE_RUN_ID): runs started from inside runs
   * count as a chain, like after triggers', and a chain longer than MAX_RUN_CHAIN is refused.
   */
  causedBy?: string;
}

/** A `spire watch` pipeline's lease, as its watcher renews it (see watch-leases.ts). */
export interface WatchLease {
  namespace: string;
  name: string;
  /** Paused by someone: it holds no lease, and the renewal changed nothing. */
  paused: boolean;
  /** When it lapses without another renewal; null while paused. */
  expires_at: string | null;
  lease_ms: number;
  /** How often the watcher renews. */
  renew_every_ms: number;
  /** This renewal resumed it: the engine had paused it when an earlier term lapsed. */
  resumed: boolean;
}

export interface RunSummary {
  id: string;
  namespace: string;
  pipeline: string;
  state: RunState;
  reason: string | null;
  trigger: RunObject["trigger"];
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  /** How many warnings and errors its tasks reported; counted when the run ends (0 until then). */
  warnings: number;
  errors: number;
}

export interface RunListQuery {
  namespace?: string;
  pipeline?: string;
  state?: RunState;
  /** Runs in any of these states. */
  states?: RunState[];
  /** Runs whose trigger is of any of these kinds. */
  triggerKinds?: string[];
  /** Runs created at or after this time (epoch ms). */
  createdFrom?: number;
  /** Runs created before this time (epoch ms). */
  createdBefore?: number;
  /** Only runs whose id starts with this (a person types the first few characters). */
  idPrefix?: string;
  limit: number;
  /** From a previous page's `next_cursor`. */
  cursor?: string;
}

/** GET /audit: a page, and what its entries must match (the store's query: the same fields). */
export type AuditFilter = AuditQuery;

export interface LogQuery {
  stream?: LogStream;
  /** Only lines at or after this time (epoch ms). */
  since?: number;
  /** Attempt number; default the last. */
  attempt?: number;
  /** From a previous page's `next_cursor`. */
  cursor?: string;
  /** Lines of the page at most (default 1000; with `tail`, `tail`). */
  limit?: number;
  /** The lines from this one on (0-based, in the view: both streams, or `stream`); the page then says the view's line count. */
  fromLine?: number;
  /** The last this many lines of the view; the page then says the view's line count. */
  tail?: number;
}

export interface LogPage {
  lines: LogLine[];
  /** Where the next page starts (a byte offset), or null when the page reached the end of the log. */
  next_cursor: string | null;
  /** With fromLine or tail: how many lines the view has. */
  total_lines?: number;
  /** With fromLine or tail: the view's index of the first line of the page. */
  first_line?: number;
}

/** A namespace as clients see it: times in ISO 8601. */
export interface NamespaceInfo {
  name: string;
  origin: Omit<NamespaceOrigin, "applied_at"> & { applied_at: string };
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface TokenInfo {
  id: string;
  name: string;
  scope: Scope;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

/** A browser session: a token of its own kind, made from the token or login link that asked for it. */
export interface SessionInfo extends TokenInfo {
  /** The name of the token it was made from. */
  from: string | null;
}

/** A machine that runs tasks: the engine's own, or a worker program on another machine connected to it. */
export interface WorkerInfo {
  /** Unique; the engine's own machine is named by its host name. */
  name: string;
  /** What `runs_on:` matches; the engine's own machine has ["local", <host name>]. */
  labels: string[];
  /** True for the engine's own machine. */
  local: boolean;
  state: "connected" | "lost" | "disconnected";
  version: string | null;
  /** The host name the worker reported. */
  host: string | null;
  /** The address it connects from (null for the engine's own machine). */
  address: string | null;
  capacity: { tasks: number; cpus: number; memory_bytes: number };
  in_use: { tasks: number; cpus: number; memory_bytes: number };
  /** ISO 8601. */
  last_seen: string | null;
  /** ISO 8601. */
  connected_since: string | null;
}

/** A live event for SSE: a stored state change, or a log line (not stored as an event). */
export interface LiveLogLine {
  kind: "log";
  run_id: string;
  task: string;
  attempt: number;
  line: LogLine;
}

/** `::progress::` of a running task: live only, never stored. */
export interface LiveProgress {
  kind: "progress";
  run_id: string;
  task: string;
  done: number;
  total: number;
}

export type LiveEvent = { kind: "event"; event: EventRow } | LiveLogLine | LiveProgress;

/** Calling it unsubscribes; `caughtUp` resolves once the subscriber has every log line on disk (call it when the run has finished). */
export interface Subscription {
  (): void;
  caughtUp(): Promise<void>;
}

/** Which log lines a follower of a run gets: all of them from the start, only new ones, or none. */
export type LogFollowing = "all" | "new" | "none";

export interface EngineService {
  apply(actor: Actor, request: ApplyRequest): Promise<ChangeSet>;
  /** `recent`: each pipeline's newest this many runs (0: none; the last run is always there). */
  listPipelines(namespace?: string, options?: { recent?: number }): Promise<PipelineSummary[]>;
  /** listPipelines as the JSON text of `{ pipelines }`, the HTTP answer: each pipeline's recent runs go in as the store wrote them, never made into objects. */
  listPipelinesJson(namespace?: string, options?: { recent?: number }): Promise<string>;
  /** `next`: how many next slots of each time trigger (default 10). */
  getPipeline(namespace: string, name: string, options?: { next?: number }): Promise<PipelineDetail>;
  /** A pipeline's last runs with their tasks' states (the history grid), and duration percentiles; `before` pages (a run id). */
  pipelineHistory(namespace: string, name: string, query: { limit: number; before?: string }): Promise<PipelineHistory>;
  deletePipeline(actor: Actor, namespace: string, name: string): Promise<void>;
  /** `reason`: why (shown with the paused pipeline until it is resumed). */
  setPaused(actor: Actor, namespace: string, name: string, paused: boolean, options?: { reason?: string }): Promise<PipelineSummary>;
  /**
   * Takes or renews the lease that keeps a `spire watch` pipeline firing; not_found, or conflict for any other
   * pipeline. `holder`: the watcher's own id: a lease another holder renews is refused (conflict, details.held).
   */
  renewWatchLease(namespace: string, name: string, holder?: string): Promise<WatchLease>;
  /** Slots of the pipeline's time triggers that did not run, newest first. */
  listMissed(namespace: string, name: string, query: { limit: number; before?: number; run?: string }): Promise<{ missed: MissedObject[]; next_cursor: number | null }>;

  /** 201 with the run; ServiceError queue_full (409), conflict (409: a chain of runs started from inside runs, too long) or invalid_args (422). */
  startRun(actor: Actor, namespace: string, name: string, request: StartRunRequest): Promise<RunObject>;
  /** A webhook trigger fired (its token already checked): the pipeline must have `webhook: true`. */
  startHookRun(namespace: string, name: string, args: Record<string, unknown>): Promise<RunObject>;
  listRuns(query: RunListQuery): Promise<{ runs: RunSummary[]; next_cursor: string | null }>;
  getRun(id: string): Promise<RunObject>;
  /** getRun's answer when this engine has the run's object at hand (see run-cache.ts), else undefined. */
  cachedRun(id: string): RunObject | undefined;
  /** The normalised pipeline definition the run was made with. */
  getRunDefinition(id: string): Promise<PipelineDef>;
  /** Cancels a queued or running run; `request` when it was passed on to the engine that runs it (engines sharing a store). */
  cancelRun(actor: Actor, id: string): Promise<RunObject & { request?: ForwardedRequest }>;
  /** Re-runs the failed tasks (or `from` and everything below it), keeping the results that passed. */
  retryRun(actor: Actor, id: string, request: { from?: string }): Promise<RunObject>;

  readLogs(runId: string, task: string, query: LogQuery): Promise<LogPage>;
  /** Stored events of a run after `afterSeq` (oldest first). */
  listEvents(runId: string, afterSeq: number, limit: number): Promise<EventRow[]>;
  /** Stored events of every run after `afterSeq`, oldest first (the engine-wide stream's replay). */
  listEventsSince(afterSeq: number, limit: number): Promise<EventRow[]>;
  /**
   * Pipeline events outside any run (missed slots, changed definitions); returns the unsubscribe function.
   * `everyEngine` (the engine-wide stream): with engines sharing a store, the missed slots any of them recorded.
   */
  subscribePipelines(listener: (event: PipelineEvent) => void, options?: { everyEngine?: boolean }): Subscription;
  /** Live events of one run (or all runs when runId is null); returns the unsubscribe function. */
  /** Live events of one run (or of all runs, without log lines); `logs` chooses the log lines of one run's followers (default all). */
  /** `everyEngine` (the whole stream only): with engines sharing a store, the runs of all of them, in seq order. */
  subscribe(runId: string | null, listener: (event: LiveEvent) => void, options?: { logs?: LogFollowing; everyEngine?: boolean }): Subscription;

  /** The files a run's tasks kept (`artifacts:` and what they wrote to $SPIRE_ARTIFACTS). */
  listArtifacts(runId: string): Promise<ArtifactEntry[]>;
  /** One of them, opened for reading (the caller reads or closes it); not_found unless it is in the list. */
  openArtifact(runId: string, task: string, name: string): Promise<ArtifactDownload>;
  /** Applies retention now (`spire gc`): removes finished runs past their limits, or, dry, says which. */
  collectGarbage(actor: Actor, options: { dryRun: boolean }): Promise<SweepReport>;

  listNamespaces(): Promise<NamespaceInfo[]>;
  listAudit(query: AuditFilter): Promise<{ entries: { seq: number; ts: string; actor: string; action: string; target: string; details: Record<string, unknown> }[]; next_cursor: number | null }>;

  /** Prometheus text exposition format. */
  metrics(): Promise<string>;
  health(): { status: "ok" | "draining"; version: string; uptime_ms: number };
  /** The engine itself: version, uptime, store, supervisor, capacity in use, locks, queues; paths only for an admin. */
  engineInfo(actor: Actor): Promise<EngineInfo>;
  /** The machines that run tasks: the engine's own first, then the workers it knows. */
  listWorkers(): Promise<WorkerInfo[]>;
}

export type { DefinitionError };
