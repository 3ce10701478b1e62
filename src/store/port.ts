/**
 * The Store port: everything Spire remembers. Asynchronous from day one
 * (PostgreSQL comes later); each method is one transaction, and the boundary
 * of a transaction never leaves the adapter.
 *
 * Times are epoch milliseconds. JSON columns are plain values here.
 */
import type { ClaimResult, MissedQuery, MissedRow, ScheduleRow, SlotClaim } from "./schedule-rows.js";
import type { TaskState } from "../plan/types.js";
import type { MetricAggregate, TaskMessage } from "../exec/port.js";
import type { PipelineSource } from "../definitions/pipeline-source.js";
import type { SharedStore } from "./shared-port.js";

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
  /** While paused: when, by whom, and why when it was said (setPipelinePaused). */
  paused_at?: number | null;
  paused_by?: string | null;
  paused_reason?: string | null;
  /** The pipeline's own lines of the definitions file it was applied from, when that was Spire YAML. */
  source?: PipelineSource | null;
}

/** What lists show of a pipeline: its row without the definition, but with the definition's description and triggers. */
export interface PipelineHead extends Omit<PipelineRow, "definition" | "source"> {
  description: string | null;
  /** The normalised definition's `triggers`. */
  triggers: unknown[];
}

/** Who paused a pipeline, when, and why (a reason is optional). */
export interface PauseDetail {
  at: number;
  by: string;
  reason: string | null;
}

/**
 * A `spire watch` pipeline's lease as the store keeps it (watch-leases.ts):
 * kept by the store, so that every engine sharing it, and an engine started
 * again, sees one term and one holder. Times are the store's own clock's,
 * and told as what is left of the term, so that engines whose clocks differ
 * agree on when it runs out.
 */
export interface WatchLeaseTerm {
  /** The watcher that renews it; null until one renews with its id. */
  holder: string | null;
  /** What is left of the term, ms; 0 or less once it has run out. */
  leftMs: number;
}

/** What came of a renewal: renewed (`holder` holds it now), or refused for the holder of a term not yet run out. */
export type WatchLeaseRenewal = { renewed: true; term: WatchLeaseTerm } | { renewed: false; term: WatchLeaseTerm & { holder: string } };

/** A trigger with a run queued or running (Store.listTriggersUnderway). */
export interface TriggerUnderway {
  namespace: string;
  pipeline: string;
  trigger_key: string;
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
  /** SPIRE_SEED of its attempts: chosen when the run is made (or given), kept by a retry; null for runs made before seeds were kept. */
  seed: number | null;
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
  /** The name of the worker the attempt ran on (the engine's own machine is one, named by its host name); null before it started there. */
  worker: string | null;
  /**
   * The texts of its first warnings and errors (AttemptReport.messages).
   * Stored when a written row has some (a later write without them keeps
   * them); read back only by getRun, on the rows that have any.
   */
  messages?: TaskMessage[];
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
  /**
   * The run (the event's) has ended in a way that starts `after` followers: it is
   * remembered as pending until settleFollowers, so that an engine that stops
   * before making them has another make them (listPendingFollowers): the next
   * one to start, or the one that leads.
   */
  awaitsFollowers?: boolean;
}

/**
 * What a new run is made from, as the engine remembers it (it keeps the
 * applied definitions in memory): the pipeline's row as it was and its
 * namespace's. The run is stored only while the store still says the same,
 * so that a run is never made from a definition changed meanwhile (through
 * another engine, say).
 */
export interface DefinitionSeen {
  /** The pipeline's digest (its namespace and name are the run's). */
  digest: string;
  /** Its paused state, when that decides whether it may start (a trigger's run); not checked when absent. */
  paused?: boolean;
  /** The namespace's updated_at (where relative paths point from); null when it has no row. */
  namespaceUpdatedAt: number | null;
}

/** What createRun writes and checks with the run, in the same transaction. */
export interface RunCreation {
  /** Who started it: appended to the audit with the run. */
  audit?: Omit<AuditRow, "seq">;
  /** Checked before anything is written (see DefinitionSeen). */
  madeFrom?: DefinitionSeen;
}

/** One follower trigger's run for one finished run: made at most once (Store.createFollowerRun). */
export interface FollowerClaim {
  /** The finished run being followed. */
  source_run: string;
  /** The follower: its pipeline and its trigger's key (`<index>:after`). */
  namespace: string;
  pipeline: string;
  trigger_key: string;
}

export interface RunQuery {
  namespace?: string;
  pipeline?: string;
  state?: RunState;
  /** Runs in any of these states (with `state`, both must hold). */
  states?: RunState[];
  /** Runs whose trigger is of any of these kinds (`manual`, `cron`, `webhook`, `retry`, …). */
  triggerKinds?: string[];
  /** Runs created at or after this time. */
  createdFrom?: number;
  /** Runs created before this time. */
  createdBefore?: number;
  limit: number;
  /** Runs created strictly before this run id (ids sort by creation time). */
  before?: string;
}

export interface RecentRunsQuery {
  /** Only the pipelines of this namespace. */
  namespace?: string;
  /** Only this pipeline (of `namespace`). */
  pipeline?: string;
  /** The newest this many runs of each pipeline. */
  perPipeline: number;
}

/**
 * One pipeline's newest runs, as GET /pipelines?recent= shows them: JSON
 * text of an array, newest first, of `{ id, state, created_at, duration_ms }`
 * with created_at in ISO 8601. Unlike the rest of this port these are not
 * rows: a page of 1,000 pipelines holds 20,000 of them, and made one by one
 * in JavaScript (read, formatted, written out again) they cost several
 * times what the database takes to write their text, most of it in garbage
 * collection. The answer takes the text as it is.
 */
export interface RecentRuns {
  namespace: string;
  pipeline: string;
  /** `[]` when it has no runs. */
  runs_json: string;
  /** The newest run, whatever the count asked for; null when it has none. */
  last: { id: string; state: RunState; finished_at: number | null } | null;
}

export interface HistoryQuery {
  namespace: string;
  pipeline: string;
  limit: number;
  /** Runs created strictly before this run id. */
  before?: string;
}

/** A run as the history grid shows it. */
export interface HistoryRunRow {
  id: string;
  state: RunState;
  trigger_kind: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

/** One attempt of a task as the history grid shows it. */
export type HistoryTaskRow = Pick<TaskRunRow, "run_id" | "path" | "attempt" | "state" | "exit_code" | "started_at" | "finished_at">;

export type TokenScope = "read" | "run" | "admin" | "worker";

/** An API token's record. Its id is the JWT's `jti`; the JWT itself is never stored. */
export interface TokenRow {
  id: string;
  /** Unique among tokens not revoked, so a user can name the one to revoke. */
  name: string;
  scope: TokenScope;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  /** A browser session (made by POST /sessions) or an API token. */
  kind: TokenKind;
  /** The token a session was made from: revoking that token ends its sessions. */
  parent_id: string | null;
}

export type TokenKind = "token" | "session";

/** Who changed or started what, when. Append-only. */
export interface AuditRow {
  /** Monotonic across the store; the paging cursor. */
  seq: number;
  ts: number;
  /** A token name, `cli:<user>`, `engine`, … */
  actor: string;
  /** `apply`, `run.start`, `pipeline.pause`, `token.create`, … */
  action: string;
  /** What it was done to, such as `home/backup` or a run id. */
  target: string;
  details: Record<string, unknown>;
}

export interface AuditQuery {
  limit: number;
  /** Entries with seq strictly below this one. */
  before?: number;
  actor?: string;
  /** Entries with any of these actions; one ending in `.*` stands for every action that starts with what comes before the `*`. */
  actions?: string[];
  target?: string;
  /** Entries at or after this time. */
  since?: number;
  /** Entries before this time. */
  until?: number;
}

/**
 * One `apply` of a namespace: written in one transaction, all or nothing.
 * Upserts keep an existing pipeline's created_at and its `paused` flag
 * (pausing is an operator's decision, not part of the definitions file).
 */
export interface NamespaceChange {
  namespace: NamespaceRow;
  /** Pipelines of `namespace.name` to insert or replace. */
  upserts: PipelineRow[];
  /** Names of pipelines of `namespace.name` to remove; unknown names are ignored. */
  deletes: string[];
  audit?: Omit<AuditRow, "seq">;
}

export interface RunCountQuery {
  namespace?: string;
  pipeline?: string;
  /** Runs in any of these states; none given counts nothing. */
  states: RunState[];
}

export type { ClaimResult, MissedQuery, MissedRow, MissedSlots, ScheduleRow, SlotClaim } from "./schedule-rows.js";

/** What retention asks of one pipeline's history (see Store.listExpiredRuns). */
export interface RetentionQuery {
  namespace: string;
  pipeline: string;
  /** Finished runs beyond the newest `keep` (by creation) have expired. */
  keep?: number;
  /** Finished runs that finished before this time have expired. */
  finishedBefore?: number;
  limit: number;
}

/** A finished run that retention may remove. */
export interface ExpiredRun {
  id: string;
  state: RunState;
  created_at: number;
  finished_at: number | null;
}

/** What a store is, for GET /engine: its kind and where it keeps its data (a path or an address, never a password). */
export interface StoreDescription {
  kind: "sqlite" | "postgres";
  location: string;
}

export interface Store {
  /** Creates or upgrades the schema (numbered migrations). Idempotent. */
  init(): Promise<void>;
  describe(): StoreDescription;
  close(): Promise<void>;
  /**
   * The engine expects nothing to be due for a while (QUIET_MS at least):
   * upkeep that holds the thread for some milliseconds is best done now
   * (SQLite: starting a busy WAL over). Cheap when there is nothing to do.
   */
  maintain?(): void;
  /** Whether writes wait for room now: the disk holding the store is full (SQLite; absent elsewhere). */
  waitsForRoom?(): boolean;
  /** Logs, artifacts and requests kept for the other engines on a store several share (PostgreSQL); absent for one engine alone. */
  readonly shared?: SharedStore;

  upsertNamespace(row: NamespaceRow): Promise<void>;
  getNamespace(name: string): Promise<NamespaceRow | undefined>;
  listNamespaces(): Promise<NamespaceRow[]>;

  upsertPipeline(row: PipelineRow): Promise<void>;
  getPipeline(namespace: string, name: string): Promise<PipelineRow | undefined>;
  listPipelines(namespace?: string): Promise<PipelineRow[]>;
  /** listPipelines for lists: the definition's description and triggers only, not the whole definition to read back (a page of 1,000 pipelines). */
  listPipelineHeads(namespace?: string): Promise<PipelineHead[]>;
  deletePipeline(namespace: string, name: string): Promise<boolean>;

  /** The schedule of a trigger, created with `anchor` the first time it is asked for. */
  ensureSchedule(namespace: string, pipeline: string, triggerKey: string, anchor: number): Promise<ScheduleRow>;
  /**
   * Claims the due slots of several triggers in one transaction (everything
   * due at one instant). Per trigger: only if every slot, run or missed, is
   * newer than the schedule's last slot, its runs are created, its missed
   * record appended and last_slot moved to the newest; otherwise nothing of
   * that trigger is written (another engine, or an earlier call, handled it):
   * a slot starts at most one run. Results are in the order of `claims`.
   */
  claimSlots(claims: SlotClaim[], at: number): Promise<ClaimResult[]>;
  /** Missed records, newest first. */
  listMissed(query: MissedQuery): Promise<MissedRow[]>;
  listSchedules(namespace?: string): Promise<ScheduleRow[]>;

  /**
   * Inserts the run and its `run.created` event in one transaction, with
   * what `creation` adds (its audit entry) and only if what it checks holds
   * (DefinitionChangedError, and nothing written, when not).
   */
  createRun(run: RunRow, event: Omit<EventRow, "seq">, creation?: RunCreation): Promise<EventRow>;
  /**
   * createRun for an `after` trigger, with its claim in the same transaction;
   * undefined, and nothing written, when that claim was made already (the
   * follower's run for that finished run exists, or existed).
   */
  createFollowerRun(claim: FollowerClaim, run: RunRow, event: Omit<EventRow, "seq">, creation?: RunCreation): Promise<EventRow | undefined>;
  /** Finished runs whose followers are still to be made (StateChange.awaitsFollowers), oldest end first. */
  listPendingFollowers(): Promise<RunRow[]>;
  /** The run's followers are all made (or refused for good): forgets it and its claims. */
  settleFollowers(runId: string): Promise<void>;
  /**
   * Applies the changes in order, in one transaction; returns the stored
   * events. Calls are stored in the order they are made: one made after
   * another, even before that one has settled, never commits first (it may
   * commit with it: adapters group the calls of a moment into one commit).
   */
  write(changes: StateChange[]): Promise<EventRow[]>;

  getRun(id: string): Promise<{ run: RunRow; tasks: TaskRunRow[] } | undefined>;
  /** Ids starting with `prefix` (at most `limit`), for short ids on the command line. */
  findRunIds(prefix: string, limit: number): Promise<string[]>;
  /** Newest first. */
  listRuns(query: RunQuery): Promise<RunRow[]>;
  /** The newest runs (at least one) of each pipeline that has a definition, in one read, by namespace and pipeline. */
  listRecentRuns(query: RecentRunsQuery): Promise<RecentRuns[]>;
  /** A pipeline's runs, newest first, with every attempt of their tasks, in one read. */
  listRunHistory(query: HistoryQuery): Promise<{ runs: HistoryRunRow[]; tasks: HistoryTaskRow[] }>;
  /** Events of a run with seq > afterSeq, oldest first. */
  listEvents(runId: string, afterSeq: number, limit: number): Promise<EventRow[]>;

  /**
   * Events of all runs with seq > afterSeq, oldest first: the global stream.
   * A reader that resumes from the last seq it saw must never skip an event,
   * so events become visible in seq order (an adapter whose writers can
   * commit out of seq order has to serialise appends).
   */
  listEventsSince(afterSeq: number, limit: number): Promise<EventRow[]>;
  /** The seq of the newest stored event (0 when none): where a reader of what comes next starts. */
  latestEventSeq(): Promise<number>;
  /**
   * Runs in any of `states`, oldest first (created_at, then id): recovery and
   * queues. With several engines on one store, only this engine's own runs
   * and those of no engine (see PostgresOptions.owner).
   */
  listRunsInStates(states: RunState[]): Promise<RunRow[]>;
  /**
   * The triggers (by key) whose runs are queued or running, whichever engine
   * owns them: what a fixed delay (`every … after_finish`) waits for, wherever
   * its run went on.
   */
  listTriggersUnderway(): Promise<TriggerUnderway[]>;
  countRuns(query: RunCountQuery): Promise<number>;

  /** Every (namespace, pipeline) that has runs, whether or not it still has a definition. */
  listRunPipelines(): Promise<{ namespace: string; pipeline: string }[]>;
  /**
   * Finished runs of one pipeline past its retention, oldest first. The
   * newest finished run never expires (the pipeline's last result stays to
   * be seen), nor does a queued or running run.
   */
  listExpiredRuns(query: RetentionQuery): Promise<ExpiredRun[]>;
  /**
   * Deletes these runs with their task runs and events, in one transaction;
   * a run that is queued or running (or unknown) is left as it is. Returns
   * the ids deleted.
   */
  deleteRuns(ids: string[]): Promise<string[]>;
  /** The ones among `ids` that name a run in the store. */
  knownRunIds(ids: string[]): Promise<string[]>;

  /** Upserts the namespace and its pipelines, deletes, and appends the audit entry, in one transaction. */
  applyNamespace(change: NamespaceChange): Promise<void>;
  /** Sets only the paused flag and who paused it (updated_at tracks the definition, so it stays); resuming forgets the detail; false when unknown. */
  setPipelinePaused(namespace: string, name: string, paused: boolean, detail?: PauseDetail): Promise<boolean>;

  /**
   * A term of `leaseMs` for a `spire watch` pipeline that has none, with no
   * holder; `atLeast`: a term it has is made to last that long at least
   * (an engine starting: a watcher could not renew while none was up).
   */
  grantWatchLease(namespace: string, name: string, leaseMs: number, atLeast?: boolean): Promise<void>;
  /**
   * A watcher's renewal: the term runs `leaseMs` from now, held by `holder`
   * (null: the holder stays as it was). Refused while another holder's term
   * has not run out.
   */
  renewWatchLease(namespace: string, name: string, holder: string | null, leaseMs: number): Promise<WatchLeaseRenewal>;
  /** The pipeline's term; undefined when it has none. */
  watchLease(namespace: string, name: string): Promise<WatchLeaseTerm | undefined>;
  /**
   * Ends the term: `lapsedOnly`, only one that has run out, and true for
   * the one caller that ended it (engines sharing the store look at once;
   * one pauses the pipeline). Else whatever its state; true if there was one.
   */
  endWatchLease(namespace: string, name: string, lapsedOnly: boolean): Promise<boolean>;

  /**
   * A pipeline's webhook token generation: 0 until its token is first
   * changed (spire hook --rotate). Kept when the pipeline is removed, so a
   * token changed away never works again, whatever is applied later.
   */
  hookGeneration(namespace: string, pipeline: string): Promise<number>;
  /** Moves the generation on by one and returns it: the hook tokens of earlier generations no longer work. */
  nextHookGeneration(namespace: string, pipeline: string): Promise<number>;

  /** Throws TokenNameTakenError when a token not revoked has the same name. */
  createToken(row: TokenRow): Promise<void>;
  getToken(id: string): Promise<TokenRow | undefined>;
  /** Newest first (created_at, then id). */
  listTokens(): Promise<TokenRow[]>;
  /** False when the token is unknown or already revoked (the first revocation time stays). Its sessions are revoked with it. */
  revokeToken(id: string, at: number): Promise<boolean>;
  /** Records a use; never moves last_used_at backwards. Unknown ids are ignored. */
  touchToken(id: string, at: number): Promise<void>;

  /** Appends one entry and returns it with its seq. */
  appendAudit(row: Omit<AuditRow, "seq">): Promise<AuditRow>;
  /** Newest first. */
  listAudit(query: AuditQuery): Promise<AuditRow[]>;
}
